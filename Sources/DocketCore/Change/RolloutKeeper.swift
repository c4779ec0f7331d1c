import Foundation

/// The change pipeline's part in a staged rollout: a change's rules run under both versions
/// (`RuleRunner.run`) and their figures join the rollout's record, in a step that also judges
/// the rollback limits.
///
/// A change the candidate would decide (a canary's ticket) takes that step itself, before its
/// write: the record's answer says whether the candidate may decide it. Because those steps are
/// ordered by the store, no change after the one that crossed a limit is decided by the
/// candidate, on any instance. A change the active version decides (every change of a shadow
/// rollout, the rest of a canary's) cannot be decided differently by the figures, so they wait
/// in this instance's batch and join the record at most `RolloutBatch.interval` later — in
/// the step of the next candidate change, the next change after the interval, or the
/// scheduler's pass each second — one write for many changes instead of one each.
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
        side.budgetOverruns = entries.count(where: \.overranBudget)
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
        let batch = core.rolloutBatch
        guard candidateWants else {
            if batch.add(tally, tenantId: tenantId, rolloutId: plan.id, now: clock.now()) { try await flush(tenantId) }
            return false
        }
        // This instance's waiting figures go first: they came before this change.
        let pending = batch.take(tenantId)
        let record: PackRollout?
        do {
            record = try await stores.rollouts.updateRollout(tenantId: tenantId) { current in
                guard var record = current, record.id == plan.id, record.state == .running else { return nil }
                if let pending, pending.rolloutId == plan.id { record.add(pending.tally, candidateWants: false) }
                if record.state == .running { record.add(tally, candidateWants: true) }
                return record
            }
        } catch {
            if let pending { _ = batch.add(pending.tally, tenantId: tenantId, rolloutId: pending.rolloutId, now: pending.since) }
            throw error
        }
        guard let record, record.id == plan.id, record.state == .running else {
            // The next change clears it if this cannot (the store failing now).
            _ = try? await clearPlan(tenantId, id: plan.id, record: record)
            return false
        }
        return true
    }

    /// Adds the tenant's waiting figures to its rollout's record; a rollout they end leaves the tenant.
    func flush(_ tenantId: String) async throws {
        guard let pending = core.rolloutBatch.take(tenantId) else { return }
        let record = try await stores.rollouts.updateRollout(tenantId: tenantId) { current in
            guard var record = current, record.id == pending.rolloutId, record.state == .running else { return nil }
            record.add(pending.tally, candidateWants: false)
            return record
        }
        if let record, record.id == pending.rolloutId, record.state != .running {
            try await clearPlan(tenantId, id: record.id, record: record)
        }
    }

    /// Flushes every tenant's figures that waited `RolloutBatch.interval` or more (the
    /// scheduler's pass), or all of them.
    func flushDue(all: Bool = false) async {
        for tenantId in core.rolloutBatch.due(now: clock.now(), all: all) {
            try? await flush(tenantId)
        }
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

    /// The tenant's conditional-write loop (pack switches, rollout plans): `change` alters the
    /// tenant read and answers what the write announces (nil: nothing to write); a lost race
    /// reads and changes again. Answers the tenant as stored (or as read when nothing was
    /// written); nil when there is no such tenant.
    @discardableResult
    func rewrite(_ tenantId: String, _ change: (inout Tenant, Date) async throws -> Outbox?) async throws -> Tenant? {
        for _ in 0..<ServiceCore.maxAttempts {
            guard var tenant = try await stores.tenants.tenant(id: tenantId) else { return nil }
            let expected = tenant.version
            let now = clock.now()
            guard let outbox = try await change(&tenant, now) else {
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

/// Rollout figures of changes the active version decided, per tenant, waiting in this
/// instance to join their rollout's record (`RolloutKeeper`).
final class RolloutBatch: @unchecked Sendable {
    struct Pending {
        var rolloutId: String
        var tally: RolloutTally
        /// When the oldest figures waiting came.
        var since: Date
    }

    /// The longest figures wait before a change (or the scheduler's pass) writes them.
    static let interval: TimeInterval = 0.25

    // `pending` is guarded by `lock`.
    private let lock = NSLock()
    private var pending: [String: Pending] = [:]

    /// Adds a change's figures; true when the tenant's waiting figures are due to be written.
    func add(_ tally: RolloutTally, tenantId: String, rolloutId: String, now: Date) -> Bool {
        lock.withLock {
            if var waiting = pending[tenantId], waiting.rolloutId == rolloutId {
                waiting.tally.merge(tally)
                waiting.since = min(waiting.since, now)
                pending[tenantId] = waiting
            } else {
                // Figures of a rollout that ended are dropped: its record no longer takes any.
                pending[tenantId] = Pending(rolloutId: rolloutId, tally: tally, since: now)
            }
            return now.timeIntervalSince(pending[tenantId]!.since) >= Self.interval
        }
    }

    func take(_ tenantId: String) -> Pending? {
        lock.withLock { pending.removeValue(forKey: tenantId) }
    }

    /// Tenants whose figures waited `interval` or more (every tenant with figures, with `all`).
    func due(now: Date, all: Bool = false) -> [String] {
        lock.withLock { pending.filter { all || now.timeIntervalSince($0.value.since) >= Self.interval }.map(\.key) }
    }
}
