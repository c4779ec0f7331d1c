import Foundation

/// Rule events recorded for replay (`simulate`). They are written with the change that caused
/// them (its `Outbox`), each tenant's numbered by the store and kept up to
/// `RecordedRuleEvent.retainedPerTenant`.
public protocol RuleEventStore: Sendable {
    /// The tenant's latest recorded events, newest first.
    func recentRuleEvents(tenantId: String, limit: Int) async throws -> [RecordedRuleEvent]
    /// One ticket's latest recorded events (of those the tenant still keeps), newest first.
    func ticketRuleEvents(tenantId: String, ticketId: String, limit: Int) async throws -> [RecordedRuleEvent]
}
