import Logging
import ServiceLifecycle
import Synchronization

/// Runs a long-lived part and says in the log when it took longer than `patience` to stop after
/// graceful shutdown reached it (whether it stopped by itself or when the group was cancelled):
/// a slow stop names the part that held it, at warning, the level a server runs at.
struct StopWatch: Service, CustomStringConvertible {
    let inner: any Service
    let name: String
    let logger: Logger
    var patience: Duration = .seconds(2)

    var description: String { name }

    func run() async throws {
        let asked = Mutex<ContinuousClock.Instant?>(nil)
        defer {
            if let since = asked.withLock({ $0 }) {
                let took = ContinuousClock.now - since
                // A group cancelled past its grace stops its parts at once: the time says whether the grace ran out.
                if took > patience {
                    logger.warning(
                        "slow to stop", metadata: ["part": "\(name)", "seconds": "\(took)", "cancelled": "\(Task.isCancelled)"])
                }
            }
        }
        try await withGracefulShutdownHandler {
            try await inner.run()
        } onGracefulShutdown: {
            asked.withLock { $0 = .now }
        }
    }
}

extension Service {
    /// This part, saying in the log when it is slow to stop.
    func timedStop(_ name: String, _ logger: Logger, patience: Duration = .seconds(2)) -> StopWatch {
        StopWatch(inner: self, name: name, logger: logger, patience: patience)
    }
}
