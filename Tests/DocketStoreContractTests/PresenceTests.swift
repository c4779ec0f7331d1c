import DocketCore
import DocketPacks
import DocketTestSupport
import DocketWire
import Foundation
import Testing

@testable import DocketMongo

/// Agents' presence on every store: routing strategies pick among agents who are online, a
/// ticket nobody online can take waits in its queue and is given out when a fitting agent comes
/// online, closed sessions count for a grace, and every transition is told to staff once.
@Suite("Agent presence, on every store")
struct PresenceTests {
    static let admin = Principal(tenantId: "t", role: .admin, subject: "boss")
    static func agent(_ id: String) -> Principal { Principal(tenantId: "t", role: .agent, subject: id) }

    /// The LUXFREE pack with `rules` scripted, the events they handle declared in the manifest
    /// (so the pipeline runs them), and `agents`, all offline.
    static func desk(
        _ store: some TicketStore, rules: [RuleEventType: [RuleAction]], agents: [String], clock: ManualClock, provision: Bool = true
    ) async throws -> DocketServices {
        let services = DocketServices(store: store, wire: DocketWireFormat(), clock: clock, tenantCacheSeconds: 0, rules: ScriptedRules(actions: rules))
        guard provision else { return services }
        var pack = try PackLoader(root: RoutingContractTests.packs).load("luxfree-solar")
        pack.rules = (pack.rules ?? []) + [RuleFileSpec(file: "rules/scripted.lua", events: rules.keys.map(\.rawValue).sorted())]
        _ = try await services.tenants.provisionTenant(id: "t", name: "T", pack: pack)
        _ = try await services.tenants.createCustomer(admin, NewCustomer(id: "c1", phoneNumber: "+52 55 1234 5678", firstName: "Luz"))
        for id in agents { _ = try await services.tenants.createAgent(admin, NewAgent(id: id, name: id.capitalized, capacity: 5)) }
        return services
    }

    static let leastLoaded: [RuleEventType: [RuleAction]] = [
        .ticketCreated: [.assign(agent: nil, strategy: "least_loaded")], .agentOnline: [.addTag("agent_came_online")],
    ]

    static func presenceEvents(_ store: some TicketStore) async throws -> [String] {
        try await store.liveEvents(tenantId: "t", after: 0, limit: 1_000).filter { $0.type == .agentPresence }.map(\.data)
    }

    static func status(_ services: DocketServices, _ id: String) async throws -> PresenceStatus? {
        try await services.presence.list(admin).first { $0.agentId == id }?.status
    }

    @Test(arguments: StoreKind.available)
    func aTicketNobodyOnlineCanTakeWaitsAndGoesToTheFirstAgentWhoComesOnline(kind: StoreKind) async throws {
        let store = try await kind.make()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_017_600))
        let services = try await Self.desk(store, rules: Self.leastLoaded, agents: ["ana", "bea"], clock: clock)
        let waiting = try await RoutingContractTests.open(services, "Sin luz en la calle")
        #expect(waiting.assignedAgent == nil)
        let stored = try #require(try await store.ticket(tenantId: "t", ticketId: waiting.ticketId))
        #expect(stored.waiting?.strategy == "least_loaded")
        #expect(try await store.waitingTickets(tenantId: "t", limit: 10).map(\.ticketId) == [waiting.ticketId])
        #expect(try await store.tenantsWithWaitingTickets(limit: 10) == ["t"])
        // A customer never sees the mark.
        #expect(try await services.tickets.ticket(RoutingContractTests.customer, waiting.ticketId).waiting == nil)

        // Bea opens the console: the ticket is hers at once, and its rules heard `agent.online`.
        await services.presence.hold(Self.agent("bea"), session: "console-1")
        let routed = try #require(try await store.ticket(tenantId: "t", ticketId: waiting.ticketId))
        #expect(routed.assignedAgent == "bea")
        #expect(routed.waiting == nil)
        #expect(routed.tags.contains("agent_came_online"))
        #expect(routed.statusHistory.last?.changedBy == "rule:scripted:ticket.created")
        #expect(try await store.waitingTickets(tenantId: "t", limit: 10).isEmpty)
        #expect(try await Self.status(services, "bea") == .online)
        #expect(try await Self.status(services, "ana") == .offline)
        // What routing reads of it, without the records.
        let marks = try await store.presenceMarks(tenantId: "t")
        #expect(marks["bea"]?.status(at: clock.now()) == .online && marks["bea"]?.away == false)
        #expect(marks["ana"] == nil)

        // Ana stays offline: the next tickets go to Bea alone.
        for index in 0..<3 { #expect(try await RoutingContractTests.open(services, "Corte \(index)").assignedAgent == "bea") }
        #expect(try await Self.presenceEvents(store).count == 1)
    }

    @Test(arguments: StoreKind.available)
    func awayAndOfflineAgentsAreSkippedAndAClosedSessionCountsForItsGrace(kind: StoreKind) async throws {
        let store = try await kind.make()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_017_600))
        let services = try await Self.desk(store, rules: Self.leastLoaded, agents: ["ana", "bea", "cy"], clock: clock)
        for id in ["ana", "bea"] { await services.presence.hold(Self.agent(id), session: "tab-\(id)") }
        // Ana steps away: routing passes her by; she is still connected.
        let away = try await services.presence.setAway(Self.agent("ana"), away: true)
        #expect(away.status == .away && away.sessions == 1)
        for index in 0..<4 { #expect(try await RoutingContractTests.open(services, "Corte \(index)").assignedAgent == "bea") }

        // Bea's tab reloads: closed, it still counts for the grace, and the new one takes over.
        await services.presence.release(Self.agent("bea"), session: "tab-bea")
        clock.advance(by: PresenceLimits.grace - 1)
        #expect(try await services.presence.sweep() == 0)
        #expect(try await Self.status(services, "bea") == .online)
        await services.presence.hold(Self.agent("bea"), session: "tab-bea-2")
        clock.advance(by: 2)
        #expect(try await services.presence.sweep() == 1)
        #expect(try await Self.status(services, "bea") == .online, "a reload does not flap")

        // Bea closes her last tab: offline once the grace is over, and the next ticket waits.
        // (Ana's open tab is renewed, as her instance does every `renewal`.)
        await services.presence.release(Self.agent("bea"), session: "tab-bea-2")
        await services.presence.renew([(Self.agent("ana"), "tab-ana")])
        clock.advance(by: PresenceLimits.grace + 1)
        #expect(try await services.presence.sweep() == 1)
        #expect(try await Self.status(services, "bea") == .offline)
        let waits = try await RoutingContractTests.open(services, "Nadie en turno")
        #expect(waits.assignedAgent == nil)

        // Ana is back: she gets it (she is the only one online).
        _ = try await services.presence.setAway(Self.agent("ana"), away: false)
        #expect(try await store.ticket(tenantId: "t", ticketId: waits.ticketId)?.assignedAgent == "ana")
        // online → away → online (ana); online → offline (bea): each told once.
        let told = try await Self.presenceEvents(store)
        #expect(told.count == 5, "\(told)")
        #expect(told.filter { $0.contains(#""agentId":"bea""#) && $0.contains(#""status":"offline""#) }.count == 1)
    }

    @Test(arguments: StoreKind.available)
    func aRuleMayAskForEveryoneAndClosingAWaitingTicketDropsItsWait(kind: StoreKind) async throws {
        let store = try await kind.make()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_017_600))
        let anyone: [RuleEventType: [RuleAction]] = [.ticketCreated: [.assign(agent: nil, strategy: "round_robin", presence: "any")]]
        let services = try await Self.desk(store, rules: anyone, agents: ["ana"], clock: clock)
        #expect(try await RoutingContractTests.open(services, "Urgente").assignedAgent == "ana", "presence: any reaches offline agents")

        let strict = try await Self.desk(try await kind.make(), rules: Self.leastLoaded, agents: ["ana"], clock: clock)
        let ticket = try await RoutingContractTests.open(strict, "Espera")
        _ = try await strict.tickets.changeStatus(Self.admin, ticket.ticketId, to: "closed", reason: "resuelto por teléfono")
        #expect(try await strict.core.stores.tickets.ticket(tenantId: "t", ticketId: ticket.ticketId)?.waiting == nil)
        #expect(try await strict.core.stores.timers.waitingTickets(tenantId: "t", limit: 10).isEmpty)
        // A manual assignment ends the wait as well.
        let other = try await RoutingContractTests.open(strict, "Otra")
        _ = try await strict.tickets.assign(Self.admin, other.ticketId, to: "ana")
        #expect(try await strict.core.stores.tickets.ticket(tenantId: "t", ticketId: other.ticketId)?.waiting == nil)
    }

    /// An instance that saw an agent come online died before routing what waited: the
    /// scheduler's look routes it, without telling the rules of a coming online it did not see.
    @Test(arguments: StoreKind.available)
    func theSchedulersLookRoutesWhatStillWaitsWhereSomeoneIsOnline(kind: StoreKind) async throws {
        let store = try await kind.make()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_017_600))
        let services = try await Self.desk(store, rules: Self.leastLoaded, agents: ["ana"], clock: clock)
        let ticket = try await RoutingContractTests.open(services, "Sin luz")
        try await services.presence.drainWaiting()
        #expect(try await store.ticket(tenantId: "t", ticketId: ticket.ticketId)?.waiting != nil, "nobody online: it waits")
        // Ana's session lease, written as the dead instance wrote it (its routing never ran).
        let now = clock.now()
        _ = try await store.updatePresence(tenantId: "t", agentId: "ana") { _ in
            AgentPresence(
                tenantId: "t", agentId: "ana", sessions: [.init(id: "ws-9", instance: "dead", until: now.addingTimeInterval(30))],
                announced: .online, since: now)
        }
        try await services.presence.drainWaiting()
        let routed = try #require(try await store.ticket(tenantId: "t", ticketId: ticket.ticketId))
        #expect(routed.assignedAgent == "ana" && routed.waiting == nil)
        #expect(!routed.tags.contains("agent_came_online"))
    }

    /// Presence across instances: an agent connected to one instance is online for routing
    /// done by another, and an instance that dies stops counting when its leases run out.
    @Test(.enabled(if: TestStores.runsMongo))
    func anAgentOnOneInstanceIsOnlineForRoutingByAnotherUntilItsLeaseRunsOut() async throws {
        let uri = try TestStores.requireMongoURI()
        let database = "docket_presence_\(UUID().uuidString.prefix(8).lowercased())"
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_017_600))
        var instances: [DocketServices] = []
        for index in 0..<2 {
            let connection = try MongoConnection(uri: uri, settings: MongoSettings(poolSize: 4, serverSelectionTimeoutMS: 3_000))
            let store = try await MongoTicketStore.open(connection, database: database)
            instances.append(try await Self.desk(store, rules: Self.leastLoaded, agents: ["ana", "bea"], clock: clock, provision: index == 0))
        }
        let (one, two) = (instances[0], instances[1])
        let early = try await RoutingContractTests.open(two, "Antes de abrir")
        #expect(early.assignedAgent == nil)
        // Ana connects to the first instance; the second routes to her.
        await one.presence.hold(Self.agent("ana"), session: "ws-1")
        #expect(try await two.core.stores.tickets.ticket(tenantId: "t", ticketId: early.ticketId)?.assignedAgent == "ana")
        #expect(try await RoutingContractTests.open(two, "Después").assignedAgent == "ana")
        #expect(try await two.presence.list(Self.admin).first { $0.agentId == "ana" }?.status == .online)
        // The first instance dies (no renewal, no release): the second settles her offline once the lease ran out.
        clock.advance(by: PresenceLimits.lease - 1)
        #expect(try await two.presence.sweep() == 0)
        clock.advance(by: 2)
        #expect(try await two.presence.sweep() == 1)
        #expect(try await one.presence.sweep() == 0, "settled once")
        #expect(try await RoutingContractTests.open(two, "Ya no está").assignedAgent == nil)
        let told = try await two.core.stores.liveEvents.liveEvents(tenantId: "t", after: 0, limit: 1_000).filter { $0.type == .agentPresence }
        #expect(told.count == 2, "online, then offline: \(told.map(\.data))")
    }
}
