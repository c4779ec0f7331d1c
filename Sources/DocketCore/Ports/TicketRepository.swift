import Foundation

/// Filters, order and page of a ticket list.
public struct TicketQuery: Sendable, Equatable {
    public enum SortField: String, Sendable, CaseIterable {
        case createdAt, updatedAt, priority, status, ticketId
    }

    public var statuses: [String] = []
    public var category: String?
    public var priority: Priority?
    /// An agent id; `assignedAgent = ""` selects unassigned tickets.
    public var assignedAgent: String?
    public var customerId: String?
    public var conversationId: String?
    public var tag: String?
    public var escalated: Bool?
    /// The queue a rule routed the ticket to.
    public var queue: String?
    public var createdFrom: Date?
    public var createdTo: Date?
    /// Full-text terms over ticket ID, subject, description and notes.
    public var search: String?
    /// Whether `search` also looks into internal notes (staff only).
    public var searchInternalNotes = false
    public var sortBy: SortField = .createdAt
    public var ascending = false
    public var page = 1
    public var limit = 20

    public init() {}

    public static let maxLimit = 100
    /// Lists count matching tickets up to this many; beyond, `total` is this and marked as a
    /// lower bound (counting every match would make a list as slow as the data is large).
    public static let countCap = 10_000
    /// The most statuses one list asks for (`status=a,b,...`); each count is a statement of its own.
    public static let maxStatuses = 32
}

public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var page: Int
    public var limit: Int
    public var total: Int
    /// `total` is a lower bound: more items match than were counted.
    public var totalIsLowerBound: Bool

    public init(items: [Item], page: Int, limit: Int, total: Int, totalIsLowerBound: Bool = false) {
        self.items = items
        self.page = page
        self.limit = limit
        self.total = total
        self.totalIsLowerBound = totalIsLowerBound
    }

    public var pages: Int { limit == 0 ? 0 : (total + limit - 1) / limit }
}

/// Restricts the statistics to one agent or one customer.
public struct StatsFilter: Sendable, Equatable {
    public var assignedAgent: String?
    public var customerId: String?
    public var createdFrom: Date?
    public var createdTo: Date?

    public init(assignedAgent: String? = nil, customerId: String? = nil, createdFrom: Date? = nil, createdTo: Date? = nil) {
        self.assignedAgent = assignedAgent
        self.customerId = customerId
        self.createdFrom = createdFrom
        self.createdTo = createdTo
    }
}

/// Raw per-agent figures the store aggregates.
public struct AgentTicketFigures: Sendable, Equatable {
    public var agentId: String
    public var assigned: Int
    public var resolved: Int
    public var firstResponseCount: Int
    public var firstResponseTotalSeconds: Double
    public var firstResponseMet: Int
    public var firstResponseMeasured: Int
    public var resolutionMet: Int
    public var resolutionMeasured: Int

    public init(
        agentId: String, assigned: Int, resolved: Int, firstResponseCount: Int, firstResponseTotalSeconds: Double,
        firstResponseMet: Int, firstResponseMeasured: Int, resolutionMet: Int, resolutionMeasured: Int
    ) {
        self.agentId = agentId
        self.assigned = assigned
        self.resolved = resolved
        self.firstResponseCount = firstResponseCount
        self.firstResponseTotalSeconds = firstResponseTotalSeconds
        self.firstResponseMet = firstResponseMet
        self.firstResponseMeasured = firstResponseMeasured
        self.resolutionMet = resolutionMet
        self.resolutionMeasured = resolutionMeasured
    }
}

public struct TicketCounts: Sendable, Equatable {
    public var total: Int
    public var byStatus: [String: Int]
    public var byPriority: [String: Int]
    public var escalated: Int
    public var agents: [AgentTicketFigures]

    public init(total: Int, byStatus: [String: Int], byPriority: [String: Int], escalated: Int, agents: [AgentTicketFigures]) {
        self.total = total
        self.byStatus = byStatus
        self.byPriority = byPriority
        self.escalated = escalated
        self.agents = agents
    }
}

/// What a change announces, written with the change (the transactional outbox): its live
/// events, which get the tenant's next ids in that write, and the rule events recorded for
/// `simulate`. Delivery happens after the commit, from what the write returned.
public struct Outbox: Sendable {
    /// One tenant's live events, in order, without ids.
    public var live: [LiveEvent]
    public var rules: [RecordedRuleEvent]
    /// Live events kept per tenant: older ones are dropped in the same write.
    public var retain: Int
    /// Called with the stored live events once the write committed, in commit order (SQLite:
    /// on the writer, right after the commit; memory: under the store's lock). Must only queue.
    public var onCommit: (@Sendable ([LiveEvent]) -> Void)?

    public init(
        live: [LiveEvent] = [], rules: [RecordedRuleEvent] = [], retain: Int = 10_000, onCommit: (@Sendable ([LiveEvent]) -> Void)? = nil
    ) {
        self.live = live
        self.rules = rules
        self.retain = retain
        self.onCommit = onCommit
    }

    public static let empty = Outbox()
}

/// The outbox of a ticket being created: its recorded rule events are known before the ticket
/// is numbered (the store names the ticket in them, as in its first messages); its live events
/// are made from the built ticket.
public struct CreationOutbox: Sendable {
    /// The store sets each one's `ticketId` from the built ticket.
    public var rules: [RecordedRuleEvent]
    public var live: @Sendable (Ticket) throws -> [LiveEvent]
    public var retain: Int
    public var onCommit: (@Sendable ([LiveEvent]) -> Void)?

    public init(
        rules: [RecordedRuleEvent] = [], retain: Int = 10_000, onCommit: (@Sendable ([LiveEvent]) -> Void)? = nil,
        live: @escaping @Sendable (Ticket) throws -> [LiveEvent] = { _ in [] }
    ) {
        self.rules = rules
        self.live = live
        self.retain = retain
        self.onCommit = onCommit
    }

    public static let empty = CreationOutbox()

    /// The outbox of the built ticket.
    public func outbox(for ticket: Ticket) throws -> Outbox {
        Outbox(
            live: try live(ticket), rules: rules.map { var record = $0; record.ticketId = ticket.ticketId; return record }, retain: retain,
            onCommit: onCommit)
    }
}

/// Tickets and their conversations: the aggregate every lifecycle change writes. A ticket,
/// the messages that join its conversation, its counters and its outbox change in one write.
public protocol TicketRepository: Sendable {
    /// Atomically takes the next number of (tenant, counterYear), builds the ticket with it,
    /// inserts it and adds one to the customer's ticket count. Numbers have no gaps and no duplicates.
    /// `messages` (the ticket's first ones, `seq` from 1) are stored with it; the store sets
    /// their `ticketId` from the built ticket. `outbox` (given the built ticket) is stored in
    /// the same write (MongoDB: inside the ticket's document, moved out after it); answers the ticket and its
    /// live events with their ids.
    func createTicket(
        tenantId: String, counterYear: Int, messages: [TicketMessage], build: @escaping @Sendable (_ number: Int) throws -> Ticket,
        outbox: CreationOutbox
    ) async throws -> (ticket: Ticket, events: [LiveEvent])
    /// The ticket with its rule audit.
    func ticket(tenantId: String, ticketId: String) async throws -> Ticket?
    /// Replaces the ticket if its stored version is `expectedVersion` (the new one carries
    /// `expectedVersion + 1`); returns false if someone else changed it first.
    /// With `messages` (the next `seq`s of the ticket's conversation), the messages are stored
    /// with the ticket: both or neither; so is `outbox`. Answers the stored live events (with
    /// their ids), or nil when someone else changed the ticket first (nothing was written).
    func updateTicket(_ ticket: Ticket, expectedVersion: Int, messages: [TicketMessage], outbox: Outbox) async throws -> [LiveEvent]?
    /// A page of tickets (without their rule audit), filtered and sorted; `total` counts up to `TicketQuery.countCap`.
    func listTickets(tenantId: String, query: TicketQuery) async throws -> Page<Ticket>
    func ticketCounts(tenantId: String, filter: StatsFilter) async throws -> TicketCounts
    /// Tickets per assigned agent whose status is not one of `finished`.
    func openTicketCounts(tenantId: String, finished: [String]) async throws -> [String: Int]

    /// The ticket's messages with `seq > after`, oldest first.
    func messages(tenantId: String, ticketId: String, after: Int, limit: Int) async throws -> [TicketMessage]
    /// Replaces the ticket if its stored version is `expectedVersion` and, in the same write,
    /// marks read its unread messages from `mark.senders` with `seq <= mark.through`; returns
    /// how many were marked, or nil when someone else changed the ticket first. The ticket's
    /// unread counter and the messages' read marks cannot drift apart: a message written
    /// meanwhile changed the version, so the caller retries. (SQLite and the memory store mark
    /// nothing on a lost race; MongoDB, without transactions, may have marked messages the
    /// retry then counts as read — above the truth for that moment, never below.)
    /// The outbox (given how many were marked) is written as with `updateTicket(_:expectedVersion:messages:outbox:)`.
    func updateTicket(
        _ ticket: Ticket, expectedVersion: Int, markingRead mark: ReadMark, outbox: @escaping @Sendable (_ marked: Int) throws -> Outbox
    ) async throws -> (marked: Int, events: [LiveEvent])?
}

/// What a reader has read: one side's messages up to a sequence number.
public struct ReadMark: Sendable, Equatable {
    public var senders: [MessageSender]
    public var through: Int
    public var at: Date

    public init(senders: [MessageSender], through: Int, at: Date) {
        self.senders = senders
        self.through = through
        self.at = at
    }
}

/// The SLA clock's timers: each open ticket's next warning or breach.
public protocol SLATimerStore: Sendable {
    /// Tickets (of any tenant) whose next SLA warning or breach is at or before `before`,
    /// earliest first.
    func dueSLATickets(before: Date, limit: Int) async throws -> [TicketRef]
}

extension TicketRepository {
    public func createTicket(
        tenantId: String, counterYear: Int, messages: [TicketMessage] = [], build: @escaping @Sendable (_ number: Int) throws -> Ticket
    ) async throws -> Ticket {
        try await createTicket(tenantId: tenantId, counterYear: counterYear, messages: messages, build: build, outbox: .empty).ticket
    }

    public func updateTicket(_ ticket: Ticket, expectedVersion: Int, markingRead mark: ReadMark) async throws -> Int? {
        try await updateTicket(ticket, expectedVersion: expectedVersion, markingRead: mark, outbox: { _ in .empty })?.marked
    }

    public func updateTicket(_ ticket: Ticket, expectedVersion: Int, messages: [TicketMessage] = []) async throws -> Bool {
        try await updateTicket(ticket, expectedVersion: expectedVersion, messages: messages, outbox: .empty) != nil
    }
}
