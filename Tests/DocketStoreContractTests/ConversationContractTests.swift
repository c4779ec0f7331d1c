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
    /// Issue 16, 1: at most one ticket per customer is their open chat, whoever writes at once.
    @Test(arguments: StoreKind.available)
    func oneOpenChatPerCustomerEvenWhenCreatedAtOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    do {
                        _ = try await store.createTicket(tenantId: "acme", counterYear: 2026) { number in
                            var ticket = Fixtures.ticket(tenant: "acme", number: number)
                            ticket.openChatOf = ticket.customerId
                            return ticket
                        }
                        return true
                    } catch let error as DocketError {
                        #expect(error.code == .conflict)
                        return false
                    } catch {
                        Issue.record("\(error)")
                        return false
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        var holder = try #require(try await store.listTickets(tenantId: "acme", query: TicketQuery()).items.first { $0.openChatOf != nil })
        // Another tenant's customer of the same id is someone else.
        _ = try await store.createTicket(tenantId: "other", counterYear: 2026) { number in
            var ticket = Fixtures.ticket(tenant: "other", number: number)
            ticket.openChatOf = ticket.customerId
            return ticket
        }
        // Released (resolved or closed), the next chat can open.
        let expected = holder.version
        holder.version += 1
        holder.openChatOf = nil
        #expect(try await store.updateTicket(holder, expectedVersion: expected))
        let next = try await store.createTicket(tenantId: "acme", counterYear: 2026) { number in
            var ticket = Fixtures.ticket(tenant: "acme", number: number)
            ticket.openChatOf = ticket.customerId
            return ticket
        }
        // An update cannot make a second one either.
        var again = holder
        again.version += 1
        again.openChatOf = next.customerId
        await #expect(throws: DocketError.self) { _ = try await store.updateTicket(again, expectedVersion: holder.version) }
    }

    /// Issue 16, 2: messages from both sides and both sides' read marks at once; the counters
    /// always equal the unread messages (a read mark and a counter reset are one write).
    @Test(arguments: StoreKind.available)
    func unreadCountersEqualUnreadMessagesUnderConcurrentWritersAndReaders(kind: StoreKind) async throws {
        let store = try await kind.make()
        let created = try await store.createTicket(tenantId: "acme", counterYear: 2026) { Fixtures.ticket(tenant: "acme", number: $0) }
        let id = created.ticketId
        @Sendable func write(_ change: @Sendable (inout Ticket) -> (message: TicketMessage?, mark: ReadMark?)) async throws {
            for _ in 0..<200 {
                var ticket = try #require(try await store.ticket(tenantId: "acme", ticketId: id))
                let expected = ticket.version
                ticket.version += 1
                let (message, mark) = change(&ticket)
                if let mark {
                    if try await store.updateTicket(ticket, expectedVersion: expected, markingRead: mark) != nil { return }
                } else if try await store.updateTicket(ticket, expectedVersion: expected, messages: message.map { [$0] } ?? []) {
                    return
                }
            }
            Issue.record("a write lost 200 races in a row")
        }
        @Sendable func send(_ sender: MessageSender) async throws {
            try await write { ticket in
                var chat = ticket.chat ?? TicketChat()
                chat.messageCount += 1
                if sender == .customer { chat.unreadStaff += 1 } else { chat.unreadCustomer += 1 }
                ticket.chat = chat
                return (Fixtures.message(ticket, seq: chat.messageCount, from: sender), nil)
            }
        }
        @Sendable func read(_ sender: MessageSender) async throws {
            try await write { ticket in
                var chat = ticket.chat ?? TicketChat()
                if sender == .customer { chat.unreadStaff = 0 } else { chat.unreadCustomer = 0 }
                ticket.chat = chat
                return (nil, ReadMark(senders: [sender], through: chat.messageCount, at: Fixtures.epoch))
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<6 {
                group.addTask {
                    for step in 0..<8 {
                        switch (task + step) % 4 {
                        case 0: try await send(.customer)
                        case 1: try await send(.staff)
                        case 2: try await read(.customer)
                        default: try await read(.staff)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let ticket = try #require(try await store.ticket(tenantId: "acme", ticketId: id))
        let messages = try await store.messages(tenantId: "acme", ticketId: id, after: 0, limit: 100)
        #expect(messages.map(\.seq) == Array(1...(ticket.chat?.messageCount ?? 0)))
        #expect(ticket.chat?.unreadStaff == messages.filter { $0.senderType == .customer && !$0.isRead }.count)
        #expect(ticket.chat?.unreadCustomer == messages.filter { $0.senderType == .staff && !$0.isRead }.count)
    }

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

        // Reading marks the other side's messages up to a seq, with the ticket's write, once.
        let readAt = Fixtures.epoch.addingTimeInterval(100)
        let mark = ReadMark(senders: [.customer], through: 5, at: readAt)
        #expect(try await store.updateTicket(ticket, expectedVersion: 1, markingRead: mark) == nil, "a stale version marks nothing")
        var reading = ticket
        reading.version += 1
        #expect(try await store.updateTicket(reading, expectedVersion: ticket.version, markingRead: ReadMark(senders: [.customer], through: 3, at: readAt)) == 2)
        ticket = reading
        reading.version += 1
        #expect(try await store.updateTicket(reading, expectedVersion: ticket.version, markingRead: mark) == 1)
        ticket = reading
        reading.version += 1
        #expect(try await store.updateTicket(reading, expectedVersion: ticket.version, markingRead: mark) == 0)
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
    func anEventKeepsEveryAddressingField(kind: StoreKind) async throws {
        let store = try await kind.make()
        var hook = Fixtures.event("acme", .ruleWebhook)
        hook.audience = .staff
        hook.endpoint = "wh_1"
        hook.queue = nil
        var notice = Fixtures.event("acme", .notification)
        notice.agentId = "a7"
        let stored = try await store.appendLiveEvents([hook, notice], retain: 1000)
        let read = try await store.liveEvents(tenantId: "acme", after: 0, limit: 10)
        #expect(read == stored)
        #expect(read.map(\.endpoint) == ["wh_1", nil])
        #expect(read.map(\.agentId) == [nil, "a7"])
        #expect(read.map(\.queue) == [nil, "field"])
        #expect(read.map(\.audience) == [.staff, .everyone])
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
