@testable import DocketCore
import DocketMemory
@testable import DocketSQLite
import DocketTestSupport
import Foundation
import GRDB
import Synchronization
import Testing
@testable import DocketMongo

@Suite("Legacy chat migration")
struct LegacyMigrationTests {
    /// A legacy collection of its own on the stand-in (the old application's database).
    static func seed(_ documents: [[String: Any]]) async throws -> MongoLegacyChatSource {
        let connection = try requireMongoConnection()
        let source = MongoLegacyChatSource(
            connection: connection, database: "legacy_\(UUID().uuidString.prefix(8).lowercased())", collection: "conversations")
        for start in stride(from: 0, to: documents.count, by: 1_000) {
            let batch = try documents[start..<min(documents.count, start + 1_000)].map { try BSONDoc(any: $0) }
            try await connection.job(database: source.database) { job in try job.collection("conversations").insertMany(batch) }
        }
        return source
    }

    /// The old chat's threads become conversations, on either store: messages with their
    /// sender, time and read state; unread counters, last message and the staff who served
    /// rebuilt. A second run imports nothing; a run after the old chat got more continues.
    @Test(arguments: StoreKind.available.filter { $0 != .memory })
    func legacyThreadsBecomeConversationsOnceAndContinue(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.insertTenant(Tenant(id: "shop", name: "Shop", pack: Fixtures.pack, createdAt: Fixtures.epoch))
        func at(_ seconds: Double) -> Date { Fixtures.epoch.addingTimeInterval(seconds) }
        func oid(_ last: String) -> ObjectID { ObjectID(hex: "65a1b2c3d4e5f60718293a" + last)! }
        // As the old chat stored them: ObjectIds, BSON dates or ISO text for times, read state or not.
        let legacy: [[String: Any]] = [
            ["_id": oid("01"), "sender_id": "khach1", "receiver_id": "nv_lan", "content": "Chưa nhận được hàng\nĐơn SV-1", "created_at": at(0), "is_read": true],
            ["_id": oid("02"), "sender_id": "nv_lan", "receiver_id": "khach1", "content": "Dạ em kiểm tra ngay", "created_at": at(60), "is_read": true],
            ["_id": oid("03"), "sender_id": "nv_minh", "receiver_id": "khach1", "content": "Em là Minh, em tiếp nhận", "created_at": at(90), "is_read": false],
            ["_id": oid("04"), "sender_id": "khach1", "receiver_id": "nv_minh", "content": "Cảm ơn", "created_at": at(120), "is_read": false],
            ["_id": oid("05"), "sender_id": "nv_minh", "receiver_id": "khach2", "content": "Chào anh, đơn đã giao", "created_at": "2026-09-21T10:00:00Z"],
            ["_id": oid("06"), "sender_id": "khach2", "receiver_id": "nv_minh", "content": "Tôi muốn đổi trả", "created_at": "2026-09-21T10:05:00Z"],
            ["_id": oid("07"), "sender_id": "nv_lan", "receiver_id": "nv_minh", "content": "nội bộ", "created_at": at(10)],
            ["_id": oid("08"), "sender_id": "khach3", "content": "thiếu người nhận", "created_at": at(20)],
        ]
        let source = try await Self.seed(legacy)
        let (messages, unreadable) = try await source.readMessages(pageSize: 3)
        #expect(messages.count == 7)
        #expect(unreadable.map(\.reason) == ["no sender_id or receiver_id"])
        #expect(messages.contains { $0.id == "65a1b2c3d4e5f60718293a01" }, "ObjectIds read as their hex")
        let staff: Set<String> = ["nv_lan", "nv_minh"]
        let importer = LegacyChatImport(stores: StorePorts(store), chunk: 2)

        let dry = try await importer.run(tenantId: "shop", messages: messages, staffIds: staff, dryRun: true)
        #expect(dry.created.count == 2)
        #expect(try await store.listTickets(tenantId: "shop", query: TicketQuery()).total == 0)

        // The old chat's last message has not happened yet: a first run, then one after it.
        let earlier = messages.filter { $0.id != "65a1b2c3d4e5f60718293a04" }
        let first = try await importer.run(tenantId: "shop", messages: earlier, staffIds: staff, dryRun: false)
        #expect(first.created == ["T-2026-000001", "T-2026-000002"])
        #expect(first.messagesImported == 5)
        #expect(first.customersCreated == 2)
        #expect(first.skipped.map(\.reason) == ["both parties are staff"])
        let later = try await importer.run(tenantId: "shop", messages: messages, staffIds: staff, dryRun: false)
        #expect(later.created.isEmpty)
        #expect(later.continued == ["T-2026-000001"])
        #expect(later.messagesImported == 1)

        let ticket = try #require(try await store.ticket(tenantId: "shop", ticketId: "T-2026-000001"))
        #expect(ticket.customerId == "khach1")
        #expect(ticket.subject == "Chưa nhận được hàng")
        #expect(ticket.createdAt == Fixtures.epoch)
        #expect(ticket.updatedAt == at(120))
        #expect(ticket.notes.isEmpty)
        let conversation = try await store.messages(tenantId: "shop", ticketId: ticket.ticketId, after: 0, limit: 50)
        #expect(conversation.map(\.content) == ["Chưa nhận được hàng\nĐơn SV-1", "Dạ em kiểm tra ngay", "Em là Minh, em tiếp nhận", "Cảm ơn"])
        #expect(conversation.map(\.seq) == [1, 2, 3, 4])
        #expect(conversation.map(\.senderType) == [.customer, .staff, .staff, .customer])
        #expect(conversation.map(\.createdAt) == [at(0), at(60), at(90), at(120)])
        #expect(conversation.map(\.isRead) == [true, true, false, false])
        let chat = try #require(ticket.chat)
        #expect(chat.messageCount == 4)
        #expect(chat.unreadStaff == 1, "the customer's last message is unread by staff")
        #expect(chat.unreadCustomer == 1, "Minh's message is unread by the customer")
        #expect(chat.lastMessage?.text == "Cảm ơn")
        #expect(chat.servedBy.map(\.agentId) == ["nv_lan", "nv_minh"])
        #expect(chat.servedBy.map(\.active) == [false, true])
        #expect(ticket.assignedAgent == "nv_minh")
        #expect(ticket.status == "open", "an answered thread is assigned, as a claim leaves it")
        #expect(ticket.sla.firstResponseAt == at(60))
        // The thread that staff opened takes the customer's first message as its description.
        let second = try #require(try await store.ticket(tenantId: "shop", ticketId: "T-2026-000002"))
        #expect(second.description == "Tôi muốn đổi trả")
        #expect(second.chat?.messageCount == 2)
        #expect(second.chat?.unreadStaff == 0, "no read state in the old data: read")
        #expect(try await store.customer(tenantId: "shop", id: "khach2")?.statistics.totalTickets == 1)

        let again = try await importer.run(tenantId: "shop", messages: messages, staffIds: staff, dryRun: false)
        #expect(again.created.isEmpty && again.continued.isEmpty && again.messagesImported == 0)
        #expect(again.skipped.filter { $0.reason.hasPrefix("already imported as") }.count == 2)
        #expect(try await store.listTickets(tenantId: "shop", query: TicketQuery()).total == 2)
    }

    /// 10,000 messages of 250 customers and 8 staff, a tenth unread, imported into the embedded
    /// store; on the MongoDB stand-in (slow by design: ~0.4 s per thread) 2,000 of 50 customers.
    /// The rate is printed, not asserted.
    @Test(arguments: StoreKind.available.filter { $0 != .memory })
    func thousandsOfLegacyMessagesImportWithTheirCounters(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.insertTenant(Tenant(id: "shop", name: "Shop", pack: Fixtures.pack, createdAt: Fixtures.epoch))
        let (total, customers) = kind == .mongo ? (2_000, 50) : (10_000, 250)
        var documents: [[String: Any]] = []
        var unreadByStaff = 0
        for index in 0..<total {
            let customer = "khach\(index % customers)", agent = "nv\(index % 8)"
            let fromCustomer = index % 3 != 0
            let unread = index % 10 == 0
            if unread, fromCustomer { unreadByStaff += 1 }
            documents.append([
                "sender_id": fromCustomer ? customer : agent, "receiver_id": fromCustomer ? agent : customer,
                "content": "tin nhắn số \(index)", "created_at": Fixtures.epoch.addingTimeInterval(Double(index)), "is_read": !unread,
            ])
        }
        let source = try await Self.seed(documents)
        let started = ContinuousClock.now
        let (messages, _) = try await source.readMessages(pageSize: 1_000)
        let read = ContinuousClock.now - started
        let report = try await LegacyChatImport(stores: StorePorts(store)).run(
            tenantId: "shop", messages: messages, staffIds: Set((0..<8).map { "nv\($0)" }), dryRun: false)
        let elapsed = ContinuousClock.now - started
        #expect(report.messagesImported == total)
        #expect(report.created.count == customers)
        var query = TicketQuery()
        query.limit = TicketQuery.maxLimit
        var tickets: [Ticket] = []
        while true {
            let page = try await store.listTickets(tenantId: "shop", query: query).items
            tickets += page
            if page.count < query.limit { break }
            query.page += 1
        }
        #expect(tickets.count == customers)
        #expect(tickets.reduce(0) { $0 + ($1.chat?.messageCount ?? 0) } == total)
        #expect(tickets.reduce(0) { $0 + ($1.chat?.unreadStaff ?? 0) } == unreadByStaff)
        let sample = try #require(tickets.first)
        #expect(try await store.messages(tenantId: "shop", ticketId: sample.ticketId, after: 0, limit: 200).count == 40)
        let seconds = elapsed.inSeconds
        let reading = read.inSeconds
        print(String(
            format: "legacy import into %@: %d messages read in %.2f s, imported in %.2f s (%.0f messages/s)", kind.rawValue, total, reading,
            seconds - reading, Double(total) / max(seconds - reading, 0.001)))
    }
}
