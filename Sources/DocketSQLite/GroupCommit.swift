import DocketCore
import Foundation
import GRDB
import Synchronization

/// Group commit for the one SQLite writer: the writes waiting while a transaction runs go
/// together into the next one, each in a savepoint of its own. A write that fails is rolled
/// back to its savepoint and fails alone; the others commit. Pages many writes touch (index
/// leaves, counters, the full-text index's structure, the event log's tail) are then written to
/// the WAL once per group instead of once per write.
///
/// What a write's caller sees is unchanged: its body runs inside a transaction and its answer
/// comes after the commit. What a write asks to run after its commit (`afterCommit`) runs
/// after the group's commit, in write order, and not at all for a write that failed.
final class GroupCommit: Sendable {
    /// One waiting write: runs its body on the writer and keeps its outcome until the commit.
    private struct Pending: Sendable {
        let run: @Sendable (Database) -> Outcome
        /// Answers the caller when its write never ran.
        let fail: @Sendable (any Error) -> Void
    }

    /// What a write left for after the commit: how to answer its caller, and its commit hooks.
    private struct Outcome: Sendable {
        var answer: @Sendable (Result<Void, any Error>) -> Void
        var failed: Bool
        var hooks: [@Sendable () -> Void]
        /// Statements the write left for the end of the transaction (`CommitHooks.atEnd`).
        var atEnd: [@Sendable (Database) throws -> Void]
        /// What the write adds to the kept report figures, per tenant (`CommitHooks.addReport`).
        var reports: [String: ReportDelta]
    }

    private struct State {
        var queue: [Pending] = []
        var draining = false
        var writes = 0
        var transactions = 0
        /// While the writer gathers: the number of waiting writes that wakes it (0: not waiting).
        var gatherTarget = 0
        /// Closing: the writer no longer gathers.
        var stopped = false
    }

    /// Writes run and transactions committed (or tried) so far: how much grouping happened.
    var counts: (writes: Int, transactions: Int) { state.withLock { ($0.writes, $0.transactions) } }
    /// Writes waiting for the writer now.
    var queued: Int { state.withLock { $0.queue.count } }
    /// Ends gathering at once and for good (the store is closing).
    func stopGathering() {
        let wake: Bool = state.withLock { state in
            state.stopped = true
            defer { state.gatherTarget = 0 }
            return state.gatherTarget > 0
        }
        if wake { gathered.signal() }
    }

    /// Whether the writer is waiting for its next group to fill.
    var gathering: Bool { state.withLock { $0.gatherTarget > 0 } }

    private let pool: DatabasePool
    private let state = Mutex(State())
    /// Writes per transaction, at most: a group's latency stays bounded under heavy load.
    let maxGroup: Int
    /// How long the writer may wait for a group to fill under load (`gather`); zero: never.
    let gatherWait: Duration
    private let gathered = DispatchSemaphore(value: 0)

    /// Runs on the writer before each transaction (the checkpointer's finishing copy).
    let beforeGroup: (@Sendable (Database) -> Void)?

    init(pool: DatabasePool, maxGroup: Int = 64, gatherWait: Duration = .zero, beforeGroup: (@Sendable (Database) -> Void)? = nil) {
        self.pool = pool
        self.maxGroup = maxGroup
        self.gatherWait = gatherWait
        self.beforeGroup = beforeGroup
    }

    /// Runs `body` inside a transaction (possibly shared with other writes, each in its own
    /// savepoint) and answers after the commit.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending { db in
                let collector = CommitHookCollector()
                let result: Result<T, any Error> = CommitHooks.collecting(into: collector, db) { Result { try body(db) } }
                let failed: Bool
                if case .failure = result { failed = true } else { failed = false }
                return Outcome(
                    answer: { commit in
                        switch (commit, result) {
                        case (.failure(let error), _): continuation.resume(throwing: error)
                        case (.success, .failure(let error)): continuation.resume(throwing: error)
                        case (.success, .success(let value)): continuation.resume(returning: value)
                        }
                    }, failed: failed, hooks: collector.hooks, atEnd: collector.atEnd, reports: collector.reports)
            } fail: { error in
                continuation.resume(throwing: error)
            }
            let (start, reached): (Bool, Bool) = state.withLock { state in
                state.queue.append(pending)
                if state.gatherTarget > 0, state.queue.count >= state.gatherTarget {
                    state.gatherTarget = 0
                    return (false, true)
                }
                guard !state.draining else { return (false, false) }
                state.draining = true
                return (true, false)
            }
            if reached { gathered.signal() }
            if start { drain() }
        }
    }

    private func drain() {
        pool.asyncWriteWithoutTransaction { [self] db in
            var previous = 0
            while true {
                if previous >= Self.gatherFrom { gather(previous) }
                let group: [Pending] = state.withLock { state in
                    let group = Array(state.queue.prefix(maxGroup))
                    state.queue.removeFirst(group.count)
                    if group.isEmpty { state.draining = false }
                    state.writes += group.count
                    state.transactions += group.isEmpty ? 0 : 1
                    return group
                }
                if group.isEmpty { return }
                previous = group.count
                runGroup(group, db)
            }
        }
    }

    /// The size of the last group from which the writer gathers: below it, too few writers are
    /// at work for a bigger group to form soon (with two clients, waiting for a third only
    /// added the wait to every write).
    static let gatherFrom = 4

    /// Under load (the last group had `target` ≥ `gatherFrom` writes), waits up to
    /// `gatherWait` on the writer for as many writes to be waiting before it starts the next
    /// transaction (it then takes all that wait, so groups grow with the writers at work): each
    /// page the group touches is written once for more writes. Waiting for twice as many made
    /// every group of N steady clients wait out the whole wait (8 clients: 2,066 -> 1,419
    /// creates/s at a 4 ms wait). A write's latency grows by at most the wait; at low load
    /// nothing waits.
    private func gather(_ target: Int) {
        guard gatherWait > .zero else { return }
        let wait: Bool = state.withLock { state in
            guard !state.stopped, state.queue.count < target else { return false }
            state.gatherTarget = min(target, maxGroup)
            return true
        }
        guard wait else { return }
        let (seconds, attoseconds) = gatherWait.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        if gathered.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
            // A write may have reached the target just now and signals: take that signal, so
            // the next wait is not cut short by it.
            let signalled: Bool = state.withLock { state in
                defer { state.gatherTarget = 0 }
                return state.gatherTarget == 0
            }
            if signalled { gathered.wait() }
        }
    }

    private func runGroup(_ group: [Pending], _ db: Database) {
        beforeGroup?(db)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(group.count)
        do {
            try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
        } catch {
            // Nothing ran: every write of the group fails with the reason.
            let error = SQLiteTicketStore.map(error)
            for pending in group { pending.fail(error) }
            return
        }
        for pending in group {
            if group.count == 1 {
                outcomes.append(pending.run(db))
                continue
            }
            do {
                try db.cachedStatement(sql: "SAVEPOINT one_write").execute()
            } catch {
                pending.fail(SQLiteTicketStore.map(error))
                continue
            }
            var outcome = pending.run(db)
            if outcome.failed {
                // Undo this write alone; SQLite may have ended the whole transaction itself (a
                // full disk, for one), which the commit below then reports to everyone.
                if db.isInsideTransaction {
                    try? db.cachedStatement(sql: "ROLLBACK TO one_write").execute()
                }
                outcome.hooks = []
                outcome.atEnd = []
                outcome.reports = [:]
            }
            if db.isInsideTransaction { try? db.cachedStatement(sql: "RELEASE one_write").execute() }
            outcomes.append(outcome)
        }
        if group.count == 1, outcomes[0].failed {
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK").execute() }
            outcomes[0].answer(.success(()))
            return
        }
        let commit: Result<Void, any Error>
        do {
            guard db.isInsideTransaction else { throw DocketError(.storeUnavailable, "sqlite ended the transaction (disk full or I/O error)") }
            // What the writes left for the end (their full-text index changes), in write order,
            // outside any savepoint. Should one fail, the whole group fails (nothing is stored).
            for outcome in outcomes where !outcome.failed {
                for statement in outcome.atEnd { try statement(db) }
            }
            // The group's report figures, summed first: a row many writes add to (this hour's,
            // the tenant's, its channels') is written once per group, not once per write.
            var reports: [String: ReportDelta] = [:]
            for outcome in outcomes where !outcome.failed {
                for (tenantId, delta) in outcome.reports {
                    if reports[tenantId] == nil { reports[tenantId] = delta } else { reports[tenantId]!.add(delta) }
                }
            }
            for (tenantId, delta) in reports.sorted(by: { $0.key < $1.key }) { try SQLiteTicketStore.addReport(delta, tenantId: tenantId, db) }
            try db.cachedStatement(sql: "COMMIT").execute()
            commit = .success(())
        } catch {
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK").execute() }
            commit = .failure(SQLiteTicketStore.map(error))
        }
        for outcome in outcomes {
            if case .success = commit { outcome.hooks.forEach { $0() } }
            outcome.answer(commit)
        }
    }
}

/// What the write running on the writer asks to do after its commit. The writer connection is
/// one, and its writes run one at a time, so the write running now is the one that registers.
final class CommitHookCollector: @unchecked Sendable {
    var hooks: [@Sendable () -> Void] = []
    var atEnd: [@Sendable (Database) throws -> Void] = []
    var reports: [String: ReportDelta] = [:]
}

enum CommitHooks {
    private static let current = Mutex<[ObjectIdentifier: CommitHookCollector]>([:])

    static func collecting<T>(into collector: CommitHookCollector, _ db: Database, _ body: () -> T) -> T {
        let key = ObjectIdentifier(db)
        current.withLock { $0[key] = collector }
        defer { _ = current.withLock { $0.removeValue(forKey: key) } }
        return body()
    }

    /// Runs `statement` at the end of the transaction of the write now running on `db`, after
    /// every write of its group and outside their savepoints (in write order; never for a write
    /// rolled back); at once when the write is not grouped.
    ///
    /// For the full-text index: SQLite 3.40's FTS5 flushes what it holds in memory to a new
    /// index segment at every savepoint and statement journal that follows its change in the
    /// transaction, so changing it mid-write cost a segment (and later merges) per ticket, and
    /// a flush for most statements after it.
    static func atEnd(_ db: Database, _ statement: @escaping @Sendable (Database) throws -> Void) throws {
        if let collector = current.withLock({ $0[ObjectIdentifier(db)] }) {
            collector.atEnd.append(statement)
        } else {
            try statement(db)
        }
    }

    /// Adds `delta` to the tenant's kept figures in the transaction of the write now running on
    /// `db`: at its end, summed with its group's other writes' (never for a write rolled back);
    /// at once when the write is not grouped.
    static func addReport(_ db: Database, tenantId: String, _ delta: ReportDelta) throws {
        guard !delta.isEmpty else { return }
        if let collector = current.withLock({ $0[ObjectIdentifier(db)] }) {
            if collector.reports[tenantId] == nil {
                collector.reports[tenantId] = delta
            } else {
                collector.reports[tenantId]!.add(delta)
            }
        } else {
            try SQLiteTicketStore.addReport(delta, tenantId: tenantId, db)
        }
    }

    /// Runs `action` after the commit of the write now running on `db` (in commit order; never
    /// for a write rolled back).
    static func afterCommit(_ db: Database, _ action: @escaping @Sendable () -> Void) {
        if let collector = current.withLock({ $0[ObjectIdentifier(db)] }) {
            collector.hooks.append(action)
        } else {
            db.afterNextTransaction { _ in action() }
        }
    }
}
