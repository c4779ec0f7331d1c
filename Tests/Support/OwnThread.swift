import Foundation

/// Runs a blocking call (a socket read, `waitpid`, a child's output to its end) on a thread of
/// its own and awaits it: not on Swift's cooperative pool, and not on Dispatch's global queues
/// either (on Linux Swift's global executor runs on those, so a blocked GCD thread is one of the
/// two threads every in-process server of the suite and every client of a test needs).
public func onAThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// `onAThread` for a call that cannot fail.
public func onAThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.start()
    }
}
