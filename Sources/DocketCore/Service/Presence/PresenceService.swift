import Foundation

/// Agents' presence: online while a console, WebSocket or Socket.IO session of theirs is open
/// on any instance (a lease per session in the store, renewed while open), away when they say
/// so, offline otherwise. Routing strategies pick among agents who are online; a ticket whose
/// routing found nobody waits in its queue (`Ticket.waiting`) and is given out when a fitting
/// agent comes online.
///
/// Every change of a record is one store step (`PresenceStore.updatePresence`) that also brings
/// the announced status up to date, so a transition is seen — and announced (`agent_presence`)
/// — by exactly one caller, whichever instance it runs on.
public struct PresenceService: UseCase {
    let core: ServiceCore

    public init(core: ServiceCore) { self.core = core }

    // MARK: Sessions (the live hub's connections)

    /// A staff member's live session opened (or is renewed): holds its lease.
    public func hold(_ principal: Principal, session: String) async {
        guard let agentId = await agentId(principal) else { return }
        let lease = AgentPresence.Session(id: session, instance: core.instanceId, until: clock.now().addingTimeInterval(PresenceLimits.lease))
        await change(principal.tenantId, agentId) { record, now in
            record.hold(lease, now: now)
        }
    }

    /// Renews the leases of sessions open on this instance (the hub, every `PresenceLimits.renewal`).
    public func renew(_ sessions: [(principal: Principal, session: String)]) async {
        for (principal, session) in sessions { await hold(principal, session: session) }
    }

    /// A session closed: it still counts for `PresenceLimits.grace`, so a reconnect does not flap.
    public func release(_ principal: Principal, session: String) async {
        guard let agentId = await agentId(principal) else { return }
        let instance = core.instanceId
        await change(principal.tenantId, agentId) { record, now in
            let until = now.addingTimeInterval(PresenceLimits.grace)
            for index in record.sessions.indices where record.sessions[index].id == session && record.sessions[index].instance == instance {
                record.sessions[index].until = min(record.sessions[index].until, until)
                record.sessions[index].closed = true
            }
        }
    }

    // MARK: The API

    /// The staff member says they are away (`away`) or back.
    public func setAway(_ principal: Principal, away: Bool) async throws -> PresenceView {
        guard principal.hasPresence,
            let agent = try await agentDirectory.agents(principal.tenantId).first(where: { $0.id == principal.subject })
        else {
            throw DocketError(.forbidden, "only the workspace's agents and admins have a presence")
        }
        let after = try await update(principal.tenantId, agent.id) { record, _ in record.away = away }
        return Self.view(agent.id, after, now: clock.now())
    }

    /// Everyone's presence for an admin; an agent's own for an agent.
    public func list(_ principal: Principal) async throws -> [PresenceView] {
        guard principal.isStaff else { throw DocketError(.forbidden, "presence is for staff") }
        let now = clock.now()
        let records = Dictionary(try await stores.presence.presences(tenantId: principal.tenantId).map { ($0.agentId, $0) }) { a, _ in a }
        let agents = try await agentDirectory.agents(principal.tenantId).filter(\.isActive)
            .filter { principal.administers(principal.tenantId) || $0.id == principal.subject }
        return agents.map { Self.view($0.id, records[$0.id], now: now) }
    }

    static func view(_ agentId: String, _ record: AgentPresence?, now: Date) -> PresenceView {
        guard let record else { return PresenceView(agentId: agentId, status: .offline, since: nil, sessions: 0) }
        let status = record.status(at: now)
        return PresenceView(
            agentId: agentId, status: status, since: status == record.announced ? record.since : now,
            sessions: record.sessions.count { $0.until > now })
    }

    // MARK: The scheduler's pass

    /// Settles the records whose leases ran out (closed sessions past their grace, instances
    /// that died): the agents who went offline are announced. Answers how many were settled.
    @discardableResult
    public func sweep(limit: Int = 500) async throws -> Int {
        let expired = try await stores.presence.expiredPresences(now: clock.now(), limit: limit)
        for (tenantId, agentId) in expired {
            _ = try await update(tenantId, agentId) { _, _ in }
        }
        return expired.count
    }

    /// Gives out tickets still waiting in tenants where someone is online (after an instance
    /// died between an agent's coming online and the tickets' routing, or tickets that waited
    /// for capacity). At most `PresenceLimits.drainBatch` tickets per tenant.
    public func drainWaiting(tenants limit: Int = 100) async throws {
        let now = clock.now()
        for tenantId in try await stores.timers.tenantsWithWaitingTickets(limit: limit) {
            guard try await stores.presence.presenceMarks(tenantId: tenantId).values.contains(where: { $0.status(at: now) == .online }) else { continue }
            await drain(tenantId, cameOnline: nil)
        }
    }

    // MARK: Steps

    /// The staff member's agent id (nil for platform admins and assistant keys, and for a
    /// subject the tenant has no active agent for).
    private func agentId(_ principal: Principal) async -> String? {
        guard principal.hasPresence else { return nil }
        let agents = (try? await agentDirectory.agents(principal.tenantId)) ?? []
        return agents.contains { $0.id == principal.subject && $0.isActive } ? principal.subject : nil
    }

    /// `update`, for callers that cannot answer an error (the hub): a failure is retried by the
    /// next renewal or sweep.
    private func change(_ tenantId: String, _ agentId: String, _ body: @escaping @Sendable (inout AgentPresence, Date) -> Void) async {
        _ = try? await update(tenantId, agentId, body)
    }

    /// One store step: `body` changes the record (a new one when the agent has none), expired
    /// leases are dropped and the announced status brought up to date. A transition is then
    /// announced, and an agent who came online gets the tickets waiting for them.
    @discardableResult
    private func update(
        _ tenantId: String, _ agentId: String, _ body: @escaping @Sendable (inout AgentPresence, Date) -> Void
    ) async throws -> AgentPresence? {
        let now = clock.now()
        let (before, after) = try await stores.presence.updatePresence(tenantId: tenantId, agentId: agentId) { current in
            var record = current ?? AgentPresence(tenantId: tenantId, agentId: agentId, since: now)
            body(&record, now)
            record.prune(now: now)
            _ = record.settle(now: now)
            return record == current ? nil : record
        }
        guard let after, after.announced != (before?.announced ?? .offline) else { return after }
        let data = wire.eventData(.agentPresence(agentId: agentId, status: after.announced, since: after.since), about: nil)
        await live.emit([LiveEvent(tenantId: tenantId, type: .agentPresence, agentId: nil, audience: .staff, data: data, at: now)])
        if after.announced == .online { await drain(tenantId, cameOnline: agentId) }
        return after
    }

    /// The tenant's waiting tickets, oldest first, routed now that someone is online
    /// (`cameOnline`: the agent whose coming online it is, told to the tickets' rules; nil for the
    /// scheduler's look, which tells nothing and writes only what it routes).
    private func drain(_ tenantId: String, cameOnline agent: String?) async {
        guard let tenant = try? await tenants.tenant(tenantId),
            let refs = try? await stores.timers.waitingTickets(tenantId: tenantId, limit: PresenceLimits.drainBatch)
        else { return }
        for ref in refs {
            _ = try? await writer.carryOutWaiting(ref, tenant: tenant, agent: agent)
        }
    }
}
