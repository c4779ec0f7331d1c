import DocketCore
import DocketWebhooks
import Foundation
import Logging
import ServiceLifecycle

/// Runs the webhook dispatcher (the event log's webhook consumer) every second until graceful
/// shutdown. An endpoint's position is stored after each event, so
/// a stop or a crash loses nothing (the event in flight is sent again, under its delivery id).
struct WebhookDeliveryService: Service {
    let dispatcher: WebhookDispatcher
    let logger: Logger

    func run() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await dispatcher.runOnce()
            } catch {
                logger.warning("webhook delivery could not run", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
