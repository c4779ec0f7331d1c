import DocketCore
import DocketWebhooks
import Foundation
import Logging
import ServiceLifecycle

/// Runs the webhook dispatcher (the event log's webhook consumer) until graceful shutdown: again
/// at once while it has work, every second when idle. An endpoint's position is stored after each event, so
/// a stop or a crash loses nothing (the event in flight is sent again, under its delivery id).
struct WebhookDeliveryService: Service {
    let dispatcher: WebhookDispatcher
    let logger: Logger

    func run() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // A round that sent something goes on at once (a backlog drains as fast as the
                // endpoints take it); an idle one waits a second.
                if try await dispatcher.runOnce() > 0 { continue }
            } catch {
                logger.warning("webhook delivery could not run", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
