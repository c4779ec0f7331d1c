import Foundation

/// Tenants and the pack versions they run on.
public protocol TenantStore: Sendable {
    func tenant(id: String) async throws -> Tenant?
    /// Inserts a tenant; `.conflict` if the id exists.
    func insertTenant(_ tenant: Tenant) async throws
    /// Replaces the tenant if its stored version is `expectedVersion`, and stores `outbox` (what
    /// the change announces) in the same write; answers the live events with their ids, or nil
    /// (nothing written) when the stored version differs.
    func updateTenant(_ tenant: Tenant, expectedVersion: Int, outbox: Outbox) async throws -> [LiveEvent]?
    /// Tenants by id, a page at a time (platform administration).
    func listTenants(page: Int, limit: Int) async throws -> Page<Tenant>

    /// Stores an immutable pack version; `.conflict` if (packId, version) exists.
    func insertPackVersion(_ version: PackVersion) async throws
    func packVersion(packId: String, version: String) async throws -> PackVersion?
    /// Every stored version of every pack, without files.
    func packVersionSummaries() async throws -> [PackVersionSummary]
}

extension TenantStore {
    /// Replaces the tenant if its stored version is `expectedVersion` (a change that announces
    /// nothing); returns false otherwise.
    public func updateTenant(_ tenant: Tenant, expectedVersion: Int) async throws -> Bool {
        try await updateTenant(tenant, expectedVersion: expectedVersion, outbox: .empty) != nil
    }
}
