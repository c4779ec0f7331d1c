import DocketCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Wakes the relay early: a change stream saw an event stored (`poke`), so the log is read now
/// rather than at the next poll.
public final class RelayWake: Sendable {
    private struct State {
        var poked = false
        var cancelled = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    public init() {}

    public func poke() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard let waiter = state.waiter else {
                state.poked = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when poked (at once if poked meanwhile) or after `timeout`.
    func wait(upTo timeout: Duration) async {
        state.withLock { $0.cancelled = false }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.nextPoke() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func nextPoke() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now: Bool = state.withLock { state in
                    if state.poked || state.cancelled {
                        state.poked = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}

/// Carries events other server instances stored into this instance's WebSocket clients, for
/// deployments where several `docket serve` share one MongoDB. It reads each watched tenant's
/// log by id (index-backed): at once when `wake` is poked (a change stream saw an insert), and
/// otherwise polling every `minDelay` while events flow, backing off to `maxDelay` when quiet. Ids are taken before the insert, so a later id can land first: the
/// relay waits up to `gapWait` for a missing id before going past it. Stops at graceful shutdown.
public struct LiveRelay: Service {
    let log: LiveEventLog
    let store: any LiveEventStore
    /// The tenants to watch, each with the id its clients were told is the latest (the relay
    /// delivers what comes after it; nil: from the latest stored when first seen).
    let tenants: @Sendable () -> [(tenant: String, after: Int?)]
    let logger: Logger
    var minDelay: Duration = .milliseconds(25)
    var maxDelay: Duration = .milliseconds(250)
    var gapWait: Duration = .seconds(2)
    /// Poked by the change stream, when there is one.
    let wake: RelayWake?

    public init(
        _ log: LiveEventLog, store: any LiveEventStore, tenants: @escaping @Sendable () -> [(tenant: String, after: Int?)], logger: Logger,
        wake: RelayWake? = nil
    ) {
        self.log = log
        self.store = store
        self.tenants = tenants
        self.logger = logger
        self.wake = wake
    }

    public func run() async {
        var cursors: [String: Int] = [:]
        var gaps: [String: ContinuousClock.Instant] = [:]
        var delay = minDelay
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var moved = false
            for (tenant, after) in tenants() {
                do {
                    guard let cursor = try await Self.start(cursors[tenant] ?? after, tenant, store) else { continue }
                    let events = try await store.liveEvents(tenantId: tenant, after: cursor, limit: 500)
                    var next = cursor
                    var accepted: [LiveEvent] = []
                    for event in events {
                        if event.id != next + 1 {
                            let since = gaps[tenant] ?? .now
                            gaps[tenant] = since
                            // A missing id is an append still in flight (or one that failed): wait, then skip it.
                            guard ContinuousClock.now - since > gapWait else { break }
                            logger.debug("live relay skips missing event ids", metadata: ["tenant": "\(tenant)", "from": "\(next + 1)", "to": "\(event.id - 1)"])
                        }
                        gaps[tenant] = nil
                        accepted.append(event)
                        next = event.id
                    }
                    cursors[tenant] = next
                    if !accepted.isEmpty {
                        moved = true
                        log.receiveRemote(accepted)
                    }
                } catch {
                    logger.warning("live relay cannot read the event log", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
                }
            }
            delay = moved ? minDelay : min(delay * 2, maxDelay)
            if let wake {
                // A gap is waited out by polling; otherwise the change stream says when to read.
                let pause = gaps.isEmpty ? maxDelay : minDelay
                try? await cancelWhenGracefulShutdown { await wake.wait(upTo: pause) }
            } else {
                try? await cancelWhenGracefulShutdown { [delay] in try await Task.sleep(for: delay) }
            }
        }
    }

    /// Where a newly watched tenant starts: where its clients were told the log stood, else at
    /// its latest stored event (clients replay older ones themselves with since=).
    private static func start(_ cursor: Int?, _ tenant: String, _ store: any LiveEventStore) async throws -> Int? {
        if let cursor { return cursor }
        return try await store.liveEventBounds(tenantId: tenant)?.latest ?? 0
    }
}

/// Runs the change stream that wakes the relay (MongoDB), and says in the log whether
/// cross-instance delivery follows a change stream or polls.
struct LiveWatchService: Service {
    let start: @Sendable (_ onInsert: @escaping @Sendable (String) -> Void, _ onState: @escaping @Sendable (String, Bool) -> Void) -> (@Sendable () -> Void)
    let wake: RelayWake
    let logger: Logger

    func run() async throws {
        let logger = logger
        let wake = wake
        let stop = start({ _ in wake.poke() }) { state, following in
            if following {
                logger.info("live events from other instances: change stream on the event log (polling stays as a fallback)")
            } else {
                logger.info("live events from other instances: polling the event log", metadata: ["why": "\(state)"])
            }
        }
        try? await gracefulShutdown()
        stop()
    }
}

/// Finishes outbox moves a crash interrupted (MongoDB: a change's messages and events ride in
/// the ticket's write and are moved out right after it). At start every waiting batch is moved;
/// then, every `interval`, the batches that have waited longer than it (an instance that died
/// mid-move, this one or another).
struct OutboxSweeper: Service {
    let move: @Sendable (_ olderThan: TimeInterval) async throws -> Int
    let logger: Logger
    var interval: Duration = .seconds(5)

    func run() async throws {
        var age: TimeInterval = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let moved = try await move(age)
                if moved > 0 {
                    logger.notice("outbox: moved the messages and events a stopped writer left in their tickets", metadata: ["batches": "\(moved)"])
                }
            } catch {
                logger.warning("outbox sweeper cannot read the tickets", metadata: ["error": "\(error)"])
            }
            age = Double(interval.components.seconds)
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
    }
}

/// Adds the report deltas changes left in `report_deltas` to the kept figures (MongoDB), every
/// second on every instance; folders on several instances take turns through their transactions.
struct ReportFolder: Service {
    let fold: @Sendable () async throws -> Int
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        var failing = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                _ = try await fold()
                failing = false
            } catch {
                if !failing { logger.warning("report folder cannot fold the figures changes left", metadata: ["error": "\(error)"]) }
                failing = true
            }
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
    }
}
