import Foundation

/// The SLA clock's timers: each open ticket's next warning or breach.
public protocol SLATimerStore: Sendable {
    /// Tickets (of any tenant) whose next SLA warning or breach is at or before `before`,
    /// earliest first.
    func dueSLATickets(before: Date, limit: Int) async throws -> [TicketRef]
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
