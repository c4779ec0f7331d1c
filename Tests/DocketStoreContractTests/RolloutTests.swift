import DocketCore
import DocketMemory
import DocketMongo
import DocketPacks
import DocketSQLite
import DocketTestSupport
import DocketWire
import Foundation
import Testing

/// A rules double that answers by pack version, as the Lua engine does for different files:
/// 1.0.0 (active) tags new tickets `v1`; 2.0.0 tags them `v2` and fails on a note saying "boom";
/// 3.0.0 runs out of budget on every new ticket.
struct VersionedRules: RuleEngine {
    func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome] {
        let version = context.tenant.pack.version
        let rule = "rules/v\(version).lua:on_\(event.type.rawValue)"
        guard !skipping.contains(rule) else { return [] }
        func outcome(_ actions: [RuleAction], error: String? = nil) -> [RuleOutcome] {
            [RuleOutcome(rule: rule, actions: actions, error: error, durationMicros: 7)]
        }
        switch (version, event.type) {
        case ("1.0.0", .ticketCreated): return outcome([.addTag("v1")])
        case ("2.0.0", .ticketCreated): return outcome([.addTag("v2")])
        case ("2.0.0", .noteAdded) where event.details["text"] == "boom":
            return outcome([], error: "rules/v2.0.0.lua:3: boom")
        case ("2.0.0", .noteAdded): return outcome([.addTag("noted-v2")])
        case ("1.0.0", .noteAdded): return outcome([.addTag("noted-v1")])
        case ("3.0.0", .ticketCreated): return outcome([], error: "budget: more than 1,000,000 instructions")
        default: return []
        }
    }

    func prepare(packId: String, version: String) async throws {}
}

/// A tenant on version 1.0.0 of a pack whose 2.0.0 and 3.0.0 are stored, on one store; more
/// instances (`second`) share the store, as servers share one database.
struct RolloutDesk {
    let services: DocketServices
    let store: any TicketStore
    let clock: ManualClock
    static let t0 = Date(timeIntervalSince1970: 1_795_017_600)
    static let admin = Principal(tenantId: "t", role: .admin, subject: "boss")
    static let customer = Principal(tenantId: "t", role: .customer, subject: "c1")

    static func manifest(_ version: String) throws -> PackManifest {
        var pack = try PackLoader(root: packsRoot).load("luxfree-solar")
        pack.version = version
        pack.rules = [RuleFileSpec(file: "rules/v.lua", events: ["ticket.created", "note.added"])]
        return pack
    }

    init(_ kind: StoreKind, store given: (any TicketStore)? = nil, clock: ManualClock = ManualClock(RolloutDesk.t0), setUp: Bool? = nil) async throws {
        let store: any TicketStore
        if let given { store = given } else { store = try await kind.make() }
        self.store = store
        self.clock = clock
        services = DocketServices(
            store: store, wire: DocketWireFormat(), clock: clock, tenantCacheSeconds: 0, rules: VersionedRules())
        guard setUp ?? (given == nil) else { return }
        for version in ["1.0.0", "2.0.0", "3.0.0"] {
            try await store.insertPackVersion(PackVersion(
                manifest: try Self.manifest(version), bundle: PackBundle(files: ["pack.yaml": "id: luxfree-solar"]), owner: nil,
                origin: .upload, createdBy: "boss", createdAt: Self.t0))
        }
        _ = try await services.tenants.provisionTenant(id: "t", name: "T", pack: try Self.manifest("1.0.0"))
        _ = try await services.tenants.createCustomer(Self.admin, NewCustomer(id: "c1", phoneNumber: "+52 55 1234 5678", firstName: "Luz"))
    }

    /// Another server instance on the same store: on MongoDB with a connection (and client
    /// pool) of its own, as a separate process has.
    func second() async throws -> RolloutDesk {
        guard let mongo = store as? MongoTicketStore else { return try await RolloutDesk(.memory, store: store, clock: clock) }
        let connection = try MongoConnection(uri: try TestStores.requireMongoURI(), settings: MongoSettings(poolSize: 4, serverSelectionTimeoutMS: 3_000))
        return try await RolloutDesk(.mongo, store: try await MongoTicketStore.open(connection, database: mongo.database), clock: clock)
    }

    func open(_ n: Int) async throws -> Ticket {
        try await services.tickets.createTicket(Self.customer, NewTicket(subject: "Panel \(n)", description: "Sin energía \(n)"))
    }

    func start(_ mode: RolloutMode, percent: Double? = nil, version: String = "2.0.0", _ limits: RolloutLimits? = nil) async throws
        -> PackRollout
    {
        try await services.tenants.startRollout(
            Self.admin, tenantId: "t", RolloutRequest(pack: "luxfree-solar", version: version, mode: mode, percent: percent, rollback: limits))
    }

    func rollout() async throws -> PackRollout { try #require(try await services.tenants.rollout(Self.admin, tenantId: "t")) }

    func ticket(_ id: String) async throws -> Ticket { try #require(try await store.ticket(tenantId: "t", ticketId: id)) }
}

@Suite("Staged rollouts: shadow and canary candidates, their comparison and rollback, on every store")
struct RolloutTests {
    @Test(arguments: StoreKind.available)
    func aShadowCandidateIsRecordedAndComparedButNeverApplied(kind: StoreKind) async throws {
        let desk = try await RolloutDesk(kind)
        let started = try await desk.start(.shadow, RolloutLimits(maxErrorRate: 0.5))
        #expect(started.state == .running && started.activeVersion == "luxfree-solar@1.0.0" && started.key == "luxfree-solar@2.0.0")
        #expect(try await desk.services.tenants.tenantInfo(RolloutDesk.admin, "t").rollout?.id == started.id)
        var opened: [Ticket] = []
        for n in 1...5 { opened.append(try await desk.open(n)) }
        for ticket in opened {
            #expect(ticket.tags == ["v1"])
            #expect(ticket.canary == nil)
            let stored = try await desk.ticket(ticket.ticketId)
            let shadow = try #require(stored.ruleAudit?.first { $0.role == "shadow" })
            #expect(shadow.packVersion == "2.0.0" && shadow.applied == ["add_tag(v2)"])
            #expect(stored.ruleAudit?.contains { $0.role == nil && $0.packVersion == "1.0.0" && $0.applied == ["add_tag(v1)"] } == true)
        }
        // The trace names the shadow run, which decided nothing.
        let trace = try await desk.services.tickets.trace(RolloutDesk.admin, opened[0].ticketId)
        #expect(trace.changes.first?.handlers.map(\.role) == [nil, "shadow"])
        #expect(trace.changes.first?.decisions.map(\.action) == ["add_tag(v1)"])
        let rollout = try await desk.rollout()
        #expect(rollout.events == 5 && rollout.differing == 5)
        #expect(rollout.differences == ["active:add_tag": 5, "candidate:add_tag": 5])
        #expect(rollout.active.decided == 5 && rollout.candidate.decided == 0)
        #expect(rollout.candidate.evaluations == 5 && rollout.candidate.errors == 0 && rollout.candidate.micros == 35)
        #expect(rollout.series.map(\.events).reduce(0, +) == 5)
        // The recorded events name the version that decided.
        let recorded = try await desk.store.recentRuleEvents(tenantId: "t", limit: 10)
        #expect(recorded.count == 5 && recorded.allSatisfy { $0.packVersion == "1.0.0" })
    }

    @Test(arguments: StoreKind.available)
    func aCanaryDecidesItsShareOfTicketsForTheirWholeLifeOnEveryInstance(kind: StoreKind) async throws {
        let desk = try await RolloutDesk(kind)
        // Tickets opened before the rollout are drawn by a stable hash of the rollout and the ticket.
        var older: [Ticket] = []
        for n in 1...20 { older.append(try await desk.open(n)) }
        desk.clock.advance(by: 60)
        let started = try await desk.start(.canary, percent: 30)
        let other = try await desk.second()
        var opened: [Ticket] = []
        for n in 1...80 { opened.append(try await (n.isMultiple(of: 2) ? desk : other).open(n)) }
        let canary = opened.filter { $0.tags == ["v2"] }
        for ticket in opened {
            let stored = try await desk.ticket(ticket.ticketId)
            #expect((ticket.tags == ["v2"]) == (stored.canary == started.id), "\(ticket.ticketId)")
        }
        // 30 % asked, over 80 tickets: 24 expected, within 14 (more than 3 standard deviations).
        #expect((10...38).contains(canary.count), "canary tickets: \(canary.count) of 80")
        // Every later change of a ticket is decided by the version that decided its first,
        // whichever instance makes it; older tickets too, the same on both instances.
        for (index, ticket) in (opened + older).enumerated() {
            let instance = index.isMultiple(of: 2) ? other : desk
            let noted = try await instance.services.tickets.addNote(RolloutDesk.admin, ticket.ticketId, content: "hello", isInternal: true)
            let byCandidate = noted.tags.contains("noted-v2")
            #expect(byCandidate != noted.tags.contains("noted-v1"))
            if index < 30 {
                let again = try await (index.isMultiple(of: 2) ? desk : other).services.tickets.addNote(
                    RolloutDesk.admin, ticket.ticketId, content: "again", isInternal: true)
                #expect(again.tags == noted.tags)
            }
            if older.contains(where: { $0.ticketId == ticket.ticketId }) {
                #expect(byCandidate == (RolloutPlan.share(of: "\(started.id)/t/\(ticket.ticketId)") < 0.3))
            } else {
                #expect(byCandidate == (ticket.tags == ["v2"]), "\(ticket.ticketId)")
            }
        }
        // Each instance's figures of changes the active version decided wait up to 250 ms in its
        // batch: reading through an instance writes its own first.
        _ = try await other.rollout()
        let rollout = try await desk.rollout()
        #expect(rollout.candidate.decided + rollout.active.decided == rollout.events)
        #expect(rollout.events == 80 + 100 + 30)
    }

    @Test(arguments: StoreKind.available)
    func aCanaryRollsBackAtTheFirstChangeThatCrossesALimitAndNoLaterChangeIsTheCandidates(kind: StoreKind) async throws {
        let desk = try await RolloutDesk(kind)
        var opened: [Ticket] = []
        for n in 1...24 { opened.append(try await desk.open(n)) }
        let started = try await desk.start(.canary, percent: 50, RolloutLimits(maxErrorRate: 0.5, minEvents: 4))
        let other = try await desk.second()
        // Every note saying "boom" fails under the candidate: the fourth evaluation crosses the
        // limit. The notes come at once, from two instances.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, ticket) in opened.enumerated() {
                let instance = index.isMultiple(of: 2) ? desk : other
                group.addTask { _ = try await instance.services.tickets.addNote(RolloutDesk.admin, ticket.ticketId, content: "boom", isInternal: true) }
            }
            try await group.waitForAll()
        }
        let rollout = try await desk.rollout()
        #expect(rollout.state == .rolledBack)
        #expect(rollout.reason?.hasPrefix("error rate 100 % over ") == true, "\(rollout.reason ?? "-")")
        #expect(rollout.endedBy == "rollout" && rollout.crossed == "maxErrorRate")
        // Only changes tallied before the crossing one can have been the candidate's (at most 3),
        // and exactly the ones the record counted.
        var decidedByCandidate = 0
        for ticket in opened {
            let stored = try await desk.ticket(ticket.ticketId)
            decidedByCandidate += stored.ruleAudit?.count { $0.role == "canary" && $0.event == "note.added" } ?? 0
        }
        #expect(decidedByCandidate == rollout.candidate.decided)
        #expect(rollout.candidate.decided <= 3)
        // The record stopped at the crossing step: the figures of the changes after it (and of
        // those the active version decided that were still waiting in a batch) are not in it.
        #expect((4...24).contains(rollout.events))
        // The tenant runs the active version alone again, and staff were told why.
        #expect(try await desk.services.tenants.tenantInfo(RolloutDesk.admin, "t").rollout == nil)
        let told = try await desk.store.liveEvents(tenantId: "t", after: 0, limit: 1_000).filter { $0.type == .packRollout }
        #expect(told.count == 2)
        #expect(told.last?.data.contains("\"state\":\"rolled_back\"") == true)
        let after = try await other.services.tickets.addNote(RolloutDesk.admin, opened[0].ticketId, content: "boom", isInternal: true)
        #expect(after.ruleAudit?.last?.role == nil && after.ruleAudit?.last?.packVersion == "1.0.0")
        _ = started
    }

    @Test(arguments: StoreKind.available)
    func anyBudgetOverrunEndsARolloutWithZeroAllowed(kind: StoreKind) async throws {
        let desk = try await RolloutDesk(kind)
        _ = try await desk.start(.canary, percent: 99, version: "3.0.0", RolloutLimits(maxBudgetOverruns: 0))
        let ticket = try await desk.open(1)
        #expect(ticket.tags == ["v1"])
        let rollout = try await desk.rollout()
        #expect(rollout.state == .rolledBack && rollout.candidate.budgetOverruns == 1 && rollout.candidate.decided == 0)
        #expect(rollout.reason == "1 budget overrun (at most 0 allowed)")
    }

    @Test(arguments: StoreKind.available)
    func promoteMakesTheCandidateActiveAndAbortEndsIt(kind: StoreKind) async throws {
        let desk = try await RolloutDesk(kind)
        _ = try await desk.start(.shadow)
        let twice = await #expect(throws: DocketError.self) { try await desk.start(.canary, percent: 10) }
        #expect(twice?.code == .conflict)
        let promoted = try await desk.services.tenants.promoteRollout(RolloutDesk.admin, tenantId: "t")
        #expect(promoted.pack.version == "2.0.0" && promoted.rollout == nil && promoted.packHistory?.last?.reason == "rollout_promoted")
        #expect(try await desk.rollout().state == .promoted)
        #expect(try await desk.open(1).tags == ["v2"])
        let none = await #expect(throws: DocketError.self) { try await desk.services.tenants.promoteRollout(RolloutDesk.admin, tenantId: "t") }
        #expect(none?.code == .notFound)

        _ = try await desk.start(.canary, percent: 20, version: "1.0.0")
        let aborted = try await desk.services.tenants.abortRollout(RolloutDesk.admin, tenantId: "t")
        #expect(aborted.state == .aborted && aborted.endedBy == "boss")
        #expect(try await desk.services.tenants.tenantInfo(RolloutDesk.admin, "t").rollout == nil)
        let again = await #expect(throws: DocketError.self) { try await desk.services.tenants.abortRollout(RolloutDesk.admin, tenantId: "t") }
        #expect(again?.code == .notFound)

        // Switching the version directly ends a running rollout.
        let running = try await desk.start(.shadow, version: "1.0.0")
        _ = try await desk.services.tenants.activatePack(RolloutDesk.admin, tenantId: "t", PackSelection(pack: "luxfree-solar", version: "3.0.0"))
        let replaced = try await desk.rollout()
        #expect(replaced.id == running.id && replaced.state == .aborted && replaced.reason == "another version was activated")
    }

    @Test(arguments: StoreKind.available)
    func badRolloutRequestsAreRefusedWithTheField(kind: StoreKind) async throws {
        let desk = try await RolloutDesk(kind)
        func refused(_ request: RolloutRequest, _ principal: Principal = RolloutDesk.admin) async -> DocketError? {
            await #expect(throws: DocketError.self) { try await desk.services.tenants.startRollout(principal, tenantId: "t", request) }
        }
        #expect(await refused(RolloutRequest(pack: "luxfree-solar", version: "2.0.0", mode: .canary))?.field == "percent")
        #expect(await refused(RolloutRequest(pack: "luxfree-solar", version: "2.0.0", mode: .canary, percent: 100))?.field == "percent")
        #expect(await refused(RolloutRequest(pack: "luxfree-solar", version: "2.0.0", mode: .shadow, percent: 5))?.field == "percent")
        #expect(await refused(RolloutRequest(
            pack: "luxfree-solar", version: "2.0.0", mode: .shadow, rollback: RolloutLimits(maxErrorRate: 1.5)))?.field == "rollback.maxErrorRate")
        #expect(await refused(RolloutRequest(
            pack: "luxfree-solar", version: "2.0.0", mode: .shadow, rollback: RolloutLimits(minEvents: 0)))?.field == "rollback.minEvents")
        #expect(await refused(RolloutRequest(pack: "luxfree-solar", version: "1.0.0", mode: .shadow))?.field == "version")
        #expect(await refused(RolloutRequest(pack: "luxfree-solar", version: "9.9.9", mode: .shadow))?.code == .notFound)
        #expect(await refused(
            RolloutRequest(pack: "luxfree-solar", version: "2.0.0", mode: .shadow), Principal(tenantId: "t", role: .agent, subject: "ana"))?.code
            == .forbidden)
        #expect(try await desk.services.tenants.rollout(RolloutDesk.admin, tenantId: "t") == nil)
    }

    /// A store of `kind` and how to open it again as a restarted server would (memory: the same
    /// store, which only drops the services' caches).
    static func reopenable(_ kind: StoreKind) async throws -> (any TicketStore, () async throws -> any TicketStore) {
        switch kind {
        case .memory:
            let store = MemoryTicketStore()
            return (store, { store })
        case .sqlite:
            let path = try Scratch.directory("rollout-restart").appendingPathComponent("docket.sqlite").path
            let store = try SQLiteTicketStore(path: path)
            return (store, {
                try store.close()
                return try SQLiteTicketStore(path: path)
            })
        case .mongo:
            let connection = try requireMongoConnection()
            let name = "docket_test_\(UUID().uuidString.prefix(8).lowercased())"
            return (try await MongoTicketStore.open(connection, database: name), { try await MongoTicketStore.open(connection, database: name) })
        }
    }

    @Test(arguments: StoreKind.available)
    func aRunningRolloutSurvivesARestart(kind: StoreKind) async throws {
        let (store, reopen) = try await Self.reopenable(kind)
        let desk = try await RolloutDesk(kind, store: store, setUp: true)
        let started = try await desk.start(.shadow)
        _ = try await desk.open(1)
        // A stopping server writes the figures still waiting (the scheduler's last pass).
        await desk.services.tickets.flushRolloutFigures()
        let again = try await RolloutDesk(kind, store: try await reopen(), clock: desk.clock, setUp: false)
        let kept = try await again.rollout()
        #expect(kept.id == started.id && kept.state == .running && kept.events == 1)
        #expect(try await again.services.tenants.tenantInfo(RolloutDesk.admin, "t").rollout?.id == started.id)
        let ticket = try await again.open(2)
        #expect(try await again.ticket(ticket.ticketId).ruleAudit?.contains { $0.role == "shadow" && $0.packVersion == "2.0.0" } == true)
        #expect(try await again.rollout().events == 2)
    }

    /// The record's one-step update: concurrent tallies from many tasks are all counted.
    @Test(arguments: StoreKind.available)
    func concurrentTalliesAreAllCounted(kind: StoreKind) async throws {
        let store = try await kind.make()
        let fresh = PackRollout(
            id: "r1", tenantId: "t", packId: "p", version: "2", activeVersion: "p@1", mode: .shadow, percent: nil, limits: RolloutLimits(),
            startedAt: RolloutDesk.t0, startedBy: "boss")
        _ = try await store.updateRollout(tenantId: "t") { _ in fresh }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    _ = try await store.updateRollout(tenantId: "t") { current in
                        guard var current else { return nil }
                        var tally = RolloutTally(at: RolloutDesk.t0)
                        tally.events = 1
                        current.add(tally, candidateWants: false)
                        return current
                    }
                }
            }
            try await group.waitForAll()
        }
        let stored = try #require(try await store.rollout(tenantId: "t"))
        #expect(stored.events == 40 && stored.active.decided == 40 && stored.revision == 41)
        #expect(try await store.rollout(tenantId: "other") == nil)
    }
}
