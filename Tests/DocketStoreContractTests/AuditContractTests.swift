import DocketCore
import Foundation
import Testing

@Suite("Store contract: rule audit")
struct AuditContractTests {
    @Test(arguments: StoreKind.available)
    func listsLeaveTheRuleAuditOutAndOneTicketCarriesIt(kind: StoreKind) async throws {
        let store = try await kind.make()
        let json = #"{"event":"ticket.created","packId":"p","packVersion":"1","rule":"triage.lua:on_ticket_created","proposed":["add_tag(x)"],"applied":["add_tag(x)"],"rejected":[],"durationMicros":12,"depth":0,"at":0}"#
        let entry = try JSONDecoder().decode(RuleAuditEntry.self, from: Data(json.utf8))
        let ticket = try await Fixtures.create(store, tenant: "acme") { $0.ruleAudit = [entry, entry] }
        #expect(try await store.ticket(tenantId: "acme", ticketId: ticket.ticketId)?.ruleAudit == [entry, entry])
        let listed = try await store.listTickets(tenantId: "acme", query: TicketQuery())
        #expect(listed.items.map(\.ticketId) == [ticket.ticketId])
        #expect(listed.items.first?.ruleAudit == nil)
        var changed = try #require(try await store.ticket(tenantId: "acme", ticketId: ticket.ticketId))
        changed.ruleAudit = [entry]
        changed.version += 1
        #expect(try await store.updateTicket(changed, expectedVersion: 1))
        #expect(try await store.ticket(tenantId: "acme", ticketId: ticket.ticketId)?.ruleAudit == [entry])
    }
}

@Suite("Store contract: agent load and search order")
struct AgentLoadContractTests {
    @Test(arguments: StoreKind.available)
    func openTicketsPerAgentFollowAssignmentsAndStatuses(kind: StoreKind) async throws {
        let store = try await kind.make()
        let finished = ["resolved", "closed"]
        var mine: [Ticket] = []
        for (agent, status) in [("ana", "open"), ("ana", "open"), ("ana", "resolved"), ("ben", "new"), ("ben", "closed")] {
            mine.append(try await Fixtures.create(store, tenant: "acme") { $0.assignedAgent = agent; $0.status = status })
        }
        try await Fixtures.create(store, tenant: "acme")
        try await Fixtures.create(store, tenant: "bistro") { $0.assignedAgent = "ana" }
        #expect(try await store.openTicketCounts(tenantId: "acme", finished: finished) == ["ana": 2, "ben": 1])
        // Reassigned, then finished: the counts follow each write.
        var moved = mine[0]
        moved.assignedAgent = "ben"
        moved.version += 1
        #expect(try await store.updateTicket(moved, expectedVersion: 1))
        var done = mine[3]
        done.status = "resolved"
        done.version += 1
        #expect(try await store.updateTicket(done, expectedVersion: 1))
        // A lost race changes nothing.
        #expect(try await !store.updateTicket(done, expectedVersion: 1))
        #expect(try await store.openTicketCounts(tenantId: "acme", finished: finished) == ["ana": 1, "ben": 1])
        #expect(try await store.openTicketCounts(tenantId: "bistro", finished: finished) == ["ana": 1])
        // What rules read in one go: the same customer and counts as the two reads apart.
        try await store.insertCustomer(Fixtures.customer("c1", tenant: "acme", phone: "+5215512345678"))
        let inputs = try await store.ruleInputs(tenantId: "acme", customerId: "c1", finished: finished)
        #expect(inputs.customer == (try await store.customer(tenantId: "acme", id: "c1")))
        #expect(inputs.customer?.phoneNumber == "+5215512345678" && inputs.openTickets == ["ana": 1, "ben": 1])
        let nobody = try await store.ruleInputs(tenantId: "bistro", customerId: "nobody", finished: finished)
        #expect(nobody.customer == nil && nobody.openTickets == ["ana": 1])
        // The embedded store reads the agents' presence in the same go (the others leave it to a read apart).
        #expect(nobody.presence == (kind == .sqlite ? try await store.presenceMarks(tenantId: "bistro") : nil))
        // And with the ticket they are for, as a change reads them.
        let read = try #require(try await store.ticketWithRuleInputs(tenantId: "acme", ticketId: moved.ticketId, finished: finished))
        #expect(read.ticket == (try await store.ticket(tenantId: "acme", ticketId: moved.ticketId)) && read.ticket.assignedAgent == "ben")
        #expect(read.inputs == inputs)
        #expect(try await store.ticketWithRuleInputs(tenantId: "acme", ticketId: "T-2026-999", finished: finished) == nil)
    }

    @Test(arguments: StoreKind.available)
    func listsFilterByTheQueueARuleRoutedTo(kind: StoreKind) async throws {
        let store = try await kind.make()
        let billing = try await Fixtures.create(store, tenant: "acme") { $0.queue = "billing" }
        _ = try await Fixtures.create(store, tenant: "acme") { $0.queue = "field" }
        _ = try await Fixtures.create(store, tenant: "acme")
        _ = try await Fixtures.create(store, tenant: "other") { $0.queue = "billing" }
        var query = TicketQuery()
        query.queue = "billing"
        #expect(try await store.listTickets(tenantId: "acme", query: query).items.map(\.ticketId) == [billing.ticketId])
        // A ticket routed later is found under its new queue.
        var moved = try #require(try await store.ticket(tenantId: "acme", ticketId: billing.ticketId))
        moved.queue = "field"
        moved.version += 1
        #expect(try await store.updateTicket(moved, expectedVersion: moved.version - 1))
        #expect(try await store.listTickets(tenantId: "acme", query: query).total == 0)
        query.queue = "field"
        #expect(try await store.listTickets(tenantId: "acme", query: query).total == 2)
    }

    @Test(arguments: StoreKind.available)
    func searchResultsComeNewestFirstWithAnExactCount(kind: StoreKind) async throws {
        let store = try await kind.make()
        for index in 0..<5 {
            try await Fixtures.create(store, tenant: "acme") {
                $0.subject = index % 2 == 0 ? "Luminaria \(index)" : "Cobro \(index)"
                $0.createdAt = Fixtures.epoch.addingTimeInterval(Double(index))
            }
        }
        var query = TicketQuery()
        query.search = "luminaria"
        let page = try await store.listTickets(tenantId: "acme", query: query)
        #expect(page.items.map(\.subject) == ["Luminaria 4", "Luminaria 2", "Luminaria 0"])
        #expect(page.total == 3)
        #expect(!page.totalIsLowerBound)
        query.limit = 1
        query.page = 2
        #expect(try await store.listTickets(tenantId: "acme", query: query).items.map(\.subject) == ["Luminaria 2"])
    }

    @Test(arguments: StoreKind.available)
    func aSearchTermFindsEveryWordItStartsHoweverManyThereAre(kind: StoreKind) async throws {
        let store = try await kind.make()
        for subject in ["Lumi", "Luminaria apagada", "Luminarias sin luz", "Poste caído"] {
            try await Fixtures.create(store, tenant: "acme") { $0.subject = subject }
        }
        // More words start with "pa" than a term expands to (64): the search stays a prefix search.
        for index in 0..<70 {
            try await Fixtures.create(store, tenant: "acme") { $0.subject = "Pa\(index) reporte" }
        }
        try await Fixtures.create(store, tenant: "bistro") { $0.subject = "Luminaria ajena" }
        func subjects(_ text: String, limit: Int = 100) async throws -> [String] {
            var query = TicketQuery()
            query.search = text
            query.limit = limit
            return try await store.listTickets(tenantId: "acme", query: query).items.map(\.subject)
        }
        #expect(try await subjects("lumin") == ["Luminarias sin luz", "Luminaria apagada"])
        #expect(try await subjects("luminaria") == ["Luminarias sin luz", "Luminaria apagada"])
        #expect(try await subjects("LUMI") == ["Luminarias sin luz", "Luminaria apagada", "Lumi"])
        #expect(try await subjects("lumin apag") == ["Luminaria apagada"])
        #expect(try await subjects("pa").count == 70)
        #expect(try await subjects("pa1").count == 11)
        #expect(try await subjects("pa6 rep").sorted() == ["Pa6 reporte", "Pa60 reporte", "Pa61 reporte", "Pa62 reporte", "Pa63 reporte", "Pa64 reporte", "Pa65 reporte", "Pa66 reporte", "Pa67 reporte", "Pa68 reporte", "Pa69 reporte"])
        #expect(try await subjects("luminariasx").isEmpty)
        #expect(try await subjects("caido") == ["Poste caído"])
    }
}
