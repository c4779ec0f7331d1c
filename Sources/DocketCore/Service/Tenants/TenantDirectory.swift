import Foundation

/// Values kept for `ttl` seconds per key, then read again: what requests need on every call
/// but rarely changes. Writes through `TicketService` update or drop an entry at once; other
/// instances see a change within `ttl`.
final class ExpiringCache<Value: Sendable>: @unchecked Sendable {
    // `entries` is guarded by `lock`.
    private let lock = NSLock()
    private var entries: [String: (value: Value, fetched: Date)] = [:]
    private let clock: any WallClock
    private let ttl: TimeInterval

    init(clock: any WallClock, ttl: TimeInterval) {
        self.clock = clock
        self.ttl = ttl
    }

    /// The cached value of `key`, or what `load` reads (kept when not nil).
    func value(_ key: String, load: () async throws -> Value?) async throws -> Value? {
        let now = clock.now()
        if let hit = lock.withLock({ entries[key] }), now.timeIntervalSince(hit.fetched) < ttl, now >= hit.fetched {
            return hit.value
        }
        guard let value = try await load() else { return nil }
        remember(value, for: key)
        return value
    }

    func remember(_ value: Value, for key: String) {
        let now = clock.now()
        lock.withLock { entries[key] = (value, now) }
    }

    func forget(_ key: String) {
        _ = lock.withLock { entries.removeValue(forKey: key) }
    }
}

/// Tenants, cached so each request does not re-read its configuration.
final class TenantDirectory: Sendable {
    private let cache: ExpiringCache<Tenant>
    private let store: any TenantStore

    init(store: any TenantStore, clock: any WallClock, ttl: TimeInterval = 5) {
        self.store = store
        cache = ExpiringCache(clock: clock, ttl: ttl)
    }

    func tenant(_ id: String) async throws -> Tenant? {
        try await cache.value(id) { try await store.tenant(id: id) }
    }

    func remember(_ tenant: Tenant) { cache.remember(tenant, for: tenant.id) }
}

/// Each tenant's agents (what rules route over), cached so a rule evaluation does not re-read
/// and decode every agent. Open-ticket counts are never cached.
final class AgentDirectory: Sendable {
    static let maxAgents = 1_000
    private let cache: ExpiringCache<[Agent]>
    private let store: any PeopleStore

    init(store: any PeopleStore, clock: any WallClock, ttl: TimeInterval = 5) {
        self.store = store
        cache = ExpiringCache(clock: clock, ttl: ttl)
    }

    func agents(_ tenantId: String) async throws -> [Agent] {
        try await cache.value(tenantId) {
            try await store.listAgents(tenantId: tenantId, page: 1, limit: Self.maxAgents).items
        } ?? []
    }

    func forget(_ tenantId: String) { cache.forget(tenantId) }
}
