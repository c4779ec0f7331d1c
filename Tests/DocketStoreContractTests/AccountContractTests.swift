import DocketCore
import Foundation
import Testing

@Suite("Store contract: console accounts, sessions, password links")
struct AccountContractTests {
    @Test(arguments: StoreKind.available)
    func accountsAreFoundByEmailAndByAgentAndReplacedWhole(kind: StoreKind) async throws {
        let store = try await kind.make()
        let at = Fixtures.epoch
        #expect(try await store.account(tenantId: "t1", email: "ana@x.mx") == nil)
        var ana = Account(tenantId: "t1", email: "ana@x.mx", agentId: "ana", role: .agent, passwordHash: nil, createdAt: at, updatedAt: at)
        try await store.saveAccount(ana)
        ana.passwordHash = "$2b$04$hash"
        ana.role = .admin
        try await store.saveAccount(ana)
        #expect(try await store.account(tenantId: "t1", email: "ana@x.mx") == ana)
        #expect(try await store.account(tenantId: "t1", agentId: "ana") == ana)
        // Tenants are apart.
        #expect(try await store.account(tenantId: "t2", email: "ana@x.mx") == nil)
        #expect(try await store.account(tenantId: "t2", agentId: "ana") == nil)
    }

    @Test(arguments: StoreKind.available)
    func sessionsRenewAndEndOnceAndEndTogetherForOnePerson(kind: StoreKind) async throws {
        let store = try await kind.make()
        let at = Fixtures.epoch
        let one = Session(id: "s1", tenantId: "t1", role: .agent, subject: "ana", createdAt: at, renewedAt: at)
        let two = Session(id: "s2", tenantId: "t1", role: .agent, subject: "ana", createdAt: at, renewedAt: at)
        let other = Session(id: "s3", tenantId: "t1", role: .admin, subject: "boss", createdAt: at, renewedAt: at)
        for session in [one, two, other] { try await store.insertSession(session) }
        await #expect(throws: DocketError.self) { try await store.insertSession(one) }
        #expect(try await store.session(id: "s1") == one)
        #expect(try await store.renewSession(id: "s1", at: at.addingTimeInterval(60)))
        #expect(try await store.session(id: "s1")?.renewedAt == at.addingTimeInterval(60))
        #expect(try await store.endSession(id: "s1", at: at.addingTimeInterval(61)))
        #expect(try await !store.endSession(id: "s1", at: at.addingTimeInterval(62)), "a session ends once")
        #expect(try await !store.renewSession(id: "s1", at: at.addingTimeInterval(63)), "an ended session is not renewed")
        #expect(try await store.session(id: "s1")?.endedAt == at.addingTimeInterval(61))
        #expect(try await store.endSessions(tenantId: "t1", subject: "ana", at: at.addingTimeInterval(70)) == 1)
        #expect(try await store.session(id: "s2")?.endedAt == at.addingTimeInterval(70))
        #expect(try await store.session(id: "s3")?.endedAt == nil)
        #expect(try await store.session(id: "nope") == nil)
    }

    @Test(arguments: StoreKind.available)
    func aPasswordLinkIsSpentByExactlyOneOfManyConcurrentCallers(kind: StoreKind) async throws {
        let store = try await kind.make()
        let at = Fixtures.epoch
        let link = PasswordLink(
            id: "h1", tenantId: "t1", email: "ana@x.mx", agentId: "ana", role: .agent, purpose: .invite, createdBy: "boss", createdAt: at,
            expiresAt: at.addingTimeInterval(3600))
        try await store.insertPasswordLink(link)
        let winners = await withTaskGroup(of: PasswordLink?.self) { group in
            for _ in 0..<16 { group.addTask { try? await store.consumePasswordLink(id: "h1", at: at.addingTimeInterval(10)) } }
            return await group.reduce(into: [PasswordLink]()) { if let link = $1 { $0.append(link) } }
        }
        #expect(winners.count == 1)
        #expect(winners.first?.usedAt == at.addingTimeInterval(10))
        #expect(winners.first?.agentId == "ana")
        // An expired link is never spent.
        let late = PasswordLink(
            id: "h2", tenantId: "t1", email: "ana@x.mx", agentId: "ana", role: .agent, purpose: .reset, createdBy: "boss", createdAt: at,
            expiresAt: at.addingTimeInterval(60))
        try await store.insertPasswordLink(late)
        #expect(try await store.consumePasswordLink(id: "h2", at: at.addingTimeInterval(61)) == nil)
        #expect(try await store.consumePasswordLink(id: "unknown", at: at) == nil)
    }

    @Test(arguments: StoreKind.available)
    func widgetSecretsAreReplacedPerTenant(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.widgetSecret(tenantId: "t1") == nil)
        try await store.setWidgetSecret(tenantId: "t1", secret: "a")
        try await store.setWidgetSecret(tenantId: "t1", secret: "b")
        try await store.setWidgetSecret(tenantId: "t2", secret: "c")
        #expect(try await store.widgetSecret(tenantId: "t1") == "b")
        #expect(try await store.widgetSecret(tenantId: "t2") == "c")
    }
}

@Suite("Store contract: agents replaced")
struct AgentReplaceContractTests {
    @Test(arguments: StoreKind.available)
    func anAgentIsReplacedWholeAndKeepsItsEmailUnique(kind: StoreKind) async throws {
        let store = try await kind.make()
        let at = Fixtures.epoch
        var ana = Agent(id: "ana", tenantId: "t1", name: "Ana", email: "ana@x.mx", role: .agent, skills: [], capacity: 5, createdAt: at)
        let beto = Agent(id: "beto", tenantId: "t1", name: "Beto", email: "beto@x.mx", role: .agent, skills: [], capacity: 5, createdAt: at)
        try await store.insertAgent(ana)
        try await store.insertAgent(beto)
        ana.skills = ["billing"]
        ana.capacity = 7
        ana.active = false
        #expect(try await store.replaceAgent(ana))
        #expect(try await store.agent(tenantId: "t1", id: "ana") == ana)
        #expect(try await store.listAgents(tenantId: "t1", page: 1, limit: 10).items.first { $0.id == "ana" }?.isActive == false)
        var stolen = ana
        stolen.email = "BETO@x.mx"
        await #expect(throws: DocketError.self) { try await store.replaceAgent(stolen) }
        #expect(try await store.agent(tenantId: "t1", id: "ana")?.email == "ana@x.mx", "a refused replace changes nothing")
        var ghost = ana
        ghost.id = "nobody"
        #expect(try await !store.replaceAgent(ghost))
        var other = ana
        other.tenantId = "t2"
        #expect(try await !store.replaceAgent(other), "another tenant's agent is not touched")
    }
}
