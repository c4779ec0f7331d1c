@testable import DocketAssembly
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A part slow to stop is named in the log at warning (the level a server runs at), so a slow
/// shutdown in a run that kept only warnings says which part held it.
@Suite("Slow stops are named")
struct StopWatchTests {
    final class Lines: Sendable {
        let lines = Mutex<[(Logger.Level, String)]>([])
    }

    struct Collecting: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let part = event.metadata?["part"].map { " \($0)" } ?? ""
            lines.lines.withLock { $0.append((event.level, "\(event.message)\(part)")) }
        }
    }

    /// Stops when graceful shutdown reaches it, after one more turn.
    struct Part: Service {
        func run() async {
            try? await gracefulShutdown()
            await Task.yield()
        }
    }

    func stop(patience: Duration) async throws -> [(Logger.Level, String)] {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in Collecting(lines: lines) }
        let group = ServiceGroup(
            services: [StopWatch(inner: Part(), name: "the part", logger: logger, patience: patience)], logger: Logger(label: "group"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        return lines.lines.withLock { $0 }
    }

    @Test func aPartPastItsPatienceIsNamedAtWarning() async throws {
        let lines = try await stop(patience: .zero)
        #expect(lines.count == 1)
        #expect(lines.first?.0 == .warning)
        #expect(lines.first?.1 == "slow to stop the part")
    }

    @Test func aPartThatStopsInTimeSaysNothing() async throws {
        let lines = try await stop(patience: .seconds(60))
        #expect(lines.isEmpty)
    }
}
