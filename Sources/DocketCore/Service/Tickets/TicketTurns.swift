import Foundation

/// Writers of one ticket take turns in this process, first come first served. Without turns,
/// concurrent writers of a busy ticket race their conditional updates, and a write that does
/// more work (rules to run) loses to lighter ones again and again until it gives up. The
/// conditional update still guards against writers in other server instances.
final class TicketTurns: @unchecked Sendable {
    // `queues` is guarded by `lock`: a key present means its turn is taken; its list holds
    // the writers waiting, in arrival order.
    private let lock = NSLock()
    private var queues: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Runs `body` when it is this caller's turn on `key` (a tenant's ticket).
    func withTurn<T>(_ key: String, _ body: () async throws -> T) async throws -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        let free: Bool = lock.withLock {
            if queues[key] == nil {
                queues[key] = []
                return true
            }
            return false
        }
        if free { return }
        await withCheckedContinuation { continuation in
            let now: Bool = lock.withLock {
                if queues[key] == nil {
                    queues[key] = []
                    return true
                }
                queues[key]!.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Hands the turn to the next writer waiting, or frees the key.
    private func release(_ key: String) {
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            guard var waiting = queues[key] else { return nil }
            if waiting.isEmpty {
                queues[key] = nil
                return nil
            }
            let first = waiting.removeFirst()
            queues[key] = waiting
            return first
        }
        next?.resume()
    }
}
