@testable import DocketCore
import DocketMemory
@testable import DocketSQLite
import DocketTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

@testable import DocketMongo

/// One connection to the stand-in for the whole run (`TestStores`); each store gets a database
/// of its own. A URI the driver refuses fails every MongoDB test with the driver's reason.
let mongoTestConnection: Result<MongoConnection, any Error>? = TestStores.mongoURI.map { uri in
    Result { try MongoConnection(uri: uri, settings: MongoSettings(poolSize: 4, serverSelectionTimeoutMS: 3_000)) }
}

/// The run's MongoDB connection, or an error saying what to set.
func requireMongoConnection() throws -> MongoConnection {
    _ = try TestStores.requireMongoURI()
    return try mongoTestConnection!.get()
}

/// Every store adapter is listed here and must pass the whole suite unchanged. MongoDB needs the
/// stand-in; without it its cases fail (see `TestStores`), never vanish.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case sqlite
    case mongo

    /// Every kind, unless `DOCKET_TEST_STORES` leaves MongoDB out on purpose.
    static var available: [StoreKind] { TestStores.runsMongo ? allCases : [.memory, .sqlite] }

    var testDescription: String { rawValue }

    func make() async throws -> any TicketStore {
        switch self {
        case .memory:
            return MemoryTicketStore()
        case .sqlite:
            let dir = try Scratch.directory("contract")
            return try SQLiteTicketStore(path: dir.appendingPathComponent("docket.sqlite").path)
        case .mongo:
            let connection = try requireMongoConnection()
            return try await MongoTicketStore.open(connection, database: "docket_test_\(UUID().uuidString.prefix(8).lowercased())")
        }
    }
}

enum Fixtures {
    static let epoch = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21

    static let pack = PackManifest(
        id: "contract", version: "1", name: "Contract", locale: "es", timeZone: "UTC", defaultCategory: "other",
        categories: [TicketCategory(id: "other", label: "Otro"), TicketCategory(id: "billing", label: "Facturación")],
        assistant: AssistantConfiguration(
            assistantName: "A", companyName: "C", primaryServiceIssue: "p", serviceType: "s", ticketNoun: "reporte",
            ticketNounPlural: "reportes", language: "es"),
        terminology: Terminology(
            ticketSingular: "reporte", ticketPlural: "reportes", createVerb: "reportar", customerNoun: "usuario",
            agentNoun: "agente", resolveVerb: "resolver"),
        ticketIdFormat: TicketIDFormat(prefix: "T", separator: "-", includeYear: true, padLength: 6, resetYearly: true),
        workflow: Workflow(
            initial: "new", onAssign: "open", firstResponse: "open", resolved: "resolved", closed: "closed",
            statuses: [
                StatusDefinition(id: "new", label: "n", labelEn: nil, transitions: ["open"], onCustomerReply: nil),
                StatusDefinition(id: "open", label: "o", labelEn: nil, transitions: ["resolved"], onCustomerReply: nil),
                StatusDefinition(id: "resolved", label: "r", labelEn: nil, transitions: ["closed"], onCustomerReply: nil),
                StatusDefinition(id: "closed", label: "c", labelEn: nil, transitions: [], onCustomerReply: nil),
            ]),
        sla: SLAPolicy(targets: Dictionary(uniqueKeysWithValues: Priority.allCases.map {
            ($0.rawValue, SLATarget(firstResponseSeconds: 3600, resolutionSeconds: 86400))
        })))

    static func ticket(
        tenant: String, number: Int, year: Int = 2026, customer: String = "c1", subject: String = "Subject",
        description: String = "Description", status: String = "new", priority: Priority = .medium, category: String = "other",
        agent: String? = nil, tags: [String] = [], created: Date = epoch
    ) -> Ticket {
        Ticket(
            tenantId: tenant, ticketId: "T-\(year)-\(number)", number: number, numberingYear: year, subject: subject,
            description: description, category: category, subcategory: nil, priority: priority, status: status,
            statusHistory: [StatusChange(from: nil, to: status, changedBy: customer, reason: "created", timestamp: created)],
            customerId: customer, conversationId: nil, assignedAgent: agent, assignedAt: agent == nil ? nil : created,
            location: Location(address: "Av. Reforma 1", description: "Poste 3", coordinates: Coordinates(latitude: 19.4, longitude: -99.1)),
            sla: TicketSLA(targets: SLATarget(firstResponseSeconds: 3600, resolutionSeconds: 86400), createdAt: created),
            resolution: nil, customerFeedback: nil, notes: [], tags: tags, escalation: nil, attachments: [], source: .web,
            createdAt: created, updatedAt: created, closedAt: nil, version: 1)
    }

    static func customer(_ id: String, tenant: String, phone: String? = nil) -> Customer {
        Customer(id: id, tenantId: tenant, phoneNumber: phone, firstName: "Ana", lastName: "Pérez", email: nil, createdAt: epoch)
    }

    @discardableResult
    static func create(
        _ store: any TicketStore, tenant: String, year: Int = 2026, _ customize: @escaping @Sendable (inout Ticket) -> Void = { _ in }
    ) async throws -> Ticket {
        try await store.createTicket(tenantId: tenant, counterYear: year) { number in
            var ticket = Fixtures.ticket(tenant: tenant, number: number, year: year)
            customize(&ticket)
            return ticket
        }
    }
}

@Suite("Store contract")
struct StoreContractTests {
    @Test(arguments: StoreKind.available)
    func tenantsRoundTripAndUpdateConditionally(kind: StoreKind) async throws {
        let store = try await kind.make()
        var tenant = Tenant(id: "acme", name: "Acme", pack: Fixtures.pack, createdAt: Fixtures.epoch)
        try await store.insertTenant(tenant)
        #expect(try await store.tenant(id: "acme") == tenant)
        #expect(try await store.tenant(id: "nobody") == nil)
        let duplicate = await #expect(throws: DocketError.self) { try await store.insertTenant(tenant) }
        #expect(duplicate?.code == .conflict)

        tenant.overrides.terminology = Terminology(
            ticketSingular: "caso", ticketPlural: "casos", createVerb: "abrir", customerNoun: "cliente", agentNoun: "agente",
            resolveVerb: "resolver")
        tenant.version = 2
        #expect(try await store.updateTenant(tenant, expectedVersion: 1))
        #expect(try await store.updateTenant(tenant, expectedVersion: 1) == false)
        #expect(try await store.tenant(id: "acme")?.terminology.ticketSingular == "caso")
    }

    /// A tenant change and what it announces (a pack switch's `pack_activated`) are one write:
    /// the events get their ids in it and reach the commit hook; a stale version writes neither.
    @Test(arguments: StoreKind.available)
    func aTenantChangeAndItsEventsAreOneWrite(kind: StoreKind) async throws {
        let store = try await kind.make()
        var tenant = Tenant(id: "acme", name: "Acme", pack: Fixtures.pack, createdAt: Fixtures.epoch)
        try await store.insertTenant(tenant)
        let heard = Mutex<[LiveEvent]>([])
        func outbox(_ data: String) -> Outbox {
            Outbox(
                live: [LiveEvent(tenantId: "acme", type: .packActivated, audience: .staff, data: data, at: Fixtures.epoch)], retain: 100,
                onCommit: { events in heard.withLock { $0 += events } })
        }
        tenant.version = 2
        let stored = try #require(try await store.updateTenant(tenant, expectedVersion: 1, outbox: outbox(#"{"n":1}"#)))
        #expect(stored.map(\.id) == [1] && stored.first?.type == .packActivated)
        #expect(heard.withLock { $0 } == stored)
        #expect(try await store.updateTenant(tenant, expectedVersion: 1, outbox: outbox(#"{"n":2}"#)) == nil)
        tenant.version = 3
        #expect(try await store.updateTenant(tenant, expectedVersion: 2, outbox: outbox(#"{"n":3}"#))?.map(\.id) == [2])
        let log = try await store.liveEvents(tenantId: "acme", after: 0, limit: 10)
        #expect(log.map(\.data) == [#"{"n":1}"#, #"{"n":3}"#], "the refused change wrote no event")
        #expect(try await store.tenant(id: "acme")?.version == 3)

        // A webhook endpoint's change (turned off, with the staff's notice) the same way.
        var hook = Webhook(
            id: "wh1", tenantId: "acme", url: "https://example.com/hook", events: [], secret: "s", cursor: 0, createdAt: Fixtures.epoch,
            createdBy: "boss")
        try await store.insertWebhook(hook)
        hook.active = false
        hook.version = 2
        #expect(try await store.updateWebhook(hook, expectedVersion: 1, outbox: outbox(#"{"n":4}"#))?.map(\.id) == [3])
        #expect(try await store.updateWebhook(hook, expectedVersion: 1, outbox: outbox(#"{"n":5}"#)) == nil)
        #expect(try await store.webhook(tenantId: "acme", id: "wh1")?.active == false)
        #expect(try await store.liveEvents(tenantId: "acme", after: 2, limit: 10).map(\.data) == [#"{"n":4}"#])
    }

    /// Webhook endpoints per tenant, updated conditionally; their delivery log keeps the latest
    /// entries, one per delivery id, newest first, and goes with the endpoint.
    @Test(arguments: StoreKind.available)
    func webhooksAndTheirDeliveryLogs(kind: StoreKind) async throws {
        let store = try await kind.make()
        var hook = Webhook(
            id: "wh1", tenantId: "a", url: "https://example.com/hook", events: ["ticket_created"], secret: "s", cursor: 7,
            createdAt: Fixtures.epoch, createdBy: "boss")
        try await store.insertWebhook(hook)
        let duplicate = await #expect(throws: DocketError.self) { try await store.insertWebhook(hook) }
        #expect(duplicate?.code == .conflict)
        var other = hook
        other.id = "wh2"
        other.tenantId = "b"
        other.active = false
        try await store.insertWebhook(other)
        #expect(try await store.webhook(tenantId: "a", id: "wh1") == hook)
        #expect(try await store.webhook(tenantId: "b", id: "wh1") == nil, "another tenant's endpoint is not found")
        #expect(try await store.listWebhooks(tenantId: "a").map(\.id) == ["wh1"])
        #expect(try await store.activeWebhooks().map(\.id) == ["wh1"])

        hook.cursor = 9
        hook.version = 2
        #expect(try await store.updateWebhook(hook, expectedVersion: 1))
        #expect(try await store.updateWebhook(hook, expectedVersion: 1) == false, "a stale version changes nothing")
        #expect(try await store.webhook(tenantId: "a", id: "wh1")?.cursor == 9)

        func delivery(_ event: Int, _ seconds: Double, _ status: WebhookDelivery.Status = .delivered) -> WebhookDelivery {
            WebhookDelivery(
                id: WebhookDelivery.id(webhook: "wh1", event: event), tenantId: "a", webhookId: "wh1", eventId: event, event: "ticket_created",
                status: status, attempts: 1, statusCode: 200, error: nil, durationMs: 3, lastAttemptAt: Fixtures.epoch.addingTimeInterval(seconds),
                deliveredAt: nil, nextAttemptAt: nil)
        }
        for event in 1...5 { try await store.recordDelivery(delivery(event, Double(event), .retrying), retain: 3) }
        try await store.recordDelivery(delivery(4, 10), retain: 3)
        let log = try await store.deliveries(tenantId: "a", webhookId: "wh1", limit: 10)
        #expect(log.map(\.eventId) == [4, 5, 3], "latest attempts first, the latest 3 kept, one entry per delivery id")
        #expect(log.first?.status == .delivered)
        #expect(try await store.deliveries(tenantId: "b", webhookId: "wh1", limit: 10).isEmpty)
        // A delivery for another tenant's endpoint is not recorded.
        var foreign = delivery(6, 11)
        foreign.tenantId = "b"
        try await store.recordDelivery(foreign, retain: 3)
        #expect(try await store.deliveries(tenantId: "a", webhookId: "wh1", limit: 10).count == 3)

        #expect(try await store.deleteWebhook(tenantId: "b", id: "wh1") == false)
        #expect(try await store.deleteWebhook(tenantId: "a", id: "wh1"))
        #expect(try await store.webhook(tenantId: "a", id: "wh1") == nil)
        #expect(try await store.deliveries(tenantId: "a", webhookId: "wh1", limit: 10).isEmpty)
    }

    /// After a format change (`resetYearly` switched, a prefix taken back) a counter can reach
    /// an ID another counter issued: that number is skipped, never a duplicate or a failed create.
    @Test(arguments: StoreKind.available)
    func aNumberWhoseIDWasAlreadyIssuedIsSkipped(kind: StoreKind) async throws {
        let store = try await kind.make()
        for _ in 0..<3 { try await Fixtures.create(store, tenant: "a") }  // T-2026-1...3, yearly counter
        // The format stops resetting yearly: counter 0 builds the same IDs.
        let build: @Sendable (Int) throws -> Ticket = { Fixtures.ticket(tenant: "a", number: $0, year: 2026) }
        let continued = try await store.createTicket(tenantId: "a", counterYear: 0, build: build)
        #expect(continued.ticketId == "T-2026-4")
        #expect(continued.number == 4)
        #expect(try await store.createTicket(tenantId: "a", counterYear: 0, build: build).ticketId == "T-2026-5")
        // And back: the yearly counter skips what counter 0 issued.
        #expect(try await Fixtures.create(store, tenant: "a").ticketId == "T-2026-6")
        // Another tenant's IDs are its own.
        #expect(try await Fixtures.create(store, tenant: "b").ticketId == "T-2026-1")
        let page = try await store.listTickets(tenantId: "a", query: TicketQuery())
        #expect(page.items.map(\.ticketId).sorted() == (1...6).map { "T-2026-\($0)" })
    }

    @Test(arguments: StoreKind.available)
    func ticketsRoundTripWithEveryField(kind: StoreKind) async throws {
        let store = try await kind.make()
        var original = Fixtures.ticket(tenant: "a", number: 1, subject: "Instalación eléctrica", description: "Đơn hỗ trợ giao hàng")
        original.notes = [Note(id: "n1", authorId: "ana", authorRole: .agent, content: "nota", isInternal: true, timestamp: Fixtures.epoch)]
        original.tags = ["poste", "urgente"]
        original.escalation = Escalation(escalatedTo: "bob", escalatedBy: "ana", reason: "r", escalatedAt: Fixtures.epoch)
        original.customerFeedback = CustomerFeedback(rating: 5, comment: "¡Gracias!", submittedAt: (Fixtures.epoch + 0.123).roundedToMilliseconds)
        let frozen = original
        let created = try await store.createTicket(tenantId: "a", counterYear: 2026) { _ in frozen }
        #expect(created == original)
        #expect(try await store.ticket(tenantId: "a", ticketId: original.ticketId) == original)
        #expect(try await store.ticket(tenantId: "other", ticketId: original.ticketId) == nil)
    }

    @Test(arguments: StoreKind.available)
    func numbersAreSequentialPerTenantAndYear(kind: StoreKind) async throws {
        let store = try await kind.make()
        var numbers: [Int] = []
        for _ in 0..<3 { numbers.append(try await Fixtures.create(store, tenant: "a").number) }
        #expect(numbers == [1, 2, 3])
        #expect(try await Fixtures.create(store, tenant: "b").number == 1)
        #expect(try await Fixtures.create(store, tenant: "a", year: 2027).number == 1)
        #expect(try await Fixtures.create(store, tenant: "a").number == 4)
    }

    @Test(arguments: StoreKind.available)
    func aFailedBuildLeavesNoGap(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await Fixtures.create(store, tenant: "a")
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await store.createTicket(tenantId: "a", counterYear: 2026) { _ in throw Refused() }
        }
        #expect(try await Fixtures.create(store, tenant: "a").number == 2)
    }

    @Test(arguments: StoreKind.available)
    func concurrentCreatesGetDistinctConsecutiveNumbers(kind: StoreKind) async throws {
        let store = try await kind.make()
        let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<200 { group.addTask { try await Fixtures.create(store, tenant: "a").number } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(numbers.sorted() == Array(1...200))
    }

    @Test(arguments: StoreKind.available)
    func updatesAreConditionalOnVersion(kind: StoreKind) async throws {
        let store = try await kind.make()
        var ticket = try await Fixtures.create(store, tenant: "a")
        ticket.status = "open"
        ticket.version = 2
        #expect(try await store.updateTicket(ticket, expectedVersion: 1))
        var stale = ticket
        stale.status = "resolved"
        stale.version = 2
        #expect(try await store.updateTicket(stale, expectedVersion: 1) == false)
        #expect(try await store.ticket(tenantId: "a", ticketId: ticket.ticketId)?.status == "open")
        var missing = ticket
        missing.ticketId = "T-2026-999"
        #expect(try await store.updateTicket(missing, expectedVersion: 2) == false)
    }

    @Test(arguments: StoreKind.available)
    func oneWinnerAmongConcurrentConditionalUpdates(kind: StoreKind) async throws {
        let store = try await kind.make()
        let ticket = try await Fixtures.create(store, tenant: "a")
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<50 {
                group.addTask {
                    var claimed = ticket
                    claimed.assignedAgent = "agent-\(index)"
                    claimed.version = 2
                    return try await store.updateTicket(claimed, expectedVersion: 1)
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(wins == 1)
    }
}
