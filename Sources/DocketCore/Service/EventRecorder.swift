import Foundation

/// Collects recorded rule events and stores them in batches, so a ticket write does not pay
/// for a second transaction. Batches go out when `batchSize` events wait or the oldest is
/// older than `maxDelay` (checked as events arrive), and always before a simulation reads them.
/// Events still waiting when the process dies are lost: they are replay material, never
/// business data (the ticket and its audit are already stored).
final class EventRecorder: @unchecked Sendable {
    // `pending` and `oldest` are guarded by `lock`.
    private let lock = NSLock()
    private var pending: [RecordedRuleEvent] = []
    private var oldest: Date?
    private let store: any TicketStore
    private let clock: any WallClock
    let batchSize: Int
    let maxDelay: TimeInterval

    init(store: any TicketStore, clock: any WallClock, batchSize: Int = 64, maxDelay: TimeInterval = 1) {
        self.store = store
        self.clock = clock
        self.batchSize = batchSize
        self.maxDelay = maxDelay
    }

    /// Queues `events`; returns a batch to store now when one is due.
    func add(_ events: [RecordedRuleEvent]) -> [RecordedRuleEvent]? {
        let now = clock.now()
        return lock.withLock {
            if pending.isEmpty { oldest = now }
            pending += events
            guard pending.count >= batchSize || now.timeIntervalSince(oldest ?? now) >= maxDelay else { return nil }
            defer { pending = []; oldest = nil }
            return pending
        }
    }

    /// Takes everything waiting.
    func drain() -> [RecordedRuleEvent] {
        lock.withLock {
            defer { pending = []; oldest = nil }
            return pending
        }
    }
}
