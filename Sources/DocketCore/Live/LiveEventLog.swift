import Foundation

/// Settings of the event log.
public struct LiveEventSettings: Sendable {
    /// Events kept per tenant for reconnecting clients (`events.retention`); older ones are
    /// dropped, and a client asking from before them gets a `resync`.
    public var retainedPerTenant: Int
    /// Names this server instance in the events it produces.
    public var origin: String
    /// This instance is the only writer of the log (the embedded store): changes' events reach
    /// the sinks in commit order, which is id order. Instances sharing a MongoDB interleave
    /// ids, so theirs go out as they come (the relay orders what it reads).
    public var ordered: Bool

    public init(retainedPerTenant: Int = 10_000, origin: String = IdentifierGenerator.make(), ordered: Bool = true) {
        self.retainedPerTenant = retainedPerTenant
        self.origin = origin
        self.ordered = ordered
    }
}

/// Every live event goes through here. A ticket change's events are written with the change
/// (its outbox) and told here as the write commits (`didCommit`), then handed to the sinks (the
/// WebSocket hub) of this instance after the commit (`publish`). Events that belong to no ticket
/// write (a pack switch, typing) are stored here (`emit`). Other instances pick stored events up
/// from the log (`receiveRemote`).
public final class LiveEventLog: @unchecked Sendable {
    // `sinks`, `waiting` and `flushing` are guarded by `lock`.
    private let lock = NSLock()
    private var sinks: [any LiveEventSink] = []
    /// Events of concurrent changes waiting for the next group write, with who waits for them.
    private var waiting: [(events: [LiveEvent], done: CheckedContinuation<Bool, Never>?)] = []
    private var flushing = false
    let store: any LiveEventStore
    public let settings: LiveEventSettings
    /// Told when an event could not be stored (it is still delivered live, with id 0).
    let onFailure: (@Sendable (any Error) -> Void)?

    public init(store: any LiveEventStore, settings: LiveEventSettings = .init(), onFailure: (@Sendable (any Error) -> Void)? = nil) {
        self.store = store
        self.settings = settings
        self.onFailure = onFailure
    }

    public var origin: String { settings.origin }

    public func addSink(_ sink: any LiveEventSink) {
        lock.withLock { sinks.append(sink) }
    }

    /// Stored events in commit order, told by the store as each write commits, waiting to be
    /// handed to the sinks (`settings.ordered`).
    private var committed: [LiveEvent] = []
    /// Serializes deliveries so that what was taken from `committed` first reaches the sinks first.
    private let delivering = NSLock()

    private func deliver(_ events: [LiveEvent]) {
        guard !events.isEmpty else { return }
        for sink in lock.withLock({ sinks }) { sink.deliver(events) }
    }

    /// What the store calls as a change commits (on its writer, in commit order): queues only.
    public func didCommit(_ events: [LiveEvent]) {
        guard !events.isEmpty else { return }
        lock.withLock { committed += events }
    }

    /// Hands everything committed so far to the sinks, in commit order: whichever writer comes
    /// first delivers the others' events too.
    private func deliverCommitted() {
        delivering.withLock {
            let batch: [LiveEvent] = lock.withLock {
                defer { committed.removeAll(keepingCapacity: true) }
                return committed
            }
            deliver(batch)
        }
    }

    /// The hook a change's outbox carries, when deliveries follow commit order.
    public var commitHook: (@Sendable ([LiveEvent]) -> Void)? {
        guard settings.ordered else { return nil }
        let hook: @Sendable ([LiveEvent]) -> Void = { [weak self] events in self?.didCommit(events) }
        return hook
    }

    /// Delivers what a change's write stored (its outbox's live events, with their ids): in
    /// commit order when this instance is the log's only writer, else as they come.
    public func publish(_ stored: [LiveEvent]) {
        if settings.ordered { deliverCommitted() } else { deliver(stored) }
    }

    /// Stores `events` (one tenant's, in order) and delivers them here; returns once they are
    /// stored and handed to the sinks. An ephemeral event is only delivered.
    ///
    /// Group commit: while one caller writes, the events of concurrent callers gather, and the
    /// next write takes them all (one store transaction per tenant instead of one per change).
    /// The writer delivers everything it wrote in id order, then wakes the callers.
    func emit(_ events: [LiveEvent]) async {
        guard let first = events.first else { return }
        var events = events
        for index in events.indices { events[index].origin = settings.origin }
        if first.type.isEphemeral {
            deliver(events)
            return
        }
        // Either this caller leads (nobody is writing: it writes everything waiting, its own
        // events included) or it waits for the writer to take its events; the writer resumes it
        // with `false`. Leading is decided under the lock, so no event is left without a writer.
        let leadNow: Bool = lock.withLock {
            if flushing { return false }
            flushing = true
            waiting.append((events, nil))
            return true
        }
        if leadNow { return await flush() }
        let lead: Bool = await withCheckedContinuation { continuation in
            let lead: Bool = lock.withLock {
                if flushing {
                    waiting.append((events, continuation))
                    return false
                }
                flushing = true
                waiting.append((events, nil))
                return true
            }
            if lead { continuation.resume(returning: true) }
        }
        if lead { await flush() }
    }

    /// Writes and delivers what is waiting until nothing is.
    private func flush() async {
        while true {
            let batch: [(events: [LiveEvent], done: CheckedContinuation<Bool, Never>?)] = lock.withLock {
                defer { waiting = [] }
                if waiting.isEmpty { flushing = false }
                return waiting
            }
            if batch.isEmpty { return }
            var order: [String] = []
            var byTenant: [String: [LiveEvent]] = [:]
            for entry in batch {
                for event in entry.events {
                    if byTenant[event.tenantId] == nil { order.append(event.tenantId) }
                    byTenant[event.tenantId, default: []].append(event)
                }
            }
            for tenant in order {
                var events = byTenant[tenant]!
                do {
                    events = try await store.appendLiveEvents(events, retain: settings.retainedPerTenant)
                } catch {
                    onFailure?(error)
                }
                delivering.withLock { deliver(events) }
            }
            for entry in batch { entry.done?.resume(returning: false) }
        }
    }

    /// Events another instance stored, seen in the log: delivered to this instance's clients.
    public func receiveRemote(_ events: [LiveEvent]) {
        deliver(events.filter { $0.origin != settings.origin })
    }

    /// The tenant's latest stored event id (0 before the first).
    public func latestId(tenantId: String) async throws -> Int {
        try await store.liveEventBounds(tenantId: tenantId)?.latest ?? 0
    }

    /// What a client that last saw `after` missed, at most `limit` events, oldest first.
    public func replay(tenantId: String, after: Int, limit: Int) async throws -> LiveReplay {
        guard let bounds = try await store.liveEventBounds(tenantId: tenantId) else {
            return LiveReplay(events: [], resync: after > 0, latestId: 0)
        }
        if after > bounds.latest {
            // From a future (or another server's) log: nothing of it can be trusted.
            return LiveReplay(events: [], resync: true, latestId: bounds.latest)
        }
        let resync = after + 1 < bounds.oldest
        let events = try await store.liveEvents(tenantId: tenantId, after: max(after, bounds.oldest - 1), limit: limit)
        return LiveReplay(events: events, resync: resync, latestId: bounds.latest)
    }
}

/// The payloads of ticket events: what a list or a board needs to update a row, without
/// notes, history or audit (those are fetched over REST).
public struct LiveTicketSummary: Codable, Sendable, Equatable {
    public var ticketId: String
    public var subject: String
    public var status: String
    public var priority: Priority
    public var category: String
    public var queue: String?
    public var assignedAgent: String?
    public var customerId: String?
    public var escalated: Bool
    public var unreadStaff: Int
    public var unreadCustomer: Int
    public var lastMessage: MessagePreview?
    public var updatedAt: Date
    public var version: Int

    public init(_ ticket: Ticket) {
        ticketId = ticket.ticketId
        subject = ticket.subject
        status = ticket.status
        priority = ticket.priority
        category = ticket.category
        queue = ticket.queue
        assignedAgent = ticket.assignedAgent
        customerId = ticket.customerId
        escalated = ticket.isEscalated
        unreadStaff = ticket.chat?.unreadStaff ?? 0
        unreadCustomer = ticket.chat?.unreadCustomer ?? 0
        lastMessage = ticket.chat?.lastMessage
        updatedAt = ticket.updatedAt
        version = ticket.version
    }
}
