import DocketCore
import Foundation
import Synchronization

/// The whole store in memory, behind one lock: every call is atomic, so conditional updates,
/// gap-free counters and claims behave as on SQLite and MongoDB (it passes the same contract
/// suite). It makes the core's tests fast and needs no files; data is gone with the process.
/// Work under the lock is small and never waits on I/O, so it runs on the caller's thread.
public final class MemoryTicketStore: TicketStore {
    let state = Mutex(State())

    public init() {}

    public var description: String { "memory" }

    public func ping() async throws {}

    /// One process owns it: its turns serialise routing.
    public var leases: (any LeaseStore)? { nil }

    // MARK: - Tickets and conversations

    public func createTicket(
        tenantId: String, counterYear: Int, messages: [TicketMessage], build: @escaping @Sendable (Int) throws -> Ticket,
        outbox: CreationOutbox
    ) async throws -> (ticket: Ticket, events: [LiveEvent]) {
        try state.withLock { state in
            let key = CounterKey(tenantId: tenantId, year: counterYear)
            var number = (state.counters[key] ?? 0) + 1
            // A build that throws takes no number.
            var ticket = try build(number)
            // An ID already issued (under another counter, before the format changed) skips its number.
            while state.tickets[ticket.tenantId, default: [:]][ticket.ticketId] != nil {
                number += 1
                ticket = try build(number)
            }
            try state.checkOpenChat(ticket)
            let stored = messages.map { message in
                var message = message
                message.ticketId = ticket.ticketId
                return message
            }
            try state.checkNew(stored, tenantId: tenantId, ticketId: ticket.ticketId)
            let announced = try outbox.outbox(for: ticket)
            state.counters[key] = number
            state.nextRow += 1
            state.tickets[ticket.tenantId, default: [:]][ticket.ticketId] = StoredTicket(row: state.nextRow, ticket: ticket)
            state.append(stored, tenantId: tenantId, ticketId: ticket.ticketId)
            state.customers[tenantId]?[ticket.customerId]?.statistics.totalTickets += 1
            state.reports[tenantId, default: ReportDelta()].add(announced.report)
            return (ticket, state.write(announced))
        }
    }

    public func ticket(tenantId: String, ticketId: String) async throws -> Ticket? {
        state.withLock { $0.tickets[tenantId]?[ticketId]?.ticket }
    }

    public func updateTicket(_ ticket: Ticket, expectedVersion: Int, messages: [TicketMessage], outbox: Outbox) async throws -> [LiveEvent]? {
        try state.withLock { state in
            guard let current = state.tickets[ticket.tenantId]?[ticket.ticketId], current.ticket.version == expectedVersion else {
                return nil
            }
            try state.checkNew(messages, tenantId: ticket.tenantId, ticketId: ticket.ticketId)
            try state.checkOpenChat(ticket)
            state.tickets[ticket.tenantId]?[ticket.ticketId] = StoredTicket(row: current.row, ticket: ticket)
            state.append(messages, tenantId: ticket.tenantId, ticketId: ticket.ticketId)
            state.reports[ticket.tenantId, default: ReportDelta()].add(outbox.report)
            return state.write(outbox)
        }
    }

    public func listTickets(tenantId: String, query: TicketQuery) async throws -> Page<Ticket> {
        let terms = query.search.map(TextFolding.terms)
        let matches = state.withLock { state in
            (state.tickets[tenantId] ?? [:]).values.filter { Self.matches($0.ticket, query, terms: terms) }
        }
        let sorted = matches.sorted { Self.precedes($0, $1, query) }
        let start = min((query.page - 1) * query.limit, sorted.count)
        let items = sorted[start..<min(start + query.limit, sorted.count)].map { stored in
            var ticket = stored.ticket
            ticket.ruleAudit = nil  // lists leave the audit out, as the other stores do
            return ticket
        }
        return Page(
            items: items, page: query.page, limit: query.limit, total: min(sorted.count, TicketQuery.countCap),
            totalIsLowerBound: sorted.count > TicketQuery.countCap)
    }

    static func matches(_ ticket: Ticket, _ query: TicketQuery, terms: [String]?) -> Bool {
        if !query.statuses.isEmpty, !query.statuses.contains(ticket.status) { return false }
        if let category = query.category, ticket.category != category { return false }
        if let priority = query.priority, ticket.priority != priority { return false }
        if let agent = query.assignedAgent, ticket.assignedAgent != (agent.isEmpty ? nil : agent) { return false }
        if let customer = query.customerId, ticket.customerId != customer { return false }
        if let conversation = query.conversationId, ticket.conversationId != conversation { return false }
        if let escalated = query.escalated, ticket.isEscalated != escalated { return false }
        if let queue = query.queue, ticket.queue != (queue.isEmpty ? nil : queue) { return false }
        if let from = query.createdFrom, ticket.createdAt < from { return false }
        if let to = query.createdTo, ticket.createdAt > to { return false }
        if let source = query.source, ticket.source != source { return false }
        if query.resolvedFrom != nil || query.resolvedTo != nil {
            guard let at = ticket.resolution?.resolvedAt else { return false }
            if let from = query.resolvedFrom, at < from { return false }
            if let to = query.resolvedTo, at > to { return false }
        }
        if query.ratedFrom != nil || query.ratedTo != nil {
            guard let at = ticket.customerFeedback?.submittedAt else { return false }
            if let from = query.ratedFrom, at < from { return false }
            if let to = query.ratedTo, at > to { return false }
        }
        if let tag = query.tag, !ticket.tags.contains(tag.lowercased()) { return false }
        if let terms {
            // A search without terms finds nothing, as on the other stores.
            guard !terms.isEmpty else { return false }
            var texts = [TextFolding.fold(ticket.ticketId), TextFolding.fold(ticket.subject), TextFolding.fold(ticket.description)]
            texts += ticket.notes.filter { !$0.isInternal || query.searchInternalNotes }.map { TextFolding.fold($0.content) }
            let words = texts.flatMap { TextFolding.words(ofFolded: $0) }
            // Every term starts a word of the ticket.
            return terms.allSatisfy { term in words.contains { $0.hasPrefix(term) } }
        }
        return true
    }

    /// The order of `listTickets`: the sort field, then creation, then insertion, all in one direction.
    static func precedes(_ a: StoredTicket, _ b: StoredTicket, _ query: TicketQuery) -> Bool {
        let (x, y) = (a.ticket, b.ticket)
        let keys: [(Comparison)] =
            switch query.sortBy {
            case .createdAt: query.search == nil ? [compare(x.createdAt, y.createdAt)] : []
            case .updatedAt: [compare(x.updatedAt, y.updatedAt)]
            case .priority: [compare(x.priority.rank, y.priority.rank), compare(x.createdAt, y.createdAt)]
            case .status: [compare(x.status, y.status), compare(x.createdAt, y.createdAt)]
            case .ticketId: [compare(x.numberingYear, y.numberingYear), compare(x.number, y.number)]
            }
        for key in keys + [compare(a.row, b.row)] where key != .same {
            return (key == .before) == query.ascending
        }
        return false
    }

    enum Comparison { case before, same, after }

    static func compare<T: Comparable>(_ a: T, _ b: T) -> Comparison { a < b ? .before : a == b ? .same : .after }

    public func ticketCounts(tenantId: String, filter: StatsFilter) async throws -> TicketCounts {
        let query = filter.query
        let tickets = state.withLock { state in
            (state.tickets[tenantId] ?? [:]).values.map(\.ticket).filter { Self.matches($0, query, terms: nil) }
        }
        var byStatus: [String: Int] = [:], byPriority: [String: Int] = [:], agents: [String: AgentTicketFigures] = [:]
        for ticket in tickets {
            byStatus[ticket.status, default: 0] += 1
            byPriority[ticket.priority.rawValue, default: 0] += 1
            guard let agent = ticket.assignedAgent else { continue }
            var figures = agents[agent] ?? AgentTicketFigures(
                agentId: agent, assigned: 0, resolved: 0, firstResponseCount: 0, firstResponseTotalSeconds: 0,
                firstResponseMet: 0, firstResponseMeasured: 0, resolutionMet: 0, resolutionMeasured: 0)
            figures.assigned += 1
            if ticket.resolution != nil { figures.resolved += 1 }
            if let first = ticket.sla.firstResponseAt {
                figures.firstResponseCount += 1
                figures.firstResponseTotalSeconds += first.timeIntervalSince(ticket.createdAt)
            }
            if let met = ticket.sla.firstResponseMet {
                figures.firstResponseMeasured += 1
                if met { figures.firstResponseMet += 1 }
            }
            if let met = ticket.sla.resolutionMet {
                figures.resolutionMeasured += 1
                if met { figures.resolutionMet += 1 }
            }
            agents[agent] = figures
        }
        return TicketCounts(
            total: tickets.count, byStatus: byStatus, byPriority: byPriority, escalated: tickets.filter(\.isEscalated).count,
            agents: agents.values.sorted { $0.agentId < $1.agentId })
    }

    public func openTicketCounts(tenantId: String, finished: [String]) async throws -> [String: Int] {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for stored in (state.tickets[tenantId] ?? [:]).values {
                guard let agent = stored.ticket.assignedAgent, !finished.contains(stored.ticket.status) else { continue }
                counts[agent, default: 0] += 1
            }
            return counts
        }
    }

    public func dueTimerTickets(before: Date, limit: Int) async throws -> [TicketRef] {
        let due = state.withLock { state in
            state.tickets.values.flatMap(\.values).compactMap { stored -> (Date, Int, TicketRef)? in
                guard let at = stored.ticket.nextWakeAt, at <= before else { return nil }
                return (at, stored.row, TicketRef(tenantId: stored.ticket.tenantId, ticketId: stored.ticket.ticketId))
            }
        }
        return due.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.prefix(limit).map(\.2)
    }

    public func messages(tenantId: String, ticketId: String, after: Int, limit: Int) async throws -> [TicketMessage] {
        state.withLock { state in
            let all = state.messages[TicketKey(tenantId: tenantId, ticketId: ticketId)] ?? []
            return Array(all.filter { $0.seq > after }.prefix(limit))
        }
    }

    public func updateTicket(
        _ ticket: Ticket, expectedVersion: Int, markingRead mark: ReadMark, outbox: @escaping @Sendable (Int) throws -> Outbox
    ) async throws -> (marked: Int, events: [LiveEvent])? {
        try state.withLock { state in
            guard let current = state.tickets[ticket.tenantId]?[ticket.ticketId], current.ticket.version == expectedVersion else {
                return nil
            }
            state.tickets[ticket.tenantId]?[ticket.ticketId] = StoredTicket(row: current.row, ticket: ticket)
            let key = TicketKey(tenantId: ticket.tenantId, ticketId: ticket.ticketId)
            var changed = 0
            if var all = state.messages[key] {
                for index in all.indices
                where !all[index].isRead && all[index].seq <= mark.through && mark.senders.contains(all[index].senderType) {
                    all[index].isRead = true
                    all[index].readAt = mark.at
                    changed += 1
                }
                state.messages[key] = all
            }
            return (changed, state.write(try outbox(changed)))
        }
    }

    // MARK: - Live events

    public func appendLiveEvents(_ events: [LiveEvent], retain: Int) async throws -> [LiveEvent] {
        guard let tenant = events.first?.tenantId else { return [] }
        precondition(events.allSatisfy { $0.tenantId == tenant }, "one tenant per append")
        return state.withLock { $0.appendLive(events, retain: retain) }
    }

    public func liveEvents(tenantId: String, after: Int, limit: Int) async throws -> [LiveEvent] {
        state.withLock { state in Array((state.liveEvents[tenantId] ?? []).filter { $0.id > after }.prefix(limit)) }
    }

    public func liveEventBounds(tenantId: String) async throws -> LiveEventBounds? {
        state.withLock { state in
            guard let events = state.liveEvents[tenantId], let first = events.first, let last = events.last else { return nil }
            return LiveEventBounds(oldest: first.id, latest: last.id)
        }
    }
}

struct CounterKey: Hashable {
    var tenantId: String
    var year: Int
}

struct TicketKey: Hashable {
    var tenantId: String
    var ticketId: String
}

/// A ticket and the order it was inserted in (the other stores' row id).
struct StoredTicket: Sendable {
    var row: Int
    var ticket: Ticket
}

struct State: Sendable {
    var tenants: [String: Tenant] = [:]
    var mailOutlets: [String: MailOutlet] = [:]
    var mailboxStates: [String: MailboxState] = [:]
    var quarantine: [String: [String: QuarantinedMail]] = [:]
    var files: [String: StoredFile] = [:]
    var packVersions: [String: PackVersion] = [:]
    var counters: [CounterKey: Int] = [:]
    var nextRow = 0
    /// Tenant → ticket ID → ticket.
    var tickets: [String: [String: StoredTicket]] = [:]
    /// Each conversation in `seq` order.
    var messages: [TicketKey: [TicketMessage]] = [:]
    var customers: [String: [String: Customer]] = [:]
    var agents: [String: [String: Agent]] = [:]
    var apiKeys: [String: ApiKey] = [:]
    var webhooks: [String: Webhook] = [:]
    var rollouts: [String: PackRollout] = [:]
    /// Tenant → agent → presence.
    var presence: [String: [String: AgentPresence]] = [:]
    /// Per tenant, the kept report figures.
    var reports: [String: ReportDelta] = [:]
    /// By webhook id, in the order first recorded.
    var deliveries: [String: [WebhookDelivery]] = [:]
    var toolCalls: [TicketKey: ToolCallRecord] = [:]
    var ruleEvents: [String: [RecordedRuleEvent]] = [:]
    var liveCounters: [String: Int] = [:]
    var liveEvents: [String: [LiveEvent]] = [:]
    /// Tenant → lower-cased e-mail → account.
    var accounts: [String: [String: Account]] = [:]
    var sessions: [String: Session] = [:]
    var passwordLinks: [String: PasswordLink] = [:]
    var widgetSecrets: [String: String] = [:]

    /// Stores an outbox (under the same lock as the change it belongs to); the live events with their ids.
    mutating func write(_ outbox: Outbox) -> [LiveEvent] {
        appendRules(outbox.rules)
        let stored = appendLive(outbox.live, retain: outbox.retain)
        outbox.onCommit?(stored)
        return stored
    }

    mutating func appendLive(_ events: [LiveEvent], retain: Int) -> [LiveEvent] {
        guard let tenant = events.first?.tenantId else { return [] }
        precondition(events.allSatisfy { $0.tenantId == tenant }, "one tenant per append")
        let last = (liveCounters[tenant] ?? 0) + events.count
        liveCounters[tenant] = last
        var stored = events
        for index in stored.indices { stored[index].id = last - events.count + 1 + index }
        liveEvents[tenant, default: []] += stored
        // As SQLite trims: every 64th id, down to the latest `retain`.
        if last > retain, (last - events.count) / 64 != last / 64 {
            liveEvents[tenant]?.removeAll { $0.id <= last - retain }
        }
        return stored
    }

    mutating func appendRules(_ events: [RecordedRuleEvent]) {
        for event in events {
            var event = event
            var list = ruleEvents[event.tenantId] ?? []
            event.seq = (list.last?.seq ?? 0) + 1
            list.append(event)
            if list.count > RecordedRuleEvent.retainedPerTenant { list.removeFirst(list.count - RecordedRuleEvent.retainedPerTenant) }
            ruleEvents[event.tenantId] = list
        }
    }

    /// Refuses messages whose `seq` the conversation already has, before anything is written.
    func checkNew(_ new: [TicketMessage], tenantId: String, ticketId: String) throws {
        guard !new.isEmpty else { return }
        let taken = Set((messages[TicketKey(tenantId: tenantId, ticketId: ticketId)] ?? []).map(\.seq))
        var seen = Set<Int>()
        for message in new where taken.contains(message.seq) || !seen.insert(message.seq).inserted {
            throw DocketError(.conflict, "message \(message.seq) of ticket '\(ticketId)' already exists")
        }
    }

    /// One open chat per customer: refuses a ticket whose `openChatOf` another ticket holds.
    func checkOpenChat(_ ticket: Ticket) throws {
        guard let customer = ticket.openChatOf else { return }
        let holder = tickets[ticket.tenantId]?.values.first { $0.ticket.openChatOf == customer && $0.ticket.ticketId != ticket.ticketId }
        if let holder { throw DocketError(.conflict, "customer '\(customer)' already has an open chat (\(holder.ticket.ticketId))") }
    }

    /// Stores messages unread, whatever they say (read marks come from `markMessagesRead`).
    mutating func append(_ new: [TicketMessage], tenantId: String, ticketId: String) {
        guard !new.isEmpty else { return }
        let key = TicketKey(tenantId: tenantId, ticketId: ticketId)
        var all = messages[key] ?? []
        for var message in new {
            message.isRead = false
            message.readAt = nil
            all.append(message)
        }
        all.sort { $0.seq < $1.seq }
        messages[key] = all
    }
}

extension MemoryTicketStore {
    public func waitingTickets(tenantId: String, limit: Int) async throws -> [TicketRef] {
        state.withLock { state in
            (state.tickets[tenantId] ?? [:]).values.compactMap { stored in stored.ticket.waiting.map { ($0.since, stored.row, stored.ticket.ticketId) } }
                .sorted { ($0.0, $0.1) < ($1.0, $1.1) }.prefix(limit).map { TicketRef(tenantId: tenantId, ticketId: $0.2) }
        }
    }

    public func tenantsWithWaitingTickets(limit: Int) async throws -> [String] {
        state.withLock { state in
            Array(state.tickets.filter { $0.value.values.contains { $0.ticket.waiting != nil } }.keys.sorted().prefix(limit))
        }
    }
}
