@testable import DocketCore
import DocketMemory
@testable import DocketSQLite
import DocketTestSupport
import Foundation
import GRDB
import Synchronization
import Testing
@testable import DocketMongo

/// Lists, search, counts, people, pack versions and recorded events, on every store.
extension StoreContractTests {
    @Test(arguments: StoreKind.available)
    func listsFilterSortAndPaginate(kind: StoreKind) async throws {
        let store = try await kind.make()
        let day: TimeInterval = 86400
        for index in 0..<30 {
            try await Fixtures.create(store, tenant: "a") { ticket in
                ticket.createdAt = Fixtures.epoch + Double(index) * day
                ticket.priority = Priority.allCases[index % 4]
                ticket.status = index % 3 == 0 ? "open" : "new"
                ticket.category = index % 5 == 0 ? "billing" : "other"
                ticket.assignedAgent = index % 2 == 0 ? "ana" : nil
                ticket.customerId = index < 10 ? "c1" : "c2"
                ticket.tags = index % 6 == 0 ? ["poste"] : []
            }
        }
        try await Fixtures.create(store, tenant: "b")

        var query = TicketQuery()
        query.limit = 7
        var page = try await store.listTickets(tenantId: "a", query: query)
        #expect(page.total == 30)
        #expect(page.pages == 5)
        #expect(page.items.count == 7)
        #expect(page.items.first?.number == 30)  // newest first
        query.page = 5
        #expect(try await store.listTickets(tenantId: "a", query: query).items.count == 2)

        func count(_ change: (inout TicketQuery) -> Void) async throws -> Int {
            var query = TicketQuery()
            change(&query)
            return try await store.listTickets(tenantId: "a", query: query).total
        }
        #expect(try await count { $0.statuses = ["open"] } == 10)
        #expect(try await count { $0.statuses = ["open", "new"] } == 30)
        #expect(try await count { $0.category = "billing" } == 6)
        #expect(try await count { $0.priority = .urgent } == 7)
        #expect(try await count { $0.assignedAgent = "ana" } == 15)
        #expect(try await count { $0.assignedAgent = "" } == 15)
        #expect(try await count { $0.customerId = "c1" } == 10)
        #expect(try await count { $0.tag = "poste" } == 5)
        #expect(try await count { $0.createdFrom = Fixtures.epoch + 10 * day; $0.createdTo = Fixtures.epoch + 19 * day } == 10)
        #expect(try await count { $0.statuses = ["open"]; $0.assignedAgent = "ana" } == 5)

        query = TicketQuery()
        query.sortBy = .priority
        query.limit = 100
        page = try await store.listTickets(tenantId: "a", query: query)
        #expect(page.items.map(\.priority.rank) == page.items.map(\.priority.rank).sorted(by: >))
        query.ascending = true
        query.sortBy = .createdAt
        #expect(try await store.listTickets(tenantId: "a", query: query).items.first?.number == 1)
    }

    @Test(arguments: StoreKind.available)
    func searchFoldsAccentsAndKeepsInternalNotesFromCustomers(kind: StoreKind) async throws {
        let store = try await kind.make()
        let first = try await Fixtures.create(store, tenant: "a") { ticket in
            ticket.subject = "Falla de instalación eléctrica"
            ticket.notes = [Note(id: "n", authorId: "ana", authorRole: .agent, content: "proveedor Zafiro", isInternal: true, timestamp: Fixtures.epoch)]
        }
        try await Fixtures.create(store, tenant: "a") { $0.description = "Đơn hỗ trợ: giao hàng chậm" }
        try await Fixtures.create(store, tenant: "b") { $0.subject = "instalacion en otra empresa" }

        func search(_ text: String, internal withInternal: Bool = true) async throws -> [String] {
            var query = TicketQuery()
            query.search = text
            query.searchInternalNotes = withInternal
            return try await store.listTickets(tenantId: "a", query: query).items.map(\.ticketId)
        }
        #expect(try await search("instalacion") == [first.ticketId])
        #expect(try await search("INSTALACIÓN electr") == [first.ticketId])
        #expect(try await search("don ho tro").count == 1)
        #expect(try await search(first.ticketId) == [first.ticketId])
        #expect(try await search("zafiro") == [first.ticketId])
        #expect(try await search("zafiro", internal: false).isEmpty)
        #expect(try await search("\"; DROP TABLE tickets; --").isEmpty)
        #expect(try await search("***").isEmpty)

        // The index follows updates.
        var changed = first
        changed.subject = "Cambio de medidor"
        changed.version = 2
        #expect(try await store.updateTicket(changed, expectedVersion: 1))
        #expect(try await search("medidor") == [first.ticketId])
        #expect(try await search("instalacion").isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func countsByStatusPriorityAndAgent(kind: StoreKind) async throws {
        let store = try await kind.make()
        for index in 0..<6 {
            try await Fixtures.create(store, tenant: "a") { ticket in
                ticket.status = index < 2 ? "resolved" : "new"
                ticket.priority = index < 3 ? .high : .low
                ticket.assignedAgent = index < 4 ? "ana" : nil
                if index < 2 {
                    ticket.resolution = Resolution(resolvedAt: ticket.createdAt + 100, resolvedBy: "ana", notes: nil)
                    ticket.sla.resolutionMet = index == 0
                    ticket.sla.firstResponseAt = ticket.createdAt + 60
                    ticket.sla.firstResponseMet = true
                }
                if index == 5 { ticket.escalation = Escalation(escalatedTo: nil, escalatedBy: "ana", reason: "r", escalatedAt: ticket.createdAt) }
            }
        }
        let counts = try await store.ticketCounts(tenantId: "a", filter: StatsFilter())
        #expect(counts.total == 6)
        #expect(counts.byStatus == ["resolved": 2, "new": 4])
        #expect(counts.byPriority == ["high": 3, "low": 3])
        #expect(counts.escalated == 1)
        #expect(counts.agents == [AgentTicketFigures(
            agentId: "ana", assigned: 4, resolved: 2, firstResponseCount: 2, firstResponseTotalSeconds: 120, firstResponseMet: 2,
            firstResponseMeasured: 2, resolutionMet: 1, resolutionMeasured: 2)])
        #expect(try await store.ticketCounts(tenantId: "a", filter: StatsFilter(assignedAgent: "ana")).total == 4)
        #expect(try await store.ticketCounts(tenantId: "zzz", filter: StatsFilter()).total == 0)
    }

    @Test(arguments: StoreKind.available)
    func customersAreUniqueByPhoneAndCountTheirTickets(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.insertCustomer(Fixtures.customer("c1", tenant: "a", phone: "+525512345678"))
        try await store.insertCustomer(Fixtures.customer("c1", tenant: "b", phone: "+525512345678"))
        let samePhone = await #expect(throws: DocketError.self) {
            try await store.insertCustomer(Fixtures.customer("c2", tenant: "a", phone: "+525512345678"))
        }
        #expect(samePhone?.code == .conflict)
        let sameId = await #expect(throws: DocketError.self) { try await store.insertCustomer(Fixtures.customer("c1", tenant: "a")) }
        #expect(sameId?.code == .conflict)
        try await store.insertCustomer(Fixtures.customer("c3", tenant: "a"))
        try await store.insertCustomer(Fixtures.customer("c4", tenant: "a"))

        try await Fixtures.create(store, tenant: "a")
        try await Fixtures.create(store, tenant: "a")
        #expect(try await store.customer(tenantId: "a", id: "c1")?.statistics.totalTickets == 2)
        #expect(try await store.customer(tenantId: "b", id: "c1")?.statistics.totalTickets == 0)
        let page = try await store.listCustomers(tenantId: "a", page: 1, limit: 2)
        #expect(page.total == 3)
        #expect(page.items.count == 2)
    }

    @Test(arguments: StoreKind.available)
    func agentsAreUniqueByEmail(kind: StoreKind) async throws {
        let store = try await kind.make()
        let ana = Agent(
            id: "ana", tenantId: "a", name: "Ana", email: "ana@example.com", role: .agent, skills: ["solar"], capacity: 5,
            createdAt: Fixtures.epoch)
        try await store.insertAgent(ana)
        #expect(try await store.agent(tenantId: "a", id: "ana") == ana)
        #expect(try await store.agent(tenantId: "b", id: "ana") == nil)
        var bob = ana
        bob.id = "bob"
        bob.email = "ANA@example.com"
        let duplicate = await #expect(throws: DocketError.self) { try await store.insertAgent(bob) }
        #expect(duplicate?.code == .conflict)
        bob.email = nil
        try await store.insertAgent(bob)
        #expect(try await store.listAgents(tenantId: "a", page: 1, limit: 10).total == 2)
    }

    @Test(arguments: StoreKind.available)
    func pingAnswers(kind: StoreKind) async throws {
        try await kind.make().ping()
    }

    @Test(arguments: StoreKind.available)
    func packVersionsAreImmutableAndListed(kind: StoreKind) async throws {
        let store = try await kind.make()
        let bundle = PackBundle(files: ["pack.yaml": "id: contract", "rules/triage.lua": "-- ¿Qué pasó? Đơn hỗ trợ\nreturn {}"])
        let first = PackVersion(manifest: Fixtures.pack, bundle: bundle, owner: nil, origin: .shipped, createdBy: "docket", createdAt: Fixtures.epoch)
        try await store.insertPackVersion(first)
        let duplicate = await #expect(throws: DocketError.self) { try await store.insertPackVersion(first) }
        #expect(duplicate?.code == .conflict)
        var manifest = Fixtures.pack
        manifest.version = "2"
        let second = PackVersion(
            manifest: manifest, bundle: bundle, owner: "a", origin: .upload, createdBy: "boss", createdAt: Fixtures.epoch.addingTimeInterval(60))
        try await store.insertPackVersion(second)
        #expect(try await store.packVersion(packId: "contract", version: "1") == first)
        #expect(try await store.packVersion(packId: "contract", version: "2") == second)
        #expect(try await store.packVersion(packId: "contract", version: "3") == nil)
        #expect(try await store.packVersionSummaries() == [first.summary, second.summary])
    }

    @Test(arguments: StoreKind.available)
    func recordedEventsAreNumberedPerTenantNewestFirst(kind: StoreKind) async throws {
        let store = try await kind.make()
        func event(_ tenant: String, _ n: Int) -> RecordedRuleEvent {
            RecordedRuleEvent(
                tenantId: tenant, ticketId: "", type: .ticketCreated, details: ["text": "hola \(n)"], actor: "c1",
                ticket: Fixtures.ticket(tenant: tenant, number: n), packId: "contract", packVersion: "1",
                applied: ["set_priority(urgent)"], at: Fixtures.epoch.addingTimeInterval(Double(n)))
        }
        // Rule events are written with the change that caused them: here, each ticket's creation
        // (the store names the ticket in them), the second of tenant a with two.
        for (tenant, events) in [("a", [event("a", 1)]), ("a", [event("a", 2), event("a", 3)]), ("b", [event("b", 1)])] {
            _ = try await store.createTicket(
                tenantId: tenant, counterYear: 2026, messages: [], build: { Fixtures.ticket(tenant: tenant, number: $0) },
                outbox: CreationOutbox(rules: events))
        }
        let recent = try await store.recentRuleEvents(tenantId: "a", limit: 2)
        #expect(recent.map(\.seq) == [3, 2])
        #expect(recent.map(\.ticketId) == ["T-2026-2", "T-2026-2"])
        #expect(recent.first?.ticket == Fixtures.ticket(tenant: "a", number: 3))
        #expect(recent.first?.at == Fixtures.epoch.addingTimeInterval(3))
        #expect(try await store.recentRuleEvents(tenantId: "b", limit: 10).map(\.seq) == [1])
        #expect(try await store.recentRuleEvents(tenantId: "c", limit: 10).isEmpty)
    }

    /// One ticket's recorded events (replaying one ticket): those of its creation (which the
    /// store names) and of its changes, newest first, no other ticket's.
    @Test(arguments: StoreKind.available)
    func oneTicketsRecordedEventsAreReadAlone(kind: StoreKind) async throws {
        let store = try await kind.make()
        func event(_ ticket: Ticket, _ n: Int, type: RuleEventType = .ticketCreated) -> RecordedRuleEvent {
            RecordedRuleEvent(
                tenantId: "a", ticketId: ticket.ticketId, type: type, details: ["n": "\(n)"], actor: "c1", ticket: ticket, packId: "contract",
                packVersion: "1", applied: [], at: Fixtures.epoch.addingTimeInterval(Double(n)))
        }
        var created: [Ticket] = []
        for n in 1...2 {
            let draft = Fixtures.ticket(tenant: "a", number: n)
            var unnamed = draft
            unnamed.ticketId = ""
            created.append(try await store.createTicket(
                tenantId: "a", counterYear: 2026, messages: [], build: { Fixtures.ticket(tenant: "a", number: $0) },
                outbox: CreationOutbox(rules: [event(unnamed, n)])).ticket)
        }
        var next = created[0]
        next.version = 2
        next.priority = .high
        #expect(try await store.updateTicket(
            next, expectedVersion: 1, messages: [], outbox: Outbox(rules: [event(next, 3, type: .priorityChanged)])) != nil)
        let first = try await store.ticketRuleEvents(tenantId: "a", ticketId: created[0].ticketId, limit: 10)
        #expect(first.map(\.details) == [["n": "3"], ["n": "1"]])
        #expect(first.allSatisfy { $0.ticketId == created[0].ticketId })
        #expect(try await store.ticketRuleEvents(tenantId: "a", ticketId: created[0].ticketId, limit: 1).map(\.details) == [["n": "3"]])
        #expect(try await store.ticketRuleEvents(tenantId: "a", ticketId: created[1].ticketId, limit: 10).map(\.details) == [["n": "2"]])
        #expect(try await store.ticketRuleEvents(tenantId: "b", ticketId: created[0].ticketId, limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func tenantsAreListedById(kind: StoreKind) async throws {
        let store = try await kind.make()
        for id in ["zeta", "alfa", "mu"] {
            try await store.insertTenant(Tenant(id: id, name: id, pack: Fixtures.pack, createdAt: Fixtures.epoch))
        }
        let page = try await store.listTenants(page: 1, limit: 2)
        #expect(page.items.map(\.id) == ["alfa", "mu"])
        #expect(page.total == 3)
        #expect(try await store.listTenants(page: 2, limit: 2).items.map(\.id) == ["zeta"])
    }
}
