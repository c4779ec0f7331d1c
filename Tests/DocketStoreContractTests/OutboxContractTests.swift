import DocketCore
import Foundation
import Synchronization
import Testing

@Suite("Store contract: the transactional outbox")
struct OutboxContractTests {
    static func event(_ tenant: String, _ ticketId: String, _ type: LiveEventType) -> LiveEvent {
        LiveEvent(tenantId: tenant, type: type, ticketId: ticketId, audience: .staff, data: "{}", at: Fixtures.epoch)
    }

    static func record(_ ticket: Ticket) -> RecordedRuleEvent {
        RecordedRuleEvent(
            tenantId: ticket.tenantId, ticketId: ticket.ticketId, type: .ticketUpdated, details: [:], actor: "t", ticket: ticket,
            packId: "p", packVersion: "1", applied: ["add_tag(x)"], at: Fixtures.epoch)
    }

    @Test(arguments: StoreKind.available)
    func aChangeWritesItsEventsWithItAndALostRaceWritesNone(kind: StoreKind) async throws {
        let store = try await kind.make()
        let told = Mutex<[[LiveEvent]]>([])
        let hook: @Sendable ([LiveEvent]) -> Void = { events in told.withLock { $0.append(events) } }
        let (created, announced) = try await store.createTicket(
            tenantId: "acme", counterYear: 2026, messages: [],
            build: { Fixtures.ticket(tenant: "acme", number: $0) },
            outbox: CreationOutbox(rules: [Self.record(Fixtures.ticket(tenant: "acme", number: 0))], onCommit: hook) { ticket in
                [Self.event("acme", ticket.ticketId, .ticketCreated), Self.event("acme", ticket.ticketId, .newPendingTicket)]
            })
        #expect(announced.map(\.id) == [1, 2])
        #expect(announced.allSatisfy { $0.ticketId == created.ticketId })
        var next = created
        next.version = 2
        next.subject = "Cambiado"
        let written = try await store.updateTicket(
            next, expectedVersion: 1, messages: [], outbox: Outbox(live: [Self.event("acme", created.ticketId, .ticketUpdated)], rules: [Self.record(next)], onCommit: hook))
        #expect(written?.map(\.id) == [3])
        // A write that loses the race stores nothing of its outbox.
        let lost = try await store.updateTicket(
            next, expectedVersion: 1, messages: [], outbox: Outbox(live: [Self.event("acme", created.ticketId, .ticketUpdated)], rules: [Self.record(next)], onCommit: hook))
        #expect(lost == nil)
        #expect(try await store.liveEvents(tenantId: "acme", after: 0, limit: 10).map(\.id) == [1, 2, 3])
        let recorded = try await store.recentRuleEvents(tenantId: "acme", limit: 10)
        #expect(recorded.count == 2)
        #expect(recorded.allSatisfy { $0.ticketId == created.ticketId }, "the store names the created ticket in its rule events")
        #expect(told.withLock { $0.map { $0.map(\.id) } } == [[1, 2], [3]], "the commit hook hears each committed write once")
    }

    @Test(arguments: StoreKind.available)
    func concurrentChangesAreToldInCommitOrderWhichIsIdOrder(kind: StoreKind) async throws {
        let store = try await kind.make()
        let told = Mutex<[Int]>([])
        let hook: @Sendable ([LiveEvent]) -> Void = { events in told.withLock { $0 += events.map(\.id) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    _ = try await store.createTicket(
                        tenantId: "acme", counterYear: 2026, messages: [],
                        build: { Fixtures.ticket(tenant: "acme", number: $0) },
                        outbox: CreationOutbox(onCommit: hook) { ticket in
                            [Self.event("acme", ticket.ticketId, .ticketCreated), Self.event("acme", ticket.ticketId, .newPendingTicket)]
                        })
                }
            }
            try await group.waitForAll()
        }
        let ids = told.withLock { $0 }
        #expect(Set(ids) == Set(1...80))
        if kind != .mongo {
            // One writer at a time: commits, and so the hook, go in id order (MongoDB instances
            // interleave ids; its events are delivered as they come).
            #expect(ids == Array(1...80))
        }
        // Each ticket's two events are next to each other in the log.
        let log = try await store.liveEvents(tenantId: "acme", after: 0, limit: 100)
        for pair in stride(from: 0, to: log.count, by: 2) where kind != .mongo {
            #expect(log[pair].ticketId == log[pair + 1].ticketId)
        }
    }
}
