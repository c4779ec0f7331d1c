import Foundation

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
    /// What a change's rules read besides the ticket: its customer, and each agent's tickets
    /// whose status is not one of `finished` (`openTicketCounts`). One read where the store
    /// can (each read is a hop to the store's threads and back).
    func ruleInputs(tenantId: String, customerId: String, finished: [String]) async throws -> RuleInputs
    /// The ticket (with its audit) and its `ruleInputs`, in one read where the store can: what
    /// a change whose rules may run reads. Nil when there is no such ticket.
    func ticketWithRuleInputs(tenantId: String, ticketId: String, finished: [String]) async throws -> (ticket: Ticket, inputs: RuleInputs)?
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

/// What `TicketRepository.ruleInputs` reads.
public struct RuleInputs: Sendable, Equatable {
    public var customer: Customer?
    public var openTickets: [String: Int]
    /// The agents' presence, when the adapter read it with the rest (nil: read it apart).
    public var presence: [String: PresenceMark]?

    public init(customer: Customer?, openTickets: [String: Int], presence: [String: PresenceMark]? = nil) {
        self.customer = customer
        self.openTickets = openTickets
        self.presence = presence
    }
}

/// One read where the adapter has no better way: the customer (a `PeopleStore` read) and the
/// agents' loads, each read apart.
extension TicketRepository where Self: PeopleStore {
    public func ruleInputs(tenantId: String, customerId: String, finished: [String]) async throws -> RuleInputs {
        RuleInputs(
            customer: try await customer(tenantId: tenantId, id: customerId),
            openTickets: try await openTicketCounts(tenantId: tenantId, finished: finished))
    }

    public func ticketWithRuleInputs(tenantId: String, ticketId: String, finished: [String]) async throws -> (ticket: Ticket, inputs: RuleInputs)? {
        guard let ticket = try await ticket(tenantId: tenantId, ticketId: ticketId) else { return nil }
        return (ticket, try await ruleInputs(tenantId: tenantId, customerId: ticket.customerId, finished: finished))
    }
}
