@testable import DocketAssembly
import Foundation
import Synchronization
import Testing

/// The store is closed once, and every caller of `close` — the service at shutdown, the
/// command's `use`, a test — returns only when that close is done.
@Suite("Closing the store")
struct StoreClosingTests {
    final class Closer: Sendable {
        let calls = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let release = AsyncStream<Void>.makeStream()
        init() {}
    }

    @Test func everyCallerWaitsForTheOneClose() async throws {
        let closer = Closer()
        let closing = StoreClosing {
            closer.calls.add(1, ordering: .relaxed)
            for await _ in closer.release.stream { break }
            closer.done.store(true, ordering: .relaxed)
        }
        // Three callers at once; none may return before the close they wait for is done.
        let sawDone = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try? await closing.close()
                    return closer.done.load(ordering: .relaxed)
                }
            }
            // Let the close finish only once every caller is waiting on it.
            while closer.calls.load(ordering: .relaxed) == 0 { await Task.yield() }
            closer.release.continuation.yield()
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(sawDone == [true, true, true])
        #expect(closer.calls.load(ordering: .relaxed) == 1)
        try await closing.close()
        #expect(closer.calls.load(ordering: .relaxed) == 1, "closed once")
    }
}
