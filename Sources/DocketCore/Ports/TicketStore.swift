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

/// Where Docket keeps its data. Every adapter passes the same contract suite.
///
/// Every method is scoped by tenant; no call reads or writes another tenant's data.
/// Errors are `DocketError`s (`.conflict` for duplicates, `.storeUnavailable` when down).
public protocol TicketStore: Sendable {
    /// Cheap round trip used by `/health`.
    func ping() async throws
    /// A short description for logs and `/health` (kind and location).
    var description: String { get }

    func tenant(id: String) async throws -> Tenant?
    /// Inserts a tenant; `.conflict` if the id exists.
    func insertTenant(_ tenant: Tenant) async throws
    /// Replaces the tenant if its stored version is `expectedVersion`; returns false otherwise.
    func updateTenant(_ tenant: Tenant, expectedVersion: Int) async throws -> Bool

    /// Atomically takes the next number of (tenant, counterYear), builds the ticket with it,
    /// inserts it and adds one to the customer's ticket count. Numbers have no gaps and no duplicates.
    /// `messages` (the ticket's first ones, `seq` from 1) are stored with it; the store sets
    /// their `ticketId` from the built ticket.
    func createTicket(
        tenantId: String, counterYear: Int, messages: [TicketMessage], build: @Sendable (_ number: Int) throws -> Ticket
    ) async throws -> Ticket
    func ticket(tenantId: String, ticketId: String) async throws -> Ticket?
    /// Replaces the ticket if its stored version is `expectedVersion` (the new one carries
    /// `expectedVersion + 1`); returns false if someone else changed it first.
    /// With `messages` (the next `seq`s of the ticket's conversation), the messages are stored
    /// with the ticket: both or neither.
    func updateTicket(_ ticket: Ticket, expectedVersion: Int, messages: [TicketMessage]) async throws -> Bool
    func listTickets(tenantId: String, query: TicketQuery) async throws -> Page<Ticket>
    func ticketCounts(tenantId: String, filter: StatsFilter) async throws -> TicketCounts
    /// Tickets per assigned agent whose status is not one of `finished`.
    func openTicketCounts(tenantId: String, finished: [String]) async throws -> [String: Int]

    /// Inserts a customer; `.conflict` if the id or phone number is taken in the tenant.
    func insertCustomer(_ customer: Customer) async throws
    func customer(tenantId: String, id: String) async throws -> Customer?
    func listCustomers(tenantId: String, page: Int, limit: Int) async throws -> Page<Customer>

    /// Inserts an agent; `.conflict` if the id or email is taken in the tenant.
    func insertAgent(_ agent: Agent) async throws
    func agent(tenantId: String, id: String) async throws -> Agent?
    func listAgents(tenantId: String, page: Int, limit: Int) async throws -> Page<Agent>

    /// Tenants by id, a page at a time (platform administration).
    func listTenants(page: Int, limit: Int) async throws -> Page<Tenant>

    /// Stores an immutable pack version; `.conflict` if (packId, version) exists.
    func insertPackVersion(_ version: PackVersion) async throws
    func packVersion(packId: String, version: String) async throws -> PackVersion?
    /// Every stored version of every pack, without files.
    func packVersionSummaries() async throws -> [PackVersionSummary]

    /// Appends recorded events (the store assigns `seq`) and drops a tenant's events beyond
    /// `RecordedRuleEvent.retainedPerTenant`.
    func appendRuleEvents(_ events: [RecordedRuleEvent]) async throws
    /// The tenant's latest recorded events, newest first.
    func recentRuleEvents(tenantId: String, limit: Int) async throws -> [RecordedRuleEvent]

    /// The customer with this (normalised) phone number in the tenant.
    func customer(tenantId: String, phone: String) async throws -> Customer?

    /// Stores a new API key; `.conflict` if the id exists.
    func insertApiKey(_ key: ApiKey) async throws
    func apiKey(id: String) async throws -> ApiKey?
    func listApiKeys(tenantId: String) async throws -> [ApiKey]
    /// Marks the key revoked; false when the tenant has no such key or it is already revoked.
    func revokeApiKey(tenantId: String, id: String, by: String, at: Date) async throws -> Bool

    /// Claims `callId` for the tenant: nil when this caller claimed it now (do the work, then
    /// `completeToolCall`), or the existing record (its output is nil while the first call runs).
    func claimToolCall(tenantId: String, callId: String, at: Date) async throws -> ToolCallRecord?
    func completeToolCall(tenantId: String, callId: String, output: String) async throws

    /// Tickets (of any tenant) whose next SLA warning or breach is at or before `before`,
    /// earliest first.
    func dueSLATickets(before: Date, limit: Int) async throws -> [TicketRef]

    /// The ticket's messages with `seq > after`, oldest first.
    func messages(tenantId: String, ticketId: String, after: Int, limit: Int) async throws -> [TicketMessage]
    /// Marks the unread messages of the ticket sent by one of `senders` as read at `at`;
    /// returns how many changed.
    func markMessagesRead(tenantId: String, ticketId: String, from senders: [MessageSender], at: Date) async throws -> Int

    /// Stores one tenant's events in order, giving each the tenant's next id, and drops the
    /// tenant's events older than the latest `retain`. Returns the events with their ids.
    func appendLiveEvents(_ events: [LiveEvent], retain: Int) async throws -> [LiveEvent]
    /// The tenant's stored events with `id > after`, oldest first.
    func liveEvents(tenantId: String, after: Int, limit: Int) async throws -> [LiveEvent]
    /// The oldest and latest stored ids of the tenant; nil when it has none.
    func liveEventBounds(tenantId: String) async throws -> LiveEventBounds?
}

public struct LiveEventBounds: Sendable, Equatable {
    public var oldest: Int
    public var latest: Int

    public init(oldest: Int, latest: Int) {
        self.oldest = oldest
        self.latest = latest
    }
}

extension TicketStore {
    public func createTicket(
        tenantId: String, counterYear: Int, build: @Sendable (_ number: Int) throws -> Ticket
    ) async throws -> Ticket {
        try await createTicket(tenantId: tenantId, counterYear: counterYear, messages: [], build: build)
    }

    public func updateTicket(_ ticket: Ticket, expectedVersion: Int) async throws -> Bool {
        try await updateTicket(ticket, expectedVersion: expectedVersion, messages: [])
    }
}
