import DocketCore
import Foundation
import Logging
import ServiceLifecycle

/// Fires due SLA warnings and breaches and rules' timers: at once at start (timers that came
/// due while the server was down), then every second, in batches until none is due. Several
/// instances may run it on one MongoDB: each timer fires once (a conditional write per ticket).
/// Each pass also writes the staged-rollout figures that waited long enough (`RolloutBatch`)
/// and settles agents' presence whose leases ran out (`PresenceService.sweep`); every fifth
/// pass gives out tickets still waiting where someone is online.
/// Stops at graceful shutdown after the batch it is writing, writing every figure still waiting.
public struct TimerScheduler: Service {
    public static let interval: Duration = .seconds(1)
    public static let batch = 500

    let tickets: TicketService
    let presence: PresenceService?
    let logger: Logger
    /// Passes between two looks for waiting tickets where someone is online.
    static let drainEvery = 5

    public init(tickets: TicketService, presence: PresenceService? = nil, logger: Logger) {
        self.tickets = tickets
        self.presence = presence
        self.logger = logger
    }

    public func run() async {
        var pass = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            pass += 1
            do {
                if let presence {
                    try await presence.sweep()
                    if pass % Self.drainEvery == 0 { try await presence.drainWaiting() }
                }
                var fired = 0
                while !Task.isShuttingDownGracefully, !Task.isCancelled {
                    let count = try await tickets.fireDueTimers(limit: Self.batch)
                    fired += count
                    if count == 0 { break }
                }
                if fired > 0 { logger.info("timers fired", metadata: ["events": "\(fired)"]) }
            } catch {
                // The store is down, most likely: try again on the next tick.
                logger.warning("timer scheduler could not run", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
        // Rollout figures still waiting join their records before the server stops.
        await tickets.flushRolloutFigures()
    }
}
