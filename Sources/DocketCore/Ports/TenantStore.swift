import Foundation

/// Tenants and the pack versions they run on.
public protocol TenantStore: Sendable {
    func tenant(id: String) async throws -> Tenant?
    /// Inserts a tenant; `.conflict` if the id exists.
    func insertTenant(_ tenant: Tenant) async throws
    /// Replaces the tenant if its stored version is `expectedVersion`; returns false otherwise.
    func updateTenant(_ tenant: Tenant, expectedVersion: Int) async throws -> Bool
    /// Tenants by id, a page at a time (platform administration).
    func listTenants(page: Int, limit: Int) async throws -> Page<Tenant>

    /// Stores an immutable pack version; `.conflict` if (packId, version) exists.
    func insertPackVersion(_ version: PackVersion) async throws
    func packVersion(packId: String, version: String) async throws -> PackVersion?
    /// Every stored version of every pack, without files.
    func packVersionSummaries() async throws -> [PackVersionSummary]
}

/// Rule events recorded for replay (`simulate`).
public protocol RuleEventStore: Sendable {
    /// Appends recorded events (the store assigns `seq`) and drops a tenant's events beyond
    /// `RecordedRuleEvent.retainedPerTenant`.
    func appendRuleEvents(_ events: [RecordedRuleEvent]) async throws
    /// The tenant's latest recorded events, newest first.
    func recentRuleEvents(tenantId: String, limit: Int) async throws -> [RecordedRuleEvent]
}
