import DocketCore
import Logging
import ServiceLifecycle

/// Runs mail out (`MailDispatcher`, the event log's mail consumer) until graceful shutdown:
/// again at once while it has work, every second when idle. A tenant's place in the log is
/// stored after each mail, so a stop or a crash loses none (the mail in flight is sent again,
/// under its `Message-ID`).
struct MailDeliveryService: Service {
    let dispatcher: MailDispatcher
    let logger: Logger

    func run() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if try await dispatcher.runOnce() > 0 { continue }
            } catch {
                logger.warning("mail out could not run", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
