import Foundation

/// A pack and its versions as an admin lists them.
public struct PackListing: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var locale: String
    public var owner: String?
    public var latestVersion: String
    public var versions: [String]
}

/// Whether installing a shipped pack stored a new version.
public enum ShippedInstallOutcome: String, Sendable {
    case installed, unchanged
    /// The stored version has other content than the folder: the stored one is kept.
    case differs
}

/// A tenant to create.
public struct NewTenant: Codable, Sendable {
    public var id: String
    public var name: String
    public var pack: String
    /// The pack version; the newest stored one when absent.
    public var version: String?

    public init(id: String, name: String, pack: String, version: String? = nil) {
        self.id = id
        self.name = name
        self.pack = pack
        self.version = version
    }
}

/// Which pack version a tenant should run.
public struct PackSelection: Codable, Sendable {
    public var pack: String
    /// The newest stored version when absent.
    public var version: String?

    public init(pack: String, version: String? = nil) {
        self.pack = pack
        self.version = version
    }
}

/// One replayed event: what the active version applied and what the candidate would apply.
public struct SimulatedEvent: Codable, Sendable, Equatable {
    public var seq: Int64
    public var ticketId: String
    public var event: String
    public var at: Date
    /// `luxfree-solar@1.1.0`: the version that handled it when it happened.
    public var recordedWith: String
    public var active: [String]
    public var candidate: [String]
    public var onlyActive: [String]
    public var onlyCandidate: [String]
    /// Candidate rule failures and rejected actions, with why.
    public var candidateErrors: [String]
    public var changed: Bool
}

/// The result of replaying a tenant's latest events through a candidate pack version.
public struct SimulationReport: Codable, Sendable, Equatable {
    public var tenantId: String
    public var activeVersion: String
    public var candidateVersion: String
    public var events: Int
    public var changed: Int
    public var results: [SimulatedEvent]
}

extension TenantService {
    static func visible(_ summary: PackVersionSummary, to tenantId: String?) -> Bool {
        summary.owner == nil || tenantId == nil || summary.owner == tenantId
    }

    /// The tenant whose packs `principal` sees: nil (all) for platform admins.
    static func packScope(_ principal: Principal) -> String? { principal.role == .platform ? nil : principal.tenantId }

    func requireInspector() throws -> any PackInspector {
        guard let packInspector else { throw DocketError(.internalError, "pack validation is not configured") }
        return packInspector
    }

    func versionsVisible(to scope: String?, _ packId: String) async throws -> [PackVersionSummary] {
        try await stores.tenants.packVersionSummaries().filter { $0.packId == packId && Self.visible($0, to: scope) }
            .sorted { PackVersionOrder.isNewer($0.version, than: $1.version) }
    }

    func storedVersion(_ packId: String, _ version: String?, visibleTo scope: String?) async throws -> PackVersion {
        let chosen: String
        if let version {
            chosen = version
        } else {
            guard let newest = try await versionsVisible(to: scope, packId).first else { throw DocketError.notFound("pack", packId) }
            chosen = newest.version
        }
        guard let stored = try await stores.tenants.packVersion(packId: packId, version: chosen), Self.visible(stored.summary, to: scope) else {
            throw DocketError.notFound("pack version", "\(packId) \(chosen)")
        }
        return stored
    }

    func prepareRules(_ version: PackVersion) async throws {
        guard let rules else { return }
        do {
            try await rules.prepare(packId: version.summary.packId, version: version.summary.version)
        } catch {
            throw DocketError(.validation, "\(version.summary.key) cannot be loaded: \(error)", field: "version")
        }
    }

    func switchPack(_ tenantId: String, to stored: PackVersion, by actor: String, pin: Bool, reason: String?) async throws -> Tenant {
        try await prepareRules(stored)
        let manifest = stored.manifest
        let switched = try await RolloutKeeper(core: core).rewrite(tenantId) { tenant, now in
            try Self.checkCategories(tenant, fit: manifest)
            let previous = tenant.pack
            let why = reason ?? (previous.id == manifest.id && PackVersionOrder.isNewer(previous.version, than: manifest.version) ? "rollback" : "activated")
            tenant.pack = manifest
            tenant.packPinned = pin
            // The switch and its `pack_activated` notice are one write (the outbox). A switch ends
            // a running rollout (`promoteRollout` has marked its record promoted; any other switch
            // aborts it), telling staff in the same write.
            var outbox = announcer.packOutbox(tenant, at: now)
            if let replaced = tenant.rollout {
                if let record = try await endReplaced(replaced, tenantId: tenantId, by: actor, at: now) {
                    outbox.live += announcer.rolloutOutbox(record, at: now).live
                }
                tenant.rollout = nil
            }
            tenant.packHistory = Array(((tenant.packHistory ?? []) + [PackActivation(
                packId: manifest.id, version: manifest.version, previous: "\(previous.id)@\(previous.version)", by: actor, at: now,
                reason: why)]).suffix(50))
            return outbox
        }
        guard let switched else { throw DocketError.notFound("tenant", tenantId) }
        return switched
    }

    /// Items of `a` not matched one-for-one in `b` (a multiset difference, order kept).
    static func difference(_ a: [String], _ b: [String]) -> [String] {
        var remaining = b
        return a.filter { item in
            if let index = remaining.firstIndex(of: item) {
                remaining.remove(at: index)
                return false
            }
            return true
        }
    }
}

extension TenantService {
    // MARK: - Packs

    /// Stores a pack shipped in the server's packs folder as a platform version, once.
    public func installShippedPack(_ bundle: PackBundle) async throws -> (PackVersionSummary, ShippedInstallOutcome) {
        let manifest = try await requireInspector().inspect(bundle)
        if let stored = try await stores.tenants.packVersion(packId: manifest.id, version: manifest.version) {
            return (stored.summary, stored.summary.checksum == bundle.checksum ? .unchanged : .differs)
        }
        let version = PackVersion(manifest: manifest, bundle: bundle, owner: nil, origin: .shipped, createdBy: "docket", createdAt: clock.now())
        do {
            try await stores.tenants.insertPackVersion(version)
        } catch let error as DocketError where error.code == .conflict {
            return (version.summary, .unchanged)
        }
        return (version.summary, .installed)
    }

    /// Validates and stores an uploaded pack as a new immutable version. Tenant admins' packs
    /// are private to their tenant; platform admins' packs are shared.
    /// Checks a bundle as an upload would (manifest, Lua, fixtures) and reports every problem
    /// and fixture case; stores nothing.
    public func checkPack(_ principal: Principal, _ bundle: PackBundle) async throws -> PackCheckReport {
        try Self.requireAdmin(principal)
        _ = try await tenant(for: principal)
        return try await requireInspector().report(bundle)
    }

    public func uploadPack(_ principal: Principal, _ bundle: PackBundle) async throws -> PackVersionSummary {
        try Self.requireAdmin(principal)
        _ = try await tenant(for: principal)
        let shape = bundle.shapeProblems()
        guard shape.isEmpty else { throw PackRejection(shape).docketError }
        let manifest: PackManifest
        do {
            manifest = try await requireInspector().inspect(bundle)
        } catch let rejection as PackRejection {
            throw rejection.docketError
        }
        let owner = Self.packScope(principal)
        let existing = try await stores.tenants.packVersionSummaries().filter { $0.packId == manifest.id }
        if let other = existing.first, other.owner != owner {
            throw DocketError(.conflict, "pack id '\(manifest.id)' is taken; choose another id", field: "id")
        }
        if existing.contains(where: { $0.version == manifest.version }) {
            throw DocketError(
                .conflict, "\(manifest.id) \(manifest.version) exists; versions are immutable, raise 'version' in pack.yaml",
                field: "version")
        }
        let version = PackVersion(
            manifest: manifest, bundle: bundle, owner: owner, origin: .upload, createdBy: principal.subject, createdAt: clock.now())
        try await stores.tenants.insertPackVersion(version)
        return version.summary
    }

    public func packs(_ principal: Principal) async throws -> [PackListing] {
        try Self.requireAdmin(principal)
        let scope = Self.packScope(principal)
        let summaries = try await stores.tenants.packVersionSummaries().filter { Self.visible($0, to: scope) }
        return Dictionary(grouping: summaries, by: \.packId).map { id, versions in
            let sorted = versions.sorted { PackVersionOrder.isNewer($1.version, than: $0.version) }
            let latest = sorted.last!
            return PackListing(
                id: id, name: latest.name, locale: latest.locale, owner: latest.owner, latestVersion: latest.version,
                versions: sorted.map(\.version))
        }.sorted { $0.id < $1.id }
    }

    /// Every version of a pack the principal may see, newest first.
    public func packVersions(_ principal: Principal, _ packId: String) async throws -> [PackVersionSummary] {
        try Self.requireAdmin(principal)
        let versions = try await versionsVisible(to: Self.packScope(principal), packId)
        guard !versions.isEmpty else { throw DocketError.notFound("pack", packId) }
        return versions
    }

    public func packVersion(_ principal: Principal, _ packId: String, _ version: String) async throws -> PackVersion {
        try Self.requireAdmin(principal)
        return try await storedVersion(packId, version, visibleTo: Self.packScope(principal))
    }

    // MARK: - Tenants

    public func createTenant(_ principal: Principal, _ input: NewTenant) async throws -> Tenant {
        guard principal.role == .platform else { throw DocketError.forbidden("only platform admins create tenants") }
        guard Identifier.isValid(input.id) else {
            throw DocketError.invalid("id", "must be 1-64 lowercase letters, digits, - or _")
        }
        let name = try Check.text(input.name, field: "name", max: TicketLimits.shortText)
        let stored = try await storedVersion(input.pack, input.version, visibleTo: nil)
        guard stored.summary.owner == nil || stored.summary.owner == input.id else {
            throw DocketError.notFound("pack version", "\(input.pack) \(stored.summary.version)")
        }
        try await prepareRules(stored)
        let now = clock.now()
        var tenant = Tenant(id: input.id, name: name, pack: stored.manifest, createdAt: now)
        tenant.packPinned = input.version != nil
        tenant.packHistory = [PackActivation(
            packId: stored.summary.packId, version: stored.summary.version, previous: nil, by: principal.subject, at: now,
            reason: "created")]
        try await stores.tenants.insertTenant(tenant)
        tenants.remember(tenant)
        return tenant
    }

    /// Creates the tenant on the newest stored version of `packId` unless it exists (start-up
    /// and `docket tenant create`); an existing tenant is left as it is.
    public func provisionTenant(id: String, name: String?, packId: String, version: String? = nil) async throws
        -> (Tenant, ProvisionOutcome)
    {
        if let tenant = try await stores.tenants.tenant(id: id) {
            tenants.remember(tenant)
            return (tenant, .unchanged)
        }
        let stored = try await storedVersion(packId, version, visibleTo: id)
        let now = clock.now()
        var tenant = Tenant(id: id, name: name ?? stored.manifest.name, pack: stored.manifest, createdAt: now)
        tenant.packPinned = version != nil
        tenant.packHistory = [PackActivation(
            packId: stored.summary.packId, version: stored.summary.version, previous: nil, by: "docket", at: now, reason: "created")]
        do {
            try await stores.tenants.insertTenant(tenant)
        } catch let error as DocketError where error.code == .conflict {
            return try await provisionTenant(id: id, name: name, packId: packId, version: version)
        }
        tenants.remember(tenant)
        return (tenant, .created)
    }

    public func tenantInfo(_ principal: Principal, _ id: String) async throws -> Tenant {
        guard principal.administers(id) else { throw DocketError.forbidden("admins manage only their own tenant") }
        guard let tenant = try await stores.tenants.tenant(id: id) else { throw DocketError.notFound("tenant", id) }
        return tenant
    }

    public func listTenants(_ principal: Principal, page: Int, limit: Int) async throws -> Page<Tenant> {
        guard principal.role == .platform else { throw DocketError.forbidden("only platform admins list tenants") }
        guard (1...100).contains(limit), page >= 1 else { throw DocketError(.badRequest, "page >= 1 and limit 1-100") }
        return try await stores.tenants.listTenants(page: page, limit: limit)
    }

    /// Switches the tenant to another pack or version, live: evaluations already running finish
    /// on the old version, later ones use the new one. The version is pinned from then on.
    public func activatePack(_ principal: Principal, tenantId: String, _ selection: PackSelection) async throws -> Tenant {
        guard principal.administers(tenantId) else { throw DocketError.forbidden("admins manage only their own tenant") }
        guard try await stores.tenants.tenant(id: tenantId) != nil else { throw DocketError.notFound("tenant", tenantId) }
        let stored = try await storedVersion(selection.pack, selection.version, visibleTo: tenantId)
        return try await switchPack(tenantId, to: stored, by: principal.subject, pin: true, reason: nil)
    }

    /// At start-up: tenants that never pinned a version and run an older shipped version of a
    /// pack move to the newest shipped one. Returns the tenants moved.
    public func upgradeShippedTenants() async throws -> [(tenant: String, from: String, to: String)] {
        let shipped = try await stores.tenants.packVersionSummaries().filter { $0.origin == .shipped }
        var moved: [(String, String, String)] = []
        var page = 1
        while true {
            let batch = try await stores.tenants.listTenants(page: page, limit: 100)
            // A tenant trying a version in a staged rollout keeps what it runs until the rollout ends.
            for tenant in batch.items where tenant.packPinned != true && tenant.rollout == nil {
                guard let newest = shipped.filter({ $0.packId == tenant.pack.id })
                    .max(by: { PackVersionOrder.isNewer($1.version, than: $0.version) }),
                    PackVersionOrder.isNewer(newest.version, than: tenant.pack.version),
                    let stored = try await stores.tenants.packVersion(packId: newest.packId, version: newest.version)
                else { continue }
                _ = try await switchPack(tenant.id, to: stored, by: "docket", pin: false, reason: "shipped_upgrade")
                moved.append((tenant.id, tenant.pack.version, newest.version))
            }
            if batch.items.count < 100 { break }
            page += 1
        }
        return moved
    }

    // MARK: - Simulation

    /// Replays the tenant's latest recorded events through a stored candidate version.
    public func simulate(_ principal: Principal, packId: String, version: String, tenantId: String, limit: Int?) async throws
        -> SimulationReport
    {
        guard principal.administers(tenantId) else { throw DocketError.forbidden("admins manage only their own tenant") }
        let stored = try await storedVersion(packId, version, visibleTo: tenantId)
        try await prepareRules(stored)
        return try await simulate(tenantId: tenantId, candidate: stored.manifest, limit: limit ?? 50)
    }

    /// Replays the tenant's latest `limit` recorded events (oldest first) through `candidate`,
    /// which the rules engine must be able to load. Reads only; nothing is written. The agents
    /// are today's, with today's open-ticket counts.
    public func simulate(tenantId: String, candidate: PackManifest, limit: Int) async throws -> SimulationReport {
        guard (1...TenantService.maxSimulationEvents).contains(limit) else {
            throw DocketError(.badRequest, "limit must be between 1 and \(TenantService.maxSimulationEvents)", field: "limit")
        }
        let events = try await stores.ruleEvents.recentRuleEvents(tenantId: tenantId, limit: limit)
        return try await compare(tenantId: tenantId, candidate: candidate, events: events.reversed())
    }

    /// Replays one ticket's recorded events (the latest `maxSimulationEvents` the tenant keeps,
    /// oldest first) through a stored version of a pack (the tenant's own pack when `packId` is
    /// nil): what another version would have done to this ticket. Admins of the ticket's tenant.
    public func replay(_ principal: Principal, ticketId: String, packId: String?, version: String) async throws -> SimulationReport {
        let tenantId = principal.tenantId
        guard principal.administers(tenantId) else { throw DocketError.forbidden("admins replay tickets of their own tenant") }
        guard let tenant = try await stores.tenants.tenant(id: tenantId) else { throw DocketError.notFound("tenant", tenantId) }
        guard try await stores.tickets.ticket(tenantId: tenantId, ticketId: ticketId) != nil else { throw DocketError.notFound("ticket", ticketId) }
        let stored = try await storedVersion(packId ?? tenant.pack.id, version, visibleTo: tenantId)
        try await prepareRules(stored)
        let events = try await stores.ruleEvents.ticketRuleEvents(tenantId: tenantId, ticketId: ticketId, limit: TenantService.maxSimulationEvents)
        return try await compare(tenantId: tenantId, candidate: stored.manifest, events: events.reversed())
    }

    /// `events` (oldest first) through `candidate`, beside what was applied when they happened.
    func compare(tenantId: String, candidate: PackManifest, events: some Sequence<RecordedRuleEvent>) async throws -> SimulationReport {
        guard var tenant = try await stores.tenants.tenant(id: tenantId) else { throw DocketError.notFound("tenant", tenantId) }
        let active = "\(tenant.pack.id)@\(tenant.pack.version)"
        tenant.pack = candidate
        // The past is replayed with every agent taken as online (who was there then is not kept).
        let agents = try await ruleRunner.agentViews(tenant, everyoneOnline: true)
        var results: [SimulatedEvent] = []
        for recorded in events {
            var ticket = recorded.ticket
            let customer = try await ruleRunner.customerView(tenantId, ticket.customerId)
            let entries = await ruleRunner.evaluateChain(
                &ticket, events: [PendingEvent(recorded.type, recorded.details)], tenant: tenant, actor: recorded.actor,
                agents: agents, customer: customer, now: recorded.at, observe: false
            ).map(\.1)
            let applied = entries.flatMap(\.applied)
            let errors = entries.compactMap { entry in entry.error.map { "\(entry.rule): \($0)" } }
                + entries.flatMap { entry in entry.rejected.map { "\(entry.rule): \($0.action) rejected: \($0.reason)" } }
            let onlyActive = Self.difference(recorded.applied, applied)
            let onlyCandidate = Self.difference(applied, recorded.applied)
            results.append(SimulatedEvent(
                seq: recorded.seq, ticketId: recorded.ticketId, event: recorded.type.rawValue, at: recorded.at,
                recordedWith: "\(recorded.packId)@\(recorded.packVersion)", active: recorded.applied, candidate: applied,
                onlyActive: onlyActive, onlyCandidate: onlyCandidate, candidateErrors: errors,
                changed: !onlyActive.isEmpty || !onlyCandidate.isEmpty))
        }
        return SimulationReport(
            tenantId: tenantId, activeVersion: active, candidateVersion: "\(candidate.id)@\(candidate.version)",
            events: results.count, changed: results.filter(\.changed).count, results: results)
    }
}
