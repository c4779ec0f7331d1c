import Foundation

/// The scheduler's work: each ticket's next wake-up (`Ticket.nextWakeAt`: its next SLA
/// warning or breach, or its earliest rule timer), indexed by the store.
public protocol TimerStore: Sendable {
    /// Tickets (of any tenant) whose next wake-up is at or before `before`, earliest first.
    func dueTimerTickets(before: Date, limit: Int) async throws -> [TicketRef]
    /// The tenant's tickets waiting for an agent to come online (`Ticket.waiting`), oldest
    /// first, at most `limit`.
    func waitingTickets(tenantId: String, limit: Int) async throws -> [TicketRef]
    /// Tenants that have tickets waiting for an agent, at most `limit`.
    func tenantsWithWaitingTickets(limit: Int) async throws -> [String]
}

/// A ticket named across tenants (the scheduler's work list).
public struct TicketRef: Sendable, Equatable, Hashable {
    public var tenantId: String
    public var ticketId: String

    public init(tenantId: String, ticketId: String) {
        self.tenantId = tenantId
        self.ticketId = ticketId
    }
}
