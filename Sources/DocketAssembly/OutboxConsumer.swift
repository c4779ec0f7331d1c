import DocketCore
import Logging
import ServiceLifecycle

/// Runs one of the event log's consumers (webhook deliveries, mail out) until graceful
/// shutdown: a round again at once while the last one had work (a backlog drains as fast as
/// the far side takes it), every second when idle. Each consumer stores its place after each
/// event it handles, so a stop or a crash loses nothing (the one in flight goes again).
struct OutboxConsumer: Service {
    /// What it sends, for the log ("webhook delivery", "mail out").
    let name: String
    /// One round; answers how much it did.
    let round: @Sendable () async throws -> Int
    let logger: Logger

    func run() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if try await round() > 0 { continue }
            } catch {
                logger.warning("\(name) could not run", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
