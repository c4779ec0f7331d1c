@testable import DocketCore
import DocketMemory
@testable import DocketSQLite
import DocketTestSupport
import Foundation
import GRDB
import Synchronization
import Testing
@testable import DocketMongo

extension StoreContractTests {
    @Test(arguments: StoreKind.available)
    func customersAreFoundByPhone(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.insertCustomer(Fixtures.customer("c1", tenant: "a", phone: "+525512345678"))
        #expect(try await store.customer(tenantId: "a", phone: "+525512345678")?.id == "c1")
        #expect(try await store.customer(tenantId: "b", phone: "+525512345678") == nil)
        #expect(try await store.customer(tenantId: "a", phone: "+520000000000") == nil)
    }

    /// How a mail's sender becomes a customer: by address, case aside, the earliest customer
    /// first when two share one, never across tenants.
    @Test(arguments: StoreKind.available)
    func customersAreFoundByEmailWhateverItsCase(kind: StoreKind) async throws {
        let store = try await kind.make()
        var later = Fixtures.customer("c2", tenant: "a")
        later.email = "ana.perez@example.mx"
        later.createdAt = Fixtures.epoch.addingTimeInterval(60)
        try await store.insertCustomer(later)
        var first = Fixtures.customer("c1", tenant: "a")
        first.email = "Ana.Perez@Example.MX"
        try await store.insertCustomer(first)
        try await store.insertCustomer(Fixtures.customer("c3", tenant: "a"))
        #expect(try await store.customer(tenantId: "a", email: "ana.perez@example.mx")?.id == "c1")
        #expect(try await store.customer(tenantId: "a", email: "ANA.PEREZ@EXAMPLE.MX")?.id == "c1")
        #expect(try await store.customer(tenantId: "a", email: "ana.perez@example.mx")?.email == "Ana.Perez@Example.MX", "kept as written")
        #expect(try await store.customer(tenantId: "b", email: "ana.perez@example.mx") == nil)
        #expect(try await store.customer(tenantId: "a", email: "otra@example.mx") == nil)
    }

    /// A customer replaced keeps its ticket count (the store's own) and is found by its new
    /// address; one that is not there is not made.
    @Test(arguments: StoreKind.available)
    func aCustomerIsReplacedWholeButItsTicketCount(kind: StoreKind) async throws {
        let store = try await kind.make()
        var customer = Fixtures.customer("c1", tenant: "a", phone: "+525512345678")
        customer.email = "ana@example.mx"
        try await store.insertCustomer(customer)
        try await store.insertCustomer(Fixtures.customer("c2", tenant: "a", phone: "+525599999999"))
        try await Fixtures.create(store, tenant: "a")
        customer.email = "ana.nueva@example.mx"
        customer.emailBounce = EmailBounce(at: Fixtures.epoch, status: "5.1.1", reason: "550 5.1.1 no such user")
        customer.statistics.totalTickets = 99
        #expect(try await store.replaceCustomer(customer))
        let read = try #require(try await store.customer(tenantId: "a", id: "c1"))
        #expect(read.emailBounce == customer.emailBounce)
        #expect(read.statistics.totalTickets == 1, "counted by the store, not written")
        #expect(try await store.customer(tenantId: "a", email: "ana.nueva@example.mx")?.id == "c1")
        #expect(try await store.customer(tenantId: "a", email: "ana@example.mx") == nil)
        #expect(try await store.replaceCustomer(Fixtures.customer("nobody", tenant: "a")) == false)
        #expect(try await store.customer(tenantId: "a", id: "nobody") == nil)
    }

    /// The mail quarantine: newest first without the bytes, one with its bytes, per tenant,
    /// deleted once.
    @Test(arguments: StoreKind.available)
    func quarantinedMailIsListedNewestFirstReadWholeAndDeletedOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        func mail(_ id: String, tenant: String = "a", at seconds: TimeInterval) -> QuarantinedMail {
            QuarantinedMail(
                id: id, tenantId: tenant, receivedAt: Fixtures.epoch.addingTimeInterval(seconds), envelopeFrom: "malo@example.mx",
                recipient: "soporte@luxfree.example", reason: "the mail has more than 500 parts", kind: "too_many_parts", size: 700_000,
                raw: Data("From: malo@example.mx\r\n\r\n\(id)".utf8).base64EncodedString(), rawTruncated: true)
        }
        try await store.insertQuarantined(mail("q1", at: 0))
        try await store.insertQuarantined(mail("q2", at: 60))
        try await store.insertQuarantined(mail("q3", tenant: "b", at: 30))
        let listed = try await store.quarantined(tenantId: "a", limit: 10)
        #expect(listed.map(\.id) == ["q2", "q1"])
        #expect(listed.allSatisfy { $0.raw == nil }, "a list carries no bytes")
        #expect(listed.first?.reason == "the mail has more than 500 parts" && listed.first?.rawTruncated == true && listed.first?.size == 700_000)
        #expect(try await store.quarantined(tenantId: "a", limit: 1).map(\.id) == ["q2"])
        #expect(try await store.countQuarantined(tenantId: "a") == 2)
        #expect(try await store.quarantinedMail(tenantId: "a", id: "q1") == mail("q1", at: 0))
        #expect(try await store.quarantinedMail(tenantId: "b", id: "q1") == nil, "never another tenant's")
        #expect(try await store.deleteQuarantined(tenantId: "b", id: "q1") == false)
        #expect(try await store.deleteQuarantined(tenantId: "a", id: "q1"))
        #expect(try await store.deleteQuarantined(tenantId: "a", id: "q1") == false)
        #expect(try await store.countQuarantined(tenantId: "a") == 1)
    }

    @Test(arguments: StoreKind.available)
    func apiKeysAreStoredListedAndRevokedOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        let key = ApiKey(id: "0123456789abcdef", tenantId: "a", name: "bot", role: .assistant, secretHash: "ab", hint: "dk_01234567", createdBy: "boss", createdAt: Fixtures.epoch)
        try await store.insertApiKey(key)
        let duplicate = await #expect(throws: DocketError.self) { try await store.insertApiKey(key) }
        #expect(duplicate?.code == .conflict)
        #expect(try await store.apiKey(id: key.id) == key)
        #expect(try await store.listApiKeys(tenantId: "a") == [key])
        #expect(try await store.listApiKeys(tenantId: "b").isEmpty)
        #expect(try await store.revokeApiKey(tenantId: "b", id: key.id, by: "x", at: Fixtures.epoch) == false)
        #expect(try await store.revokeApiKey(tenantId: "a", id: key.id, by: "boss", at: Fixtures.epoch.addingTimeInterval(5)) == true)
        #expect(try await store.revokeApiKey(tenantId: "a", id: key.id, by: "boss", at: Fixtures.epoch) == false)
        #expect(try await store.apiKey(id: key.id)?.revokedAt == Fixtures.epoch.addingTimeInterval(5))
    }

    @Test(arguments: StoreKind.available)
    func toolCallsAreClaimedOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { try await store.claimToolCall(tenantId: "a", callId: "call_1", at: Fixtures.epoch) == nil } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
        #expect(try await store.claimToolCall(tenantId: "a", callId: "call_1", at: Fixtures.epoch)?.output == nil)
        try await store.completeToolCall(tenantId: "a", callId: "call_1", output: "{\"success\":true}")
        let record = try await store.claimToolCall(tenantId: "a", callId: "call_1", at: Fixtures.epoch)
        #expect(record?.output == "{\"success\":true}")
        #expect(record?.createdAt == Fixtures.epoch)
        #expect(try await store.claimToolCall(tenantId: "b", callId: "call_1", at: Fixtures.epoch) == nil)
        // Read without claiming.
        #expect(try await store.toolCall(tenantId: "a", callId: "call_1")?.output == "{\"success\":true}")
        #expect(try await store.toolCall(tenantId: "a", callId: "call_2") == nil)
        #expect(try await store.toolCall(tenantId: "a", callId: "call_2") == nil, "reading claimed nothing")
        #expect(try await store.toolCall(tenantId: "c", callId: "call_1") == nil)
    }

    @Test(arguments: StoreKind.available)
    func aMailOutletChangesOnlyFromTheVersionRead(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.mailOutlet(tenantId: "a") == nil)
        var outlet = MailOutlet(tenantId: "a", cursor: 7)
        // Many instances create it at once: one does.
        let created = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { [outlet] in try await store.saveMailOutlet(outlet, expectedVersion: nil) } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(created == 1)
        outlet.leaseOwner = "i1"
        outlet.leaseUntil = Fixtures.epoch.addingTimeInterval(60)
        outlet.retry = MailOutlet.Retry(eventId: 8, attempts: 2, nextAttemptAt: Fixtures.epoch.addingTimeInterval(30), lastError: "451 try later")
        outlet.version = 2
        let racers = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { [outlet] in try await store.saveMailOutlet(outlet, expectedVersion: 1) } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(racers == 1)
        #expect(try await store.mailOutlet(tenantId: "a") == outlet)
        #expect(try await store.saveMailOutlet(outlet, expectedVersion: 1) == false)
        #expect(try await store.mailOutlet(tenantId: "b") == nil, "one tenant's outlet only")
    }

    /// A mailbox's fetch state: created once however many instances try, then changed only
    /// from the version read (the lease and the last UID move together); per tenant and mailbox.
    @Test(arguments: StoreKind.available)
    func aMailboxStateChangesOnlyFromTheVersionRead(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.mailboxState(tenantId: "a", mailboxId: "inbox") == nil)
        var state = MailboxState(tenantId: "a", mailboxId: "inbox")
        let created = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { [state] in try await store.saveMailboxState(state, expectedVersion: nil) } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(created == 1)
        state.version = 2
        state.uidValidity = 1_796_668_125
        state.lastUid = 42
        state.leaseOwner = "i1"
        state.leaseUntil = Fixtures.epoch.addingTimeInterval(90)
        state.fetched = 42
        state.quarantined = 1
        state.lastError = "the server did not answer within 60 seconds"
        state.lastFetchAt = Fixtures.epoch
        state.idle = true
        let racers = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { [state] in try await store.saveMailboxState(state, expectedVersion: 1) } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(racers == 1)
        #expect(try await store.mailboxState(tenantId: "a", mailboxId: "inbox") == state)
        #expect(try await store.saveMailboxState(state, expectedVersion: 1) == false)
        #expect(try await store.mailboxState(tenantId: "a", mailboxId: "other") == nil, "one mailbox's state only")
        #expect(try await store.mailboxState(tenantId: "b", mailboxId: "inbox") == nil, "one tenant's only")
        #expect(try await store.saveMailboxState(MailboxState(tenantId: "b", mailboxId: "inbox"), expectedVersion: nil), "another tenant's mailbox of the same name is its own")
    }

    /// A file is kept whole, once under its id, and only for its tenant; the largest allowed
    /// file goes in and comes back byte for byte; each tenant's files count against its quota.
    @Test(arguments: StoreKind.available)
    func aFileIsKeptWholeOnceAndForItsTenantOnly(kind: StoreKind) async throws {
        let store = try await kind.make()
        let quota = StoredFile.maxBytes + 10
        let bytes = Data((0..<StoredFile.maxBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) })
        let file = StoredFile(
            tenantId: "a", id: "f1", customerId: "c1", name: "foto medidor.jpg", contentType: "image/jpeg", size: bytes.count, createdAt: Fixtures.epoch,
            data: bytes)
        #expect(try await store.insertFile(file, quotaBytes: quota) == .stored)
        var again = file
        again.data = Data("otra cosa".utf8)
        #expect(try await store.insertFile(again, quotaBytes: quota) == .existing, "the same id keeps the first file")
        let read = try #require(try await store.file(tenantId: "a", id: "f1"))
        #expect(read == file, "whole, byte for byte")
        #expect(try await store.file(tenantId: "b", id: "f1") == nil, "one tenant's only")
        #expect(try await store.file(tenantId: "a", id: "f2") == nil)
        let empty = StoredFile(tenantId: "b", id: "f1", customerId: "c9", name: "vacío.txt", contentType: "text/plain", size: 0, createdAt: Fixtures.epoch, data: Data())
        #expect(try await store.insertFile(empty, quotaBytes: quota) == .stored, "another tenant's file of the same id is its own")
        #expect(try await store.file(tenantId: "b", id: "f1") == empty)
        // The quota: 10 bytes are left to tenant a; an 11-byte file does not fit, a 10-byte one
        // does, and then nothing more; tenant b's files are counted apart.
        func small(_ id: String, _ size: Int, tenant: String = "a") -> StoredFile {
            StoredFile(tenantId: tenant, id: id, customerId: "c1", name: "\(id).txt", contentType: "text/plain", size: size, createdAt: Fixtures.epoch, data: Data(repeating: 7, count: size))
        }
        #expect(try await store.fileBytes(tenantId: "a") == StoredFile.maxBytes)
        #expect(try await store.insertFile(small("f2", 11), quotaBytes: quota) == .overQuota)
        #expect(try await store.file(tenantId: "a", id: "f2") == nil, "a file over the quota is not stored")
        #expect(try await store.insertFile(small("f3", 10), quotaBytes: quota) == .stored)
        #expect(try await store.insertFile(small("f4", 1), quotaBytes: quota) == .overQuota)
        #expect(try await store.insertFile(small("f3", 10), quotaBytes: quota) == .existing, "a file stored before is not counted again")
        #expect(try await store.fileBytes(tenantId: "a") == quota)
        #expect(try await store.insertFile(small("f5", 5, tenant: "b"), quotaBytes: quota) == .stored)
        #expect(try await store.fileBytes(tenantId: "b") == 5)
        #expect(try await store.fileBytes(tenantId: "c") == 0)
    }

    /// Files stored at once by many writers never pass the quota together.
    @Test(arguments: StoreKind.available)
    func filesStoredAtOnceStayWithinTheQuota(kind: StoreKind) async throws {
        let store = try await kind.make()
        let outcomes = try await withThrowingTaskGroup(of: FileInsert.self) { group in
            for index in 0..<24 {
                group.addTask {
                    try await store.insertFile(
                        StoredFile(
                            tenantId: "a", id: "q\(index)", customerId: "c1", name: "q.txt", contentType: "text/plain", size: 100, createdAt: Fixtures.epoch,
                            data: Data(repeating: 1, count: 100)),
                        quotaBytes: 1_000)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .stored }.count == 10, "\(outcomes)")
        #expect(outcomes.filter { $0 == .overQuota }.count == 14)
        #expect(try await store.fileBytes(tenantId: "a") == 1_000)
    }
}

/// Every store is under test unless MongoDB is left out on purpose (`TestStores`).
@Suite("Store kinds")
struct StoreKindTests {
    @Test func everyStoreIsUnderTestUnlessLeftOutOnPurpose() throws {
        #expect(StoreKind.available == (TestStores.runsMongo ? [.memory, .sqlite, .mongo] : [.memory, .sqlite]))
        if TestStores.runsMongo { _ = try requireMongoConnection() }
    }
}
