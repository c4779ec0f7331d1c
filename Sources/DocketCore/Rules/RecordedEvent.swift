import Foundation

/// A lifecycle event as the rules saw it, kept so a candidate pack can be replayed against
/// real traffic (`simulate`). The ticket is the snapshot the rules received, without notes,
/// history or audit.
public struct RecordedRuleEvent: Codable, Sendable, Equatable {
    /// Per-tenant sequence, assigned by the store.
    public var seq: Int64
    public var tenantId: String
    public var ticketId: String
    public var type: RuleEventType
    public var details: [String: String]
    public var actor: String
    public var ticket: Ticket
    public var packId: String
    public var packVersion: String
    /// What the active version applied for this event and its follow-ups.
    public var applied: [String]
    public var at: Date

    public init(
        seq: Int64 = 0, tenantId: String, ticketId: String, type: RuleEventType, details: [String: String], actor: String,
        ticket: Ticket, packId: String, packVersion: String, applied: [String], at: Date
    ) {
        self.seq = seq
        self.tenantId = tenantId
        self.ticketId = ticketId
        self.type = type
        self.details = details
        self.actor = actor
        self.ticket = ticket
        self.packId = packId
        self.packVersion = packVersion
        self.applied = applied
        self.at = at
    }

    /// Events kept per tenant; older ones are dropped as new ones arrive.
    public static let retainedPerTenant = 10_000
}
