import Foundation

/// Caches tenants for a few seconds so each request does not re-read its configuration.
/// Writes through `TicketService` refresh the entry at once; other instances see them
/// within `ttl`.
final class TenantDirectory: @unchecked Sendable {
    // `entries` is guarded by `lock`.
    private let lock = NSLock()
    private var entries: [String: (tenant: Tenant, fetched: Date)] = [:]
    private let store: any TicketStore
    private let clock: any WallClock
    private let ttl: TimeInterval

    init(store: any TicketStore, clock: any WallClock, ttl: TimeInterval = 5) {
        self.store = store
        self.clock = clock
        self.ttl = ttl
    }

    func tenant(_ id: String) async throws -> Tenant? {
        let now = clock.now()
        if let hit = lock.withLock({ entries[id] }), now.timeIntervalSince(hit.fetched) < ttl, now >= hit.fetched {
            return hit.tenant
        }
        guard let tenant = try await store.tenant(id: id) else { return nil }
        remember(tenant)
        return tenant
    }

    func remember(_ tenant: Tenant) {
        let now = clock.now()
        lock.withLock { entries[tenant.id] = (tenant, now) }
    }
}

/// Caches each tenant's agents (what rules route over) for the same few seconds, so a rule
/// evaluation does not re-read and decode every agent. Agents added through `TicketService`
/// are seen at once; other instances see them within `ttl`. Open-ticket counts are never cached.
final class AgentDirectory: @unchecked Sendable {
    static let maxAgents = 1_000
    // `entries` is guarded by `lock`.
    private let lock = NSLock()
    private var entries: [String: (agents: [Agent], fetched: Date)] = [:]
    private let store: any TicketStore
    private let clock: any WallClock
    private let ttl: TimeInterval

    init(store: any TicketStore, clock: any WallClock, ttl: TimeInterval = 5) {
        self.store = store
        self.clock = clock
        self.ttl = ttl
    }

    func agents(_ tenantId: String) async throws -> [Agent] {
        let now = clock.now()
        if let hit = lock.withLock({ entries[tenantId] }), now.timeIntervalSince(hit.fetched) < ttl, now >= hit.fetched {
            return hit.agents
        }
        let agents = try await store.listAgents(tenantId: tenantId, page: 1, limit: Self.maxAgents).items
        lock.withLock { entries[tenantId] = (agents, now) }
        return agents
    }

    func forget(_ tenantId: String) {
        _ = lock.withLock { entries.removeValue(forKey: tenantId) }
    }
}
