import Foundation

/// What an admin asks to start a staged rollout with (`PUT /api/v2/tenants/:id/pack/rollout`).
public struct RolloutRequest: Codable, Sendable {
    public var pack: String
    public var version: String
    public var mode: RolloutMode
    /// The candidate's share of tickets in percent (canary only; 0 < percent < 100).
    public var percent: Double?
    public var rollback: RolloutLimits?

    public init(pack: String, version: String, mode: RolloutMode, percent: Double? = nil, rollback: RolloutLimits? = nil) {
        self.pack = pack
        self.version = version
        self.mode = mode
        self.percent = percent
        self.rollback = rollback
    }
}

/// Staged rollouts: a candidate version meets live traffic beside the active one (shadow) or
/// decides for a share of tickets (canary), compared as it runs, ended by itself when it
/// crosses the limits it was started with, by an admin (`abort`), or by `promote`.
extension TenantService {
    public static let maxMinEvents = 1_000_000
    public static let maxBudgetOverrunLimit = 1_000_000

    /// Starts a rollout; one per tenant at a time (409 while one runs).
    public func startRollout(_ principal: Principal, tenantId: String, _ request: RolloutRequest) async throws -> PackRollout {
        guard principal.administers(tenantId) else { throw DocketError.forbidden("admins manage only their own tenant") }
        guard let tenant = try await stores.tenants.tenant(id: tenantId) else { throw DocketError.notFound("tenant", tenantId) }
        let limits = try Self.check(request)
        let stored = try await storedVersion(request.pack, request.version, visibleTo: tenantId)
        let manifest = stored.manifest
        guard manifest.id != tenant.pack.id || manifest.version != tenant.pack.version else {
            throw DocketError.invalid("version", "\(manifest.id)@\(manifest.version) is already the active version")
        }
        try Self.checkCategories(tenant, fit: manifest)
        try await prepareRules(stored)
        let now = clock.now()
        let fresh = PackRollout(
            id: IdentifierGenerator.make(), tenantId: tenantId, packId: manifest.id, version: manifest.version,
            activeVersion: "\(tenant.pack.id)@\(tenant.pack.version)", mode: request.mode, percent: request.percent, limits: limits,
            startedAt: now, startedBy: principal.subject)
        let record = try await stores.rollouts.updateRollout(tenantId: tenantId) { current in
            current?.state == .running ? nil : fresh
        }
        guard let record, record.id == fresh.id else {
            throw DocketError(.conflict, "a rollout of \(record?.key ?? "another version") is running; promote or abort it first")
        }
        let plan = RolloutPlan(id: fresh.id, mode: fresh.mode, percent: fresh.percent, startedAt: now, candidate: manifest)
        do {
            guard try await RolloutKeeper(core: core).rewrite(tenantId, { tenant, now in
                tenant.rollout = plan
                return announcer.rolloutOutbox(record, at: now)
            }) != nil else { throw DocketError.notFound("tenant", tenantId) }
        } catch {
            // The tenant could not take it: the record must not claim a rollout that never ran.
            _ = try? await stores.rollouts.updateRollout(tenantId: tenantId) { current in
                guard var current, current.id == fresh.id, current.state == .running else { return nil }
                current.end(.aborted, by: "docket", reason: "could not be started: \(error)", at: now)
                return current
            }
            throw error
        }
        return record
    }

    /// The tenant's latest rollout, running or ended, with its live comparison; nil when it
    /// never had one.
    public func rollout(_ principal: Principal, tenantId: String) async throws -> PackRollout? {
        guard principal.administers(tenantId) else { throw DocketError.forbidden("admins manage only their own tenant") }
        guard try await stores.tenants.tenant(id: tenantId) != nil else { throw DocketError.notFound("tenant", tenantId) }
        // This instance's waiting figures first (other instances' join within `RolloutBatch.interval`).
        try await RolloutKeeper(core: core).flush(tenantId)
        return try await stores.rollouts.rollout(tenantId: tenantId)
    }

    /// Makes the running rollout's candidate the active version (as `activatePack` does).
    public func promoteRollout(_ principal: Principal, tenantId: String) async throws -> Tenant {
        guard principal.administers(tenantId) else { throw DocketError.forbidden("admins manage only their own tenant") }
        let record = try await end(tenantId, as: .promoted, by: principal.subject, reason: "promoted by \(principal.subject)")
        let stored = try await storedVersion(record.packId, record.version, visibleTo: tenantId)
        return try await switchPack(tenantId, to: stored, by: principal.subject, pin: true, reason: "rollout_promoted")
    }

    /// Ends the running rollout; the active version decides everything again. Tickets the
    /// candidate decided keep what was applied.
    public func abortRollout(_ principal: Principal, tenantId: String) async throws -> PackRollout {
        guard principal.administers(tenantId) else { throw DocketError.forbidden("admins manage only their own tenant") }
        let record = try await end(tenantId, as: .aborted, by: principal.subject, reason: "aborted by \(principal.subject)")
        try await RolloutKeeper(core: core).clearPlan(tenantId, id: record.id, record: record)
        return record
    }

    /// Ends the running rollout in its record (404 when none runs); changes see it at once.
    func end(_ tenantId: String, as state: RolloutState, by actor: String, reason: String) async throws -> PackRollout {
        try await RolloutKeeper(core: core).flush(tenantId)
        guard let record = try await endRunning(tenantId, as: state, by: actor, reason: reason, at: clock.now()), record.wrote else {
            throw DocketError.notFound("running rollout", tenantId)
        }
        return record.rollout
    }

    /// When a switch replaces the tenant's rollout `plan`: its record ends (aborted, unless
    /// `promoteRollout` already marked it promoted). Answers the ended record, for staff.
    func endReplaced(_ plan: RolloutPlan, tenantId: String, by actor: String, at now: Date) async throws -> PackRollout? {
        let record = try await endRunning(tenantId, only: plan.id, as: .aborted, by: actor, reason: "another version was activated", at: now)
        guard let record, record.rollout.state != .running else { return nil }
        return record.rollout
    }

    /// Ends the tenant's running rollout (only rollout `id`, when given) in its record: the
    /// record afterwards, and whether this call ended it. Nil when there is no such record.
    func endRunning(_ tenantId: String, only id: String? = nil, as state: RolloutState, by actor: String, reason: String, at now: Date)
        async throws -> (rollout: PackRollout, wrote: Bool)?
    {
        let ended = Latest()
        let record = try await stores.rollouts.updateRollout(tenantId: tenantId) { current in
            guard var current, id == nil || current.id == id, current.state == .running else { return ended.set(nil) }
            current.end(state, by: actor, reason: reason, at: now)
            return ended.set(current)
        }
        guard let record, id == nil || record.id == id else { return nil }
        return (record, ended.written)
    }

    /// Refuses `manifest` for a tenant whose category overrides lack its default category (a
    /// switch to it, or a rollout of it, would file new tickets under no active category).
    static func checkCategories(_ tenant: Tenant, fit manifest: PackManifest) throws {
        if let categories = tenant.overrides.categories, !categories.contains(where: { $0.id == manifest.defaultCategory && $0.active }) {
            throw DocketError.invalid(
                "pack", "the tenant's category overrides lack \(manifest.id)'s default category '\(manifest.defaultCategory)'; change them first")
        }
    }

    /// The request's limits, checked.
    static func check(_ request: RolloutRequest) throws -> RolloutLimits {
        switch request.mode {
        case .shadow:
            guard request.percent == nil else { throw DocketError.invalid("percent", "a shadow rollout decides nothing; percent is for canary") }
        case .canary:
            guard let percent = request.percent else { throw DocketError(.badRequest, "a canary needs percent (0-100)", field: "percent") }
            guard percent.isFinite, percent > 0, percent < 100 else {
                throw DocketError.invalid("percent", "must be above 0 and below 100 (100 is promote)")
            }
        }
        let limits = request.rollback ?? RolloutLimits()
        for (field, rate) in [("rollback.maxErrorRate", limits.maxErrorRate), ("rollback.maxDifferenceRate", limits.maxDifferenceRate)] {
            if let rate, !(rate.isFinite && (0...1).contains(rate)) { throw DocketError.invalid(field, "a share between 0 and 1") }
        }
        if let most = limits.maxBudgetOverruns, !(0...maxBudgetOverrunLimit).contains(most) {
            throw DocketError.invalid("rollback.maxBudgetOverruns", "between 0 and \(maxBudgetOverrunLimit)")
        }
        if let least = limits.minEvents, !(1...maxMinEvents).contains(least) {
            throw DocketError.invalid("rollback.minEvents", "between 1 and \(maxMinEvents)")
        }
        return limits
    }
}

/// What an `updateRollout` change decided the last time it ran (a store may run it again after
/// losing a race; the last run is the one stored).
final class Latest: @unchecked Sendable {
    private let lock = NSLock()
    private var wrote = false

    var written: Bool { lock.withLock { wrote } }

    func set(_ record: PackRollout?) -> PackRollout? {
        lock.withLock { wrote = record != nil }
        return record
    }
}
