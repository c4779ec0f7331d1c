@testable import DocketCore
import DocketTestSupport
import Foundation
import Testing

@testable import DocketMongo

/// MongoDB's outbox without transactions: a change's messages and events ride in the ticket's
/// write; what a crashed writer left there is moved once, however many movers race for it.
@Suite("MongoDB outbox")
struct MongoOutboxTests {
    static func event(_ type: LiveEventType, _ ticketId: String) -> LiveEvent {
        LiveEvent(tenantId: "acme", type: type, ticketId: ticketId, audience: .staff, data: "{}", at: Fixtures.epoch)
    }

    @Test(.enabled(if: TestStores.runsMongo)) func aBatchAStoppedWriterLeftIsMovedOnceByRacingSweepers() async throws {
        let store = try #require(try await StoreKind.mongo.make() as? MongoTicketStore)
        let ticket = try await Fixtures.create(store, tenant: "acme")
        let key = MongoTicketStore.key("acme", ticket.ticketId)
        // What a writer killed right after its ticket write leaves: two batches, the older one
        // half moved (its first event already in the log under the batch's name).
        let message = TicketMessage(
            tenantId: "acme", ticketId: ticket.ticketId, seq: 1, id: "m1", senderId: "c1", senderType: .customer, senderName: nil,
            senderAvatar: nil, content: "Sin luz", type: .text, attachments: [], createdAt: Fixtures.epoch)
        let first = try MongoTicketStore.outboxBatch(
            Outbox(live: [Self.event(.newMessage, ticket.ticketId), Self.event(.ticketUpdated, ticket.ticketId)]), messages: [message])
        let second = try MongoTicketStore.outboxBatch(Outbox(live: [Self.event(.ticketClaimed, ticket.ticketId)]), messages: [])
        let batchId = try #require(first["b"]?.string)
        try await store.job { job in
            try job.collection(MongoTicketStore.Collections.tickets).updateOne(
                ["_id": key], ["$push": [MongoTicketStore.outboxField: ["$each": [first, second].map(BSONValue.document)]]])
            _ = try job.collection(MongoTicketStore.Collections.counters).increment(counter: "live/acme", by: 1)
            var half = try BSONEncoder().document(Self.event(.newMessage, ticket.ticketId))
            half["id"] = .integer(1)
            half["_id"] = .string("acme/1")
            half["batch"] = .string(batchId)
            half["bi"] = .integer(0)
            try job.collection(MongoTicketStore.Collections.liveEvents).insertOne(half)
        }

        let moved = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 { group.addTask { try await store.moveStrandedOutboxes() } }
            return try await group.reduce(0, +)
        }
        #expect(moved >= 2, "the sweepers moved both batches")
        let log = try await store.liveEvents(tenantId: "acme", after: 0, limit: 100)
        #expect(log.map(\.type) == [.newMessage, .ticketUpdated, .ticketClaimed], "each event once, in the ticket's order")
        #expect(zip(log, log.dropFirst()).allSatisfy { $0.id < $1.id })
        let messages = try await store.messages(tenantId: "acme", ticketId: ticket.ticketId, after: 0, limit: 10)
        #expect(messages.map(\.content) == ["Sin luz"])
        let pending = try await store.job { job in
            MongoTicketStore.pendingBatches(try job.collection(MongoTicketStore.Collections.tickets).findOne(["_id": key]))
        }
        #expect(pending.isEmpty, "the ticket no longer carries them")
        #expect(try await store.moveStrandedOutboxes() == 0)
        #expect(try await store.ticket(tenantId: "acme", ticketId: ticket.ticketId)?.version == ticket.version, "the ticket itself is untouched")
    }

    /// A pack switch's notice rides in the tenant document the same way: what a killed writer
    /// left there is moved by the sweeper, and a later change moves it first.
    @Test(.enabled(if: TestStores.runsMongo)) func aBatchStrandedInATenantIsMovedBeforeTheNextChangesOwn() async throws {
        let store = try #require(try await StoreKind.mongo.make() as? MongoTicketStore)
        var tenant = Tenant(id: "acme", name: "Acme", pack: Fixtures.pack, createdAt: Fixtures.epoch)
        try await store.insertTenant(tenant)
        func event(_ data: String) -> LiveEvent {
            LiveEvent(tenantId: "acme", type: .packActivated, audience: .staff, data: data, at: Fixtures.epoch)
        }
        let stranded = try MongoTicketStore.outboxBatch(Outbox(live: [event(#"{"n":1}"#)]), messages: [])
        _ = try await store.job { job in
            try job.collection(MongoTicketStore.Collections.tenants).updateOne(
                ["_id": "acme"], ["$push": [MongoTicketStore.outboxField: BSONValue.document(stranded)]])
        }
        #expect(try await store.tenant(id: "acme")?.id == "acme", "a tenant carrying a batch still reads")
        tenant.version = 2
        let own = try #require(try await store.updateTenant(tenant, expectedVersion: 1, outbox: Outbox(live: [event(#"{"n":2}"#)])))
        #expect(own.map(\.data) == [#"{"n":2}"#], "the writer answers its own events")
        #expect(try await store.liveEvents(tenantId: "acme", after: 0, limit: 10).map(\.data) == [#"{"n":1}"#, #"{"n":2}"#])
        // Stranded again, then swept.
        let again = try MongoTicketStore.outboxBatch(Outbox(live: [event(#"{"n":3}"#)]), messages: [])
        _ = try await store.job { job in
            try job.collection(MongoTicketStore.Collections.tenants).updateOne(
                ["_id": "acme"], ["$push": [MongoTicketStore.outboxField: BSONValue.document(again)]])
        }
        #expect(try await store.moveStrandedOutboxes() == 1)
        #expect(try await store.moveStrandedOutboxes() == 0)
        #expect(try await store.liveEvents(tenantId: "acme", after: 0, limit: 10).map(\.data) == [#"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#])
        let pending = try await store.job { job in
            MongoTicketStore.pendingBatches(try job.collection(MongoTicketStore.Collections.tenants).findOne(["_id": "acme"]))
        }
        #expect(pending.isEmpty)
    }

    @Test(.enabled(if: TestStores.runsMongo)) func aChangeCarriesTheBatchesStillWaitingInItsTicketAndMovesThemFirst() async throws {
        let store = try #require(try await StoreKind.mongo.make() as? MongoTicketStore)
        var ticket = try await Fixtures.create(store, tenant: "acme")
        let key = MongoTicketStore.key("acme", ticket.ticketId)
        let stranded = try MongoTicketStore.outboxBatch(Outbox(live: [Self.event(.ticketUpdated, ticket.ticketId)]), messages: [])
        _ = try await store.job { job in
            try job.collection(MongoTicketStore.Collections.tickets).updateOne(
                ["_id": key], ["$push": [MongoTicketStore.outboxField: BSONValue.document(stranded)]])
        }
        ticket.status = "open"
        ticket.version += 1
        let stored = try #require(
            try await store.updateTicket(ticket, expectedVersion: 1, messages: [], outbox: Outbox(live: [Self.event(.ticketClaimed, ticket.ticketId)])))
        #expect(stored.map(\.type) == [.ticketClaimed], "the writer answers its own events")
        let log = try await store.liveEvents(tenantId: "acme", after: 0, limit: 100)
        #expect(log.map(\.type) == [.ticketUpdated, .ticketClaimed], "the older batch first")
        #expect(try await store.moveStrandedOutboxes() == 0)
    }

    /// A read mark that arrives while a message is still in its writer's batch (the ticket
    /// written, the move not yet run) marks it too, and the writer's late move leaves it read:
    /// the counter the mark resets never ends below the unread messages.
    @Test(.enabled(if: TestStores.runsMongo)) func aReadMarkCoversAMessageWhoseMoveHasNotRunYet() async throws {
        let store = try #require(try await StoreKind.mongo.make() as? MongoTicketStore)
        var ticket = try await Fixtures.create(store, tenant: "acme")
        let key = MongoTicketStore.key("acme", ticket.ticketId)
        // The customer's writer: the ticket counts the message, which waits in its batch.
        ticket.version += 1
        ticket.chat = TicketChat(messageCount: 1, unreadStaff: 1)
        let message = Fixtures.message(ticket, seq: 1, from: .customer)
        let batch = try MongoTicketStore.outboxBatch(Outbox(live: [Self.event(.newMessage, ticket.ticketId)]), messages: [message])
        var document = try MongoTicketStore.ticketDocument(ticket)
        document[MongoTicketStore.outboxField] = .array([.document(batch)])
        let written = document
        let replaced = try await store.job { job in try job.collection(MongoTicketStore.Collections.tickets).replaceOne(["_id": key], written) }
        #expect(replaced == 1)

        // An agent reads the conversation before that writer moves its batch.
        var read = ticket
        read.version += 1
        read.chat?.unreadStaff = 0
        let marked = try #require(try await store.updateTicket(read, expectedVersion: ticket.version, markingRead: ReadMark(senders: [.customer], through: 1, at: Fixtures.epoch)))
        #expect(marked == 1)
        // The writer wakes and moves its batch.
        _ = try await store.job { job in try MongoTicketStore.moveBatch(job, tenant: "acme", key: key, batch: batch) }

        let messages = try await store.messages(tenantId: "acme", ticketId: ticket.ticketId, after: 0, limit: 10)
        #expect(messages.map(\.seq) == [1])
        #expect(messages.map(\.isRead) == [true], "the mark covered the message that was still on its way")
        #expect(try await store.ticket(tenantId: "acme", ticketId: ticket.ticketId)?.chat?.unreadStaff == 0)
        #expect(try await store.liveEvents(tenantId: "acme", after: 0, limit: 10).map(\.type) == [.newMessage], "the event moved once")
    }
}
