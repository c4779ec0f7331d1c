import DocketCore
import Foundation
import Testing

extension Fixtures {
    static func message(_ ticket: Ticket, seq: Int, from sender: MessageSender = .customer, text: String? = nil) -> TicketMessage {
        TicketMessage(
            tenantId: ticket.tenantId, ticketId: ticket.ticketId, seq: seq, id: "m\(seq)-\(UUID().uuidString.prefix(6))",
            senderId: sender == .customer ? ticket.customerId : "agent1", senderType: sender, senderName: "Ana Pérez", senderAvatar: nil,
            content: text ?? "mensaje \(seq) — ¿todo bien?", type: .text, attachments: ["https://files.example/\(seq).jpg"],
            createdAt: epoch.addingTimeInterval(Double(seq)))
    }

    static func event(_ tenant: String, _ type: LiveEventType = .ticketUpdated, ticket: String = "T-1") -> LiveEvent {
        LiveEvent(
            tenantId: tenant, type: type, ticketId: ticket, customerId: "c1", queue: "field", audience: .everyone,
            data: #"{"ticket":{"ticketId":"\#(ticket)"}}"#, at: epoch, origin: "contract")
    }
}

@Suite("Store contract: conversations and the event log")
struct ConversationContractTests {
    @Test(arguments: StoreKind.available)
    func messagesAreStoredWithTheTicketAndPagedOldestFirst(kind: StoreKind) async throws {
        let store = try await kind.make()
        // A first message stored with the ticket it opens (the store fills in the ticket id).
        let created = try await store.createTicket(
            tenantId: "acme", counterYear: 2026,
            messages: [TicketMessage(
                tenantId: "acme", ticketId: "", seq: 1, id: "first", senderId: "c1", senderType: .customer, senderName: nil,
                senderAvatar: nil, content: "hola", type: .text, attachments: [], createdAt: Fixtures.epoch)]
        ) { Fixtures.ticket(tenant: "acme", number: $0) }
        var ticket = created
        for seq in 2...5 {
            let expected = ticket.version
            ticket.version += 1
            let sender: MessageSender = seq % 2 == 0 ? .staff : .customer
            #expect(try await store.updateTicket(ticket, expectedVersion: expected, messages: [Fixtures.message(ticket, seq: seq, from: sender)]))
        }
        let all = try await store.messages(tenantId: "acme", ticketId: ticket.ticketId, after: 0, limit: 10)
        #expect(all.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(all[0].ticketId == ticket.ticketId)
        #expect(all[1] == Fixtures.message(ticket, seq: 2, from: .staff).with(id: all[1].id))
        #expect(try await store.messages(tenantId: "acme", ticketId: ticket.ticketId, after: 2, limit: 2).map(\.seq) == [3, 4])
        #expect(try await store.messages(tenantId: "other", ticketId: ticket.ticketId, after: 0, limit: 10).isEmpty)

        // A stale version stores neither the ticket nor its message.
        #expect(try await !store.updateTicket(ticket, expectedVersion: 1, messages: [Fixtures.message(ticket, seq: 6)]))
        #expect(try await store.messages(tenantId: "acme", ticketId: ticket.ticketId, after: 5, limit: 10).isEmpty)

        // Reading marks the other side's messages, once.
        let readAt = Fixtures.epoch.addingTimeInterval(100)
        #expect(try await store.markMessagesRead(tenantId: "acme", ticketId: ticket.ticketId, from: [.customer], at: readAt) == 3)
        #expect(try await store.markMessagesRead(tenantId: "acme", ticketId: ticket.ticketId, from: [.customer], at: readAt) == 0)
        let read = try await store.messages(tenantId: "acme", ticketId: ticket.ticketId, after: 0, limit: 10)
        #expect(read.filter(\.isRead).map(\.seq) == [1, 3, 5])
        #expect(read.first?.readAt == readAt)
        #expect(read.filter { !$0.isRead }.allSatisfy { $0.readAt == nil })
    }

    @Test(arguments: StoreKind.available)
    func concurrentWritersOfOneConversationNeverShareASequenceNumber(kind: StoreKind) async throws {
        let store = try await kind.make()
        let ticket = try await Fixtures.create(store, tenant: "acme")
        // Each writer reloads and retries like the service: the next seq is the stored count + 1.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for _ in 0..<50 {
                        var current = try #require(try await store.ticket(tenantId: "acme", ticketId: ticket.ticketId))
                        let expected = current.version
                        let seq = (current.chat?.messageCount ?? 0) + 1
                        current.chat = TicketChat(messageCount: seq)
                        current.version = expected + 1
                        if try await store.updateTicket(
                            current, expectedVersion: expected, messages: [Fixtures.message(current, seq: seq, text: "writer \(writer)")])
                        { return }
                    }
                    Issue.record("writer \(writer) never got through")
                }
            }
            try await group.waitForAll()
        }
        let messages = try await store.messages(tenantId: "acme", ticketId: ticket.ticketId, after: 0, limit: 100)
        #expect(messages.map(\.seq) == Array(1...8))
        #expect(Set(messages.map(\.content)).count == 8)
        #expect(try await store.ticket(tenantId: "acme", ticketId: ticket.ticketId)?.chat?.messageCount == 8)
    }

    @Test(arguments: StoreKind.available)
    func eventIdsIncreasePerTenantWithoutGapsOrRepeats(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.liveEventBounds(tenantId: "acme") == nil)
        let batch = try await store.appendLiveEvents([Fixtures.event("acme"), Fixtures.event("acme", .ticketClaimed)], retain: 1000)
        #expect(batch.map(\.id) == [1, 2])
        #expect(try await store.appendLiveEvents([Fixtures.event("bistro")], retain: 1000).map(\.id) == [1])
        // Concurrent appends from many writers (instances): every id once.
        try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<10 {
                group.addTask { try await store.appendLiveEvents([Fixtures.event("acme"), Fixtures.event("acme")], retain: 1000).map(\.id) }
            }
            var ids: [Int] = []
            for try await part in group {
                #expect(part[1] == part[0] + 1, "a batch gets consecutive ids")
                ids += part
            }
            #expect(ids.sorted() == Array(3...22))
        }
        let stored = try await store.liveEvents(tenantId: "acme", after: 20, limit: 10)
        #expect(stored.map(\.id) == [21, 22])
        #expect(stored[0].data == Fixtures.event("acme").data)
        #expect(stored[0].origin == "contract")
        #expect(try await store.liveEventBounds(tenantId: "acme") == LiveEventBounds(oldest: 1, latest: 22))
        #expect(try await store.liveEvents(tenantId: "bistro", after: 0, limit: 10).count == 1)
    }

    @Test(arguments: StoreKind.available)
    func theEventLogKeepsTheLatestEventsOfEachTenant(kind: StoreKind) async throws {
        let store = try await kind.make()
        for _ in 0..<30 {
            _ = try await store.appendLiveEvents(Array(repeating: Fixtures.event("acme"), count: 10), retain: 100)
        }
        _ = try await store.appendLiveEvents([Fixtures.event("bistro")], retain: 100)
        let bounds = try #require(try await store.liveEventBounds(tenantId: "acme"))
        #expect(bounds.latest == 300)
        #expect(bounds.oldest > 1)
        #expect(bounds.latest - bounds.oldest + 1 >= 100)
        #expect(bounds.latest - bounds.oldest + 1 <= 100 + 64)
        #expect(try await store.liveEventBounds(tenantId: "bistro") == LiveEventBounds(oldest: 1, latest: 1))
    }
}

extension TicketMessage {
    func with(id: String) -> TicketMessage {
        var copy = self
        copy.id = id
        return copy
    }
}
