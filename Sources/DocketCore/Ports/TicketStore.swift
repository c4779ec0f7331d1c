import Foundation

/// Where Docket keeps its data: every port of the store, one adapter behind them all. Every
/// adapter (memory, SQLite, MongoDB) passes the same contract suite.
///
/// Every method is scoped by tenant; no call reads or writes another tenant's data.
/// Errors are `DocketError`s (`.conflict` for duplicates, `.storeUnavailable` when down).
public protocol TicketStore: TicketRepository, SLATimerStore, LiveEventStore, TenantStore, RuleEventStore, PeopleStore,
    ApiKeyStore, ToolCallStore, AccountStore, WebhookStore
{
    /// Cheap round trip used by `/health`.
    func ping() async throws
    /// A short description for logs and `/health` (kind and location).
    var description: String { get }
    /// What a change's rules read besides the ticket: its customer, and each agent's tickets
    /// whose status is not one of `finished` (`openTicketCounts`). One read where the store
    /// can (each read is a hop to the store's threads and back).
    func ruleInputs(tenantId: String, customerId: String, finished: [String]) async throws -> RuleInputs
    /// The ticket (with its audit) and its `ruleInputs`, in one read where the store can: what
    /// a change whose rules may run reads. Nil when there is no such ticket.
    func ticketWithRuleInputs(tenantId: String, ticketId: String, finished: [String]) async throws -> (ticket: Ticket, inputs: RuleInputs)?
}

/// What `TicketStore.ruleInputs` reads.
public struct RuleInputs: Sendable, Equatable {
    public var customer: Customer?
    public var openTickets: [String: Int]

    public init(customer: Customer?, openTickets: [String: Int]) {
        self.customer = customer
        self.openTickets = openTickets
    }
}

extension TicketStore {
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
