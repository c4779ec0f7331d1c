import DocketCore

/// Where a test's body runs: on Swift's cooperative pool, or on the request executor's threads
/// (`WorkThreads`), as the server runs every request. A promise the server keeps is tested on
/// both: on the request threads the stores read and the rules run in place.
public enum Threads: String, CaseIterable, Sendable, CustomStringConvertible {
    case pool
    case requestThreads

    /// One executor for the whole test process, as a server has.
    public static let work = WorkThreads(count: 2, name: "test.work")

    public var description: String { rawValue }

    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        switch self {
        case .pool:
            return try await body()
        case .requestThreads:
            return try await withTaskExecutorPreference(Self.work) {
                precondition(WorkThread.isCurrent, "the body runs on a request thread")
                return try await body()
            }
        }
    }
}
