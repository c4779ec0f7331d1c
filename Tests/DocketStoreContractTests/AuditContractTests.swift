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
