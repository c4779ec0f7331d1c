import DocketCore
import Foundation
import Logging

/// Fires due SLA warnings and breaches: at once at start (timers that came due while the
/// server was down), then every second, in batches until none is due. Several instances may
/// run it on one MongoDB: each timer fires once (a conditional write per ticket).
public enum SLAScheduler {
    public static let interval: Duration = .seconds(1)
    public static let batch = 500

    public static func run(_ service: TicketService, logger: Logger) async {
        while !Task.isCancelled {
            do {
                var fired = 0
                while !Task.isCancelled {
                    let count = try await service.fireDueSLATimers(limit: batch)
                    fired += count
                    if count == 0 { break }
                }
                if fired > 0 { logger.info("SLA timers fired", metadata: ["events": "\(fired)"]) }
            } catch {
                // The store is down, most likely: try again on the next tick.
                logger.warning("SLA scheduler could not run", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
