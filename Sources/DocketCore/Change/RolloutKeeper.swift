import Foundation

/// The change pipeline's part in a staged rollout: a change's rules run under both versions
/// (`RuleRunner.run`), their figures join the rollout's record in one atomic step that also
/// judges the rollback limits, and the record's answer says whether the candidate may decide.
/// Because every change's step is ordered by the store, no change after the one that crossed a
/// limit is decided by the candidate, on any instance.
struct RolloutKeeper: UseCase {
    let core: ServiceCore

    /// What one change's chains did under the active version and the candidate, compared per
    /// initial event (as `simulate` compares them).
    static func tally(events: Int, active: [(Int, RuleAuditEntry)], candidate: [(Int, RuleAuditEntry)], at: Date) -> RolloutTally {
        var tally = RolloutTally(at: at)
        tally.events = events
        tally.active = side(active.map(\.1))
        tally.candidate = side(candidate.map(\.1))
        for root in 0..<events {
            let applied = active.filter { $0.0 == root }.flatMap(\.1.applied)
            let proposed = candidate.filter { $0.0 == root }.flatMap(\.1.applied)
            let onlyActive = TenantService.difference(applied, proposed)
            let onlyCandidate = TenantService.difference(proposed, applied)
            guard !onlyActive.isEmpty || !onlyCandidate.isEmpty else { continue }
            tally.differing += 1
            for action in onlyActive { tally.differences["active:\(kind(action))", default: 0] += 1 }
            for action in onlyCandidate { tally.differences["candidate:\(kind(action))", default: 0] += 1 }
        }
        return tally
    }

    static func side(_ entries: [RuleAuditEntry]) -> RolloutSide {
        var side = RolloutSide()
        side.evaluations = entries.count
        side.errors = entries.count { $0.error != nil }
        side.budgetOverruns = entries.count { $0.error?.hasPrefix("budget:") == true }
        side.micros = entries.reduce(0) { $0 + $1.durationMicros }
        return side
    }

    /// `assign` of `assign(least_loaded)`.
    static func kind(_ action: String) -> String {
        String(action.prefix { $0 != "(" && $0 != " " })
    }

    /// Adds `tally` to the tenant's running rollout `plan`; answers whether the candidate
    /// decides this change (only when `candidateWants` and the rollout still runs after it).
    /// A rollout found ended (now, by this tally, or before by another) leaves the tenant.
    func add(_ tally: RolloutTally, candidateWants: Bool, plan: RolloutPlan, tenantId: String) async throws -> Bool {
        let record = try await stores.rollouts.updateRollout(tenantId: tenantId) { current in
            guard var record = current, record.id == plan.id, record.state == .running else { return nil }
            record.add(tally, candidateWants: candidateWants)
            return record
        }
        guard let record, record.id == plan.id, record.state == .running else {
            // The next change clears it if this cannot (the store failing now).
            _ = try? await clearPlan(tenantId, id: plan.id, record: record)
            return false
        }
        return candidateWants
    }

    /// Takes the rollout `id` off the tenant when the tenant still runs it, telling staff how it
    /// ended in the same write (`pack_rollout`); answers the tenant as stored.
    @discardableResult
    func clearPlan(_ tenantId: String, id: String, record: PackRollout?) async throws -> Tenant? {
        try await rewrite(tenantId) { tenant, now in
            guard tenant.rollout?.id == id else { return nil }
            tenant.rollout = nil
            return record.map { announcer.rolloutOutbox($0, at: now) } ?? .empty
        }
    }

    /// The tenant's conditional-write loop: `change` alters the tenant read and answers what the
    /// write announces (nil: nothing to write). Answers the tenant as stored (or as read when
    /// nothing was written); nil when there is no such tenant.
    @discardableResult
    func rewrite(_ tenantId: String, _ change: (inout Tenant, Date) -> Outbox?) async throws -> Tenant? {
        for _ in 0..<ServiceCore.maxAttempts {
            guard var tenant = try await stores.tenants.tenant(id: tenantId) else { return nil }
            let expected = tenant.version
            let now = clock.now()
            guard let outbox = change(&tenant, now) else {
                tenants.remember(tenant)
                return tenant
            }
            tenant.version = expected + 1
            tenant.updatedAt = now
            if let stored = try await stores.tenants.updateTenant(tenant, expectedVersion: expected, outbox: outbox) {
                tenants.remember(tenant)
                live.publish(stored)
                return tenant
            }
        }
        throw DocketError(.conflict, "tenant '\(tenantId)' is being changed by others; retry")
    }
}
