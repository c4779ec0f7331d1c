import DocketCore
@testable import DocketHTTP
import Foundation
import Testing

@Suite("Ticket list JSON")
struct TicketListJSONTests {
    static let agent = Principal(tenantId: "default", role: .agent, subject: "ana")
    static let customer = Principal(tenantId: "default", role: .customer, subject: "cust-list")

    @Test func listsAreByteForByteTheEnvelopeAndFollowEachChange() async throws {
        let app = try await TestApp()
        let services = app.services
        let first = try await services.tickets.createTicket(Self.customer, NewTicket(subject: "Poste caído", description: "Frente al 12"))
        _ = try await services.tickets.createTicket(Self.customer, NewTicket(subject: "Luminaria apagada", description: "Desde anoche"))
        _ = try await services.tickets.addNote(Self.agent, first.ticketId, content: "Proveedor Zafiro", isInternal: true)
        let lists = TicketListJSON(capacity: 16)

        func check(_ principal: Principal) async throws -> String {
            let page = try await services.tickets.listTickets(principal, TicketQuery())
            let expected = try APICoding.encoder.encode(TicketListEnvelope(tickets: page.items, pagination: Pagination(page)))
            // Cold, then from the cache: both exactly what the envelope encodes to.
            #expect(try lists.encode(page, for: principal) == expected)
            #expect(try lists.encode(page, for: principal) == expected)
            return String(decoding: expected, as: UTF8.self)
        }
        #expect(try await check(Self.agent).contains("Zafiro"))
        // Staff saw the internal note first; the customer's view of the same version does not have it.
        #expect(try await !check(Self.customer).contains("Zafiro"))
        _ = try await services.tickets.addNote(Self.agent, first.ticketId, content: "Vamos en camino", isInternal: false)
        #expect(try await check(Self.customer).contains("Vamos en camino"))
        #expect(try await check(Self.agent).contains("Vamos en camino"))
    }

    @Test func theCacheKeepsAtMostItsCapacity() {
        let cache = VersionedCache<Int, String>(capacity: 3)
        for key in 0..<5 { cache.keep("v\(key)", for: key, version: 1) }
        #expect(cache.value(0, version: 1) == nil)
        #expect(cache.value(1, version: 1) == nil)
        #expect(cache.value(4, version: 1) == "v4")
        #expect(cache.value(4, version: 2) == nil)
        cache.keep("v4b", for: 4, version: 2)
        #expect(cache.value(4, version: 2) == "v4b")
        #expect(cache.value(2, version: 1) == "v2")
    }
}
