import Foundation

/// The tenant's routing turn: routing that reads the agents' loads and the write that changes
/// them are one step, taken by one change at a time — within this process by the turns, and
/// across the instances sharing a store by the tenant's routing lease (`LeaseStore`), so
/// least-loaded routing never puts an agent past capacity however many instances create at once.
struct RoutingTurn {
    let core: ServiceCore

    /// How long a lease holds without being given back (an instance that died holding it is
    /// waited for this long at most).
    static let leaseSeconds: TimeInterval = 15
    /// How long a change waits for another instance's routing before it gives up (503).
    static let waitLimit: Duration = .seconds(20)

    static func key(_ tenantId: String) -> String { "\(tenantId)#routing" }

    func run<T>(_ tenantId: String, _ body: () async throws -> T) async throws -> T {
        try await core.turns.withTurn(Self.key(tenantId)) {
            guard let leases = core.stores.leases else { return try await body() }
            let name = "routing/\(tenantId)"
            try await take(name, from: leases)
            do {
                let result = try await body()
                try? await leases.releaseLease(name, holder: core.instanceId)
                return result
            } catch {
                try? await leases.releaseLease(name, holder: core.instanceId)
                throw error
            }
        }
    }

    /// Takes the lease, waiting (1 ms, doubling to 32 ms between tries) while another instance
    /// holds it.
    private func take(_ name: String, from leases: any LeaseStore) async throws {
        let deadline = ContinuousClock.now + Self.waitLimit
        var pause = Duration.milliseconds(1)
        while true {
            let now = core.clock.now()
            if try await leases.takeLease(name, holder: core.instanceId, until: now.addingTimeInterval(Self.leaseSeconds), now: now) { return }
            guard ContinuousClock.now < deadline else {
                throw DocketError(.storeUnavailable, "routing is held by another server instance; try again")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(32))
        }
    }
}
