@testable import DocketCore
import DocketMemory
@testable import DocketSQLite
import DocketTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

@testable import DocketMongo

/// The MongoDB stand-in the Mongo run uses (`scripts/test.sh` starts it and sets this).
let mongoTestURI = ProcessInfo.processInfo.environment["DOCKET_TEST_MONGO_URI"].flatMap { $0.isEmpty ? nil : $0 }

/// One connection for the whole run; each store gets a database of its own.
let mongoTestConnection: MongoConnection? = mongoTestURI.flatMap {
    try? MongoConnection(uri: $0, settings: MongoSettings(poolSize: 4, serverSelectionTimeoutMS: 3_000))
}

/// Every store adapter is listed here and must pass the whole suite unchanged. The Mongo run
/// needs the stand-in (`DOCKET_TEST_MONGO_URI`); under CI its absence is a failure (below).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case sqlite
    case mongo

    static var available: [StoreKind] { mongoTestConnection == nil ? [.memory, .sqlite] : allCases }

    var testDescription: String { rawValue }

    func make() async throws -> any TicketStore {
        switch self {
        case .memory:
            return MemoryTicketStore()
        case .sqlite:
            let dir = try Scratch.directory("contract")
            return try SQLiteTicketStore(path: dir.appendingPathComponent("docket.sqlite").path)
        case .mongo:
            let connection = try #require(mongoTestConnection)
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

    @Test(arguments: StoreKind.available)
    func listsFilterSortAndPaginate(kind: StoreKind) async throws {
        let store = try await kind.make()
        let day: TimeInterval = 86400
        for index in 0..<30 {
            try await Fixtures.create(store, tenant: "a") { ticket in
                ticket.createdAt = Fixtures.epoch + Double(index) * day
                ticket.priority = Priority.allCases[index % 4]
                ticket.status = index % 3 == 0 ? "open" : "new"
                ticket.category = index % 5 == 0 ? "billing" : "other"
                ticket.assignedAgent = index % 2 == 0 ? "ana" : nil
                ticket.customerId = index < 10 ? "c1" : "c2"
                ticket.tags = index % 6 == 0 ? ["poste"] : []
            }
        }
        try await Fixtures.create(store, tenant: "b")

        var query = TicketQuery()
        query.limit = 7
        var page = try await store.listTickets(tenantId: "a", query: query)
        #expect(page.total == 30)
        #expect(page.pages == 5)
        #expect(page.items.count == 7)
        #expect(page.items.first?.number == 30)  // newest first
        query.page = 5
        #expect(try await store.listTickets(tenantId: "a", query: query).items.count == 2)

        func count(_ change: (inout TicketQuery) -> Void) async throws -> Int {
            var query = TicketQuery()
            change(&query)
            return try await store.listTickets(tenantId: "a", query: query).total
        }
        #expect(try await count { $0.statuses = ["open"] } == 10)
        #expect(try await count { $0.statuses = ["open", "new"] } == 30)
        #expect(try await count { $0.category = "billing" } == 6)
        #expect(try await count { $0.priority = .urgent } == 7)
        #expect(try await count { $0.assignedAgent = "ana" } == 15)
        #expect(try await count { $0.assignedAgent = "" } == 15)
        #expect(try await count { $0.customerId = "c1" } == 10)
        #expect(try await count { $0.tag = "poste" } == 5)
        #expect(try await count { $0.createdFrom = Fixtures.epoch + 10 * day; $0.createdTo = Fixtures.epoch + 19 * day } == 10)
        #expect(try await count { $0.statuses = ["open"]; $0.assignedAgent = "ana" } == 5)

        query = TicketQuery()
        query.sortBy = .priority
        query.limit = 100
        page = try await store.listTickets(tenantId: "a", query: query)
        #expect(page.items.map(\.priority.rank) == page.items.map(\.priority.rank).sorted(by: >))
        query.ascending = true
        query.sortBy = .createdAt
        #expect(try await store.listTickets(tenantId: "a", query: query).items.first?.number == 1)
    }

    @Test(arguments: StoreKind.available)
    func searchFoldsAccentsAndKeepsInternalNotesFromCustomers(kind: StoreKind) async throws {
        let store = try await kind.make()
        let first = try await Fixtures.create(store, tenant: "a") { ticket in
            ticket.subject = "Falla de instalación eléctrica"
            ticket.notes = [Note(id: "n", authorId: "ana", authorRole: .agent, content: "proveedor Zafiro", isInternal: true, timestamp: Fixtures.epoch)]
        }
        try await Fixtures.create(store, tenant: "a") { $0.description = "Đơn hỗ trợ: giao hàng chậm" }
        try await Fixtures.create(store, tenant: "b") { $0.subject = "instalacion en otra empresa" }

        func search(_ text: String, internal withInternal: Bool = true) async throws -> [String] {
            var query = TicketQuery()
            query.search = text
            query.searchInternalNotes = withInternal
            return try await store.listTickets(tenantId: "a", query: query).items.map(\.ticketId)
        }
        #expect(try await search("instalacion") == [first.ticketId])
        #expect(try await search("INSTALACIÓN electr") == [first.ticketId])
        #expect(try await search("don ho tro").count == 1)
        #expect(try await search(first.ticketId) == [first.ticketId])
        #expect(try await search("zafiro") == [first.ticketId])
        #expect(try await search("zafiro", internal: false).isEmpty)
        #expect(try await search("\"; DROP TABLE tickets; --").isEmpty)
        #expect(try await search("***").isEmpty)

        // The index follows updates.
        var changed = first
        changed.subject = "Cambio de medidor"
        changed.version = 2
        #expect(try await store.updateTicket(changed, expectedVersion: 1))
        #expect(try await search("medidor") == [first.ticketId])
        #expect(try await search("instalacion").isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func countsByStatusPriorityAndAgent(kind: StoreKind) async throws {
        let store = try await kind.make()
        for index in 0..<6 {
            try await Fixtures.create(store, tenant: "a") { ticket in
                ticket.status = index < 2 ? "resolved" : "new"
                ticket.priority = index < 3 ? .high : .low
                ticket.assignedAgent = index < 4 ? "ana" : nil
                if index < 2 {
                    ticket.resolution = Resolution(resolvedAt: ticket.createdAt + 100, resolvedBy: "ana", notes: nil)
                    ticket.sla.resolutionMet = index == 0
                    ticket.sla.firstResponseAt = ticket.createdAt + 60
                    ticket.sla.firstResponseMet = true
                }
                if index == 5 { ticket.escalation = Escalation(escalatedTo: nil, escalatedBy: "ana", reason: "r", escalatedAt: ticket.createdAt) }
            }
        }
        let counts = try await store.ticketCounts(tenantId: "a", filter: StatsFilter())
        #expect(counts.total == 6)
        #expect(counts.byStatus == ["resolved": 2, "new": 4])
        #expect(counts.byPriority == ["high": 3, "low": 3])
        #expect(counts.escalated == 1)
        #expect(counts.agents == [AgentTicketFigures(
            agentId: "ana", assigned: 4, resolved: 2, firstResponseCount: 2, firstResponseTotalSeconds: 120, firstResponseMet: 2,
            firstResponseMeasured: 2, resolutionMet: 1, resolutionMeasured: 2)])
        #expect(try await store.ticketCounts(tenantId: "a", filter: StatsFilter(assignedAgent: "ana")).total == 4)
        #expect(try await store.ticketCounts(tenantId: "zzz", filter: StatsFilter()).total == 0)
    }

    @Test(arguments: StoreKind.available)
    func customersAreUniqueByPhoneAndCountTheirTickets(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.insertCustomer(Fixtures.customer("c1", tenant: "a", phone: "+525512345678"))
        try await store.insertCustomer(Fixtures.customer("c1", tenant: "b", phone: "+525512345678"))
        let samePhone = await #expect(throws: DocketError.self) {
            try await store.insertCustomer(Fixtures.customer("c2", tenant: "a", phone: "+525512345678"))
        }
        #expect(samePhone?.code == .conflict)
        let sameId = await #expect(throws: DocketError.self) { try await store.insertCustomer(Fixtures.customer("c1", tenant: "a")) }
        #expect(sameId?.code == .conflict)
        try await store.insertCustomer(Fixtures.customer("c3", tenant: "a"))
        try await store.insertCustomer(Fixtures.customer("c4", tenant: "a"))

        try await Fixtures.create(store, tenant: "a")
        try await Fixtures.create(store, tenant: "a")
        #expect(try await store.customer(tenantId: "a", id: "c1")?.statistics.totalTickets == 2)
        #expect(try await store.customer(tenantId: "b", id: "c1")?.statistics.totalTickets == 0)
        let page = try await store.listCustomers(tenantId: "a", page: 1, limit: 2)
        #expect(page.total == 3)
        #expect(page.items.count == 2)
    }

    @Test(arguments: StoreKind.available)
    func agentsAreUniqueByEmail(kind: StoreKind) async throws {
        let store = try await kind.make()
        let ana = Agent(
            id: "ana", tenantId: "a", name: "Ana", email: "ana@example.com", role: .agent, skills: ["solar"], capacity: 5,
            createdAt: Fixtures.epoch)
        try await store.insertAgent(ana)
        #expect(try await store.agent(tenantId: "a", id: "ana") == ana)
        #expect(try await store.agent(tenantId: "b", id: "ana") == nil)
        var bob = ana
        bob.id = "bob"
        bob.email = "ANA@example.com"
        let duplicate = await #expect(throws: DocketError.self) { try await store.insertAgent(bob) }
        #expect(duplicate?.code == .conflict)
        bob.email = nil
        try await store.insertAgent(bob)
        #expect(try await store.listAgents(tenantId: "a", page: 1, limit: 10).total == 2)
    }

    @Test(arguments: StoreKind.available)
    func pingAnswers(kind: StoreKind) async throws {
        try await kind.make().ping()
    }

    @Test(arguments: StoreKind.available)
    func packVersionsAreImmutableAndListed(kind: StoreKind) async throws {
        let store = try await kind.make()
        let bundle = PackBundle(files: ["pack.yaml": "id: contract", "rules/triage.lua": "-- ¿Qué pasó? Đơn hỗ trợ\nreturn {}"])
        let first = PackVersion(manifest: Fixtures.pack, bundle: bundle, owner: nil, origin: .shipped, createdBy: "docket", createdAt: Fixtures.epoch)
        try await store.insertPackVersion(first)
        let duplicate = await #expect(throws: DocketError.self) { try await store.insertPackVersion(first) }
        #expect(duplicate?.code == .conflict)
        var manifest = Fixtures.pack
        manifest.version = "2"
        let second = PackVersion(
            manifest: manifest, bundle: bundle, owner: "a", origin: .upload, createdBy: "boss", createdAt: Fixtures.epoch.addingTimeInterval(60))
        try await store.insertPackVersion(second)
        #expect(try await store.packVersion(packId: "contract", version: "1") == first)
        #expect(try await store.packVersion(packId: "contract", version: "2") == second)
        #expect(try await store.packVersion(packId: "contract", version: "3") == nil)
        #expect(try await store.packVersionSummaries() == [first.summary, second.summary])
    }

    @Test(arguments: StoreKind.available)
    func recordedEventsAreNumberedPerTenantNewestFirst(kind: StoreKind) async throws {
        let store = try await kind.make()
        func event(_ tenant: String, _ n: Int) -> RecordedRuleEvent {
            RecordedRuleEvent(
                tenantId: tenant, ticketId: "", type: .ticketCreated, details: ["text": "hola \(n)"], actor: "c1",
                ticket: Fixtures.ticket(tenant: tenant, number: n), packId: "contract", packVersion: "1",
                applied: ["set_priority(urgent)"], at: Fixtures.epoch.addingTimeInterval(Double(n)))
        }
        // Rule events are written with the change that caused them: here, each ticket's creation
        // (the store names the ticket in them), the second of tenant a with two.
        for (tenant, events) in [("a", [event("a", 1)]), ("a", [event("a", 2), event("a", 3)]), ("b", [event("b", 1)])] {
            _ = try await store.createTicket(
                tenantId: tenant, counterYear: 2026, messages: [], build: { Fixtures.ticket(tenant: tenant, number: $0) },
                outbox: CreationOutbox(rules: events))
        }
        let recent = try await store.recentRuleEvents(tenantId: "a", limit: 2)
        #expect(recent.map(\.seq) == [3, 2])
        #expect(recent.map(\.ticketId) == ["T-2026-2", "T-2026-2"])
        #expect(recent.first?.ticket == Fixtures.ticket(tenant: "a", number: 3))
        #expect(recent.first?.at == Fixtures.epoch.addingTimeInterval(3))
        #expect(try await store.recentRuleEvents(tenantId: "b", limit: 10).map(\.seq) == [1])
        #expect(try await store.recentRuleEvents(tenantId: "c", limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func tenantsAreListedById(kind: StoreKind) async throws {
        let store = try await kind.make()
        for id in ["zeta", "alfa", "mu"] {
            try await store.insertTenant(Tenant(id: id, name: id, pack: Fixtures.pack, createdAt: Fixtures.epoch))
        }
        let page = try await store.listTenants(page: 1, limit: 2)
        #expect(page.items.map(\.id) == ["alfa", "mu"])
        #expect(page.total == 3)
        #expect(try await store.listTenants(page: 2, limit: 2).items.map(\.id) == ["zeta"])
    }
}

extension StoreContractTests {
    @Test(arguments: StoreKind.available)
    func customersAreFoundByPhone(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.insertCustomer(Fixtures.customer("c1", tenant: "a", phone: "+525512345678"))
        #expect(try await store.customer(tenantId: "a", phone: "+525512345678")?.id == "c1")
        #expect(try await store.customer(tenantId: "b", phone: "+525512345678") == nil)
        #expect(try await store.customer(tenantId: "a", phone: "+520000000000") == nil)
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
    }
}

/// Under CI the Mongo run is required: a missing stand-in must fail, not skip.
@Suite("Store kinds")
struct StoreKindTests {
    @Test func theMongoRunIsNotSkippedUnderCI() {
        if ProcessInfo.processInfo.environment["CI"] != nil {
            #expect(mongoTestConnection != nil, "CI must set DOCKET_TEST_MONGO_URI (scripts/test.sh starts the stand-in)")
        }
    }
}

@Suite("SQLite specifics")
struct SQLiteStoreTests {
    /// Stores `change` of `ticket` as its next version through `store` (which must take it).
    static func apply(_ change: (inout Ticket) -> Void, to ticket: inout Ticket, through store: SQLiteTicketStore) async throws {
        var next = ticket
        change(&next)
        next.version += 1
        #expect(try await store.updateTicket(next, expectedVersion: ticket.version))
        ticket = next
    }

    @Test func migrationsAreVersionedAndReapplyingIsANoOp() async throws {
        let dir = try Scratch.directory("mig")
        let path = dir.appendingPathComponent("docket.sqlite").path
        let first = try SQLiteTicketStore(path: path)
        try await Fixtures.create(first, tenant: "a")
        let applied = try await first.appliedMigrations()
        #expect(applied.count >= 1)
        let reopened = try SQLiteTicketStore(path: path)
        #expect(try await reopened.appliedMigrations() == applied)
        #expect(try await Fixtures.create(reopened, tenant: "a").number == 2)
    }

    @Test func decodedTicketsAreReusedOnlyAtTheVersionTheyWereReadAt() async throws {
        let dir = try Scratch.directory("mig")
        let path = dir.appendingPathComponent("docket.sqlite").path
        let store = try SQLiteTicketStore(path: path)
        let created = try await Fixtures.create(store, tenant: "a") { $0.subject = "Primero" }
        func subjects(_ store: SQLiteTicketStore) async throws -> (get: String?, list: [String]) {
            let one = try await store.ticket(tenantId: "a", ticketId: created.ticketId)
            return (one?.subject, try await store.listTickets(tenantId: "a", query: TicketQuery()).items.map(\.subject))
        }
        #expect(try await subjects(store) == ("Primero", ["Primero"]))
        // Changed through another connection to the same file (another process would be the same).
        let other = try SQLiteTicketStore(path: path)
        var changed = try #require(try await other.ticket(tenantId: "a", ticketId: created.ticketId))
        changed.subject = "Segundo"
        changed.version = 2
        #expect(try await other.updateTicket(changed, expectedVersion: 1))
        #expect(try await subjects(store) == ("Segundo", ["Segundo"]))
        // The rule audit is read apart and never kept with the decoded ticket.
        changed.ruleAudit = [RuleAuditEntry(
            event: "ticket.updated", packId: "p", packVersion: "1", rule: "r", proposed: [], applied: [], rejected: [], error: nil,
            durationMicros: 1, depth: 0, at: Fixtures.epoch)]
        changed.version = 3
        #expect(try await store.updateTicket(changed, expectedVersion: 2))
        #expect(try await store.ticket(tenantId: "a", ticketId: created.ticketId)?.ruleAudit?.count == 1)
        #expect(try await store.listTickets(tenantId: "a", query: TicketQuery()).items.first?.ruleAudit == nil)
        #expect(try await store.ticket(tenantId: "a", ticketId: created.ticketId)?.ruleAudit?.count == 1)
        // What this store wrote is what it reads back (kept as written), audit included or not.
        for (version, audit) in [(4, nil), (5, [RuleAuditEntry]()), (6, changed.ruleAudit)] {
            changed.ruleAudit = audit
            changed.version = version
            changed.subject = "v\(version)"
            #expect(try await store.updateTicket(changed, expectedVersion: version - 1))
            let read = try #require(try await store.ticket(tenantId: "a", ticketId: created.ticketId))
            #expect(read.subject == "v\(version)" && read.version == version && read.ruleAudit == audit)
            let fresh = try await SQLiteTicketStore(path: path).ticket(tenantId: "a", ticketId: created.ticketId)
            #expect(fresh?.ruleAudit == audit && fresh?.subject == "v\(version)")
        }
        // A change made elsewhere is seen at once, not the version this store wrote.
        changed.subject = "Tercero"
        changed.version = 7
        #expect(try await other.updateTicket(changed, expectedVersion: 6))
        #expect(try await subjects(store) == ("Tercero", ["Tercero"]))
    }

    /// An update that leaves a ticket's text and tags alone (a claim, a status) writes no tag or
    /// full-text row; one that changes them rewrites both. Whether the text changed is decided
    /// by the stored fingerprint, so a store that has not seen the ticket (a restart, another
    /// process) and rows from before the fingerprint both end up right.
    @Test func onlyChangedTextIsReindexed() async throws {
        let dir = try Scratch.directory("reindex")
        let path = dir.appendingPathComponent("docket.sqlite").path
        let store = try SQLiteTicketStore(path: path)
        var ticket = try await Fixtures.create(store, tenant: "a") {
            $0.subject = "Farola apagada"
            $0.tags = ["calle"]
        }
        /// The full-text index's stored blocks (its structure record changes on any write).
        func indexBlocks(_ store: SQLiteTicketStore) async throws -> String? {
            try await store.pool.read { db in try String.fetchOne(db, sql: "SELECT group_concat(id || ':' || hex(block)) FROM ticket_search_data") }
        }
        func found(_ store: SQLiteTicketStore, _ search: String? = nil, tag: String? = nil) async throws -> [String] {
            var query = TicketQuery()
            query.search = search
            query.tag = tag
            return try await store.listTickets(tenantId: "a", query: query).items.map(\.ticketId)
        }
        func update(_ store: SQLiteTicketStore, _ change: (inout Ticket) -> Void) async throws {
            try await Self.apply(change, to: &ticket, through: store)
        }
        let segments = try await indexBlocks(store)
        // A status change: same text, same tags; no full-text segment is written.
        try await update(store) { $0.status = "open" }
        #expect(try await indexBlocks(store) == segments)
        #expect(try await found(store, "farola") == [ticket.ticketId])
        // A note and a tag: both searchable at once.
        try await update(store) {
            $0.notes.append(Note(id: "n1", authorId: "a1", authorRole: .agent, content: "Cable cortado", isInternal: false, timestamp: Fixtures.epoch))
            $0.tags = ["poste"]
        }
        #expect(try await found(store, "cable") == [ticket.ticketId])
        #expect(try await found(store, tag: "poste") == [ticket.ticketId])
        #expect(try await found(store, tag: "calle") == [])
        // Another store on the file, which has not seen the ticket: an unchanged text is still
        // left alone, a changed one still reindexed.
        let other = try SQLiteTicketStore(path: path)
        let before = try await indexBlocks(other)
        try await update(other) { $0.priority = .high }
        #expect(try await indexBlocks(other) == before)
        try await update(other) { $0.description = "Sin luz desde ayer" }
        #expect(try await found(other, "ayer") == [ticket.ticketId])
        // A row from before the fingerprint (NULL) is reindexed on its next update.
        try await other.pool.write { db in try db.execute(sql: "UPDATE tickets SET index_hash = NULL") }
        try await update(other) { $0.subject = "Farola rota" }
        #expect(try await found(other, "rota") == [ticket.ticketId])
        #expect(try await found(other, "apagada") == [])
        #expect(try await other.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tickets WHERE index_hash IS NULL") } == 0)
    }

    /// A ticket's rule audit is a row of `ticket_audits`, written on create and rewritten only
    /// when a change brings a different audit (none counts), whichever store wrote it before;
    /// a database from before v16 gets its audits moved there.
    @Test func theAuditLivesApartAndIsRewrittenOnlyWhenItChanges() async throws {
        let dir = try Scratch.directory("audit")
        let path = dir.appendingPathComponent("docket.sqlite").path
        let store = try SQLiteTicketStore(path: path)
        @Sendable func entry(_ rule: String) -> RuleAuditEntry {
            RuleAuditEntry(event: "ticket.created", packId: "p", packVersion: "1", rule: rule, proposed: ["add_tag(x)"],
                           applied: ["add_tag(x)"], rejected: [], error: nil, durationMicros: 3, depth: 0, at: Fixtures.epoch)
        }
        var ticket = try await Fixtures.create(store, tenant: "a") { $0.ruleAudit = [entry("r1")] }
        try await store.pool.write { db in
            try db.execute(sql: """
                CREATE TABLE audit_writes (n INTEGER);
                CREATE TRIGGER audit_rewritten AFTER UPDATE ON ticket_audits BEGIN INSERT INTO audit_writes VALUES (1); END;
                CREATE TRIGGER audit_removed AFTER DELETE ON ticket_audits BEGIN INSERT INTO audit_writes VALUES (2); END;
                """)
        }
        func writes() async throws -> [Int] { try await store.pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM audit_writes") } }
        func update(_ store: SQLiteTicketStore, _ change: (inout Ticket) -> Void) async throws {
            try await Self.apply(change, to: &ticket, through: store)
        }
        func stored(_ store: SQLiteTicketStore) async throws -> [RuleAuditEntry]? {
            try await store.ticket(tenantId: "a", ticketId: ticket.ticketId)?.ruleAudit
        }
        #expect(try await stored(try SQLiteTicketStore(path: path)) == [entry("r1")])
        // A claim with no rule firing: the audit row is left alone, here and from a store that
        // has not seen the ticket.
        try await update(store) { $0.assignedAgent = "ag1" }
        try await update(try SQLiteTicketStore(path: path)) { $0.status = "open" }
        #expect(try await writes() == [])
        // A rule fires: the row is rewritten once; the audit removed: the row goes.
        try await update(store) { $0.ruleAudit = [entry("r1"), entry("r2")] }
        #expect(try await writes() == [1])
        #expect(try await stored(try SQLiteTicketStore(path: path)) == [entry("r1"), entry("r2")])
        try await update(store) { $0.ruleAudit = nil }
        #expect(try await writes() == [1, 2])
        #expect(try await stored(try SQLiteTicketStore(path: path)) == nil)
        try await update(store) { $0.ruleAudit = [] }
        #expect(try await stored(try SQLiteTicketStore(path: path)) == [])

        // Back to a database from before v16: the audit in a column of the ticket row.
        try await update(store) { $0.ruleAudit = [entry("r3")] }
        let audit = try #require(try await store.pool.read { db in try String.fetchOne(db, sql: "SELECT audit FROM ticket_audits") })
        try await store.pool.write { db in
            try db.execute(sql: """
                DROP TABLE ticket_audits;
                ALTER TABLE tickets DROP COLUMN audit_hash;
                ALTER TABLE tickets ADD COLUMN audit TEXT;
                DELETE FROM grdb_migrations WHERE identifier = 'v16 rule audit in its own table';
                """)
            try db.execute(sql: "UPDATE tickets SET audit = ?", arguments: [audit])
        }
        let migrated = try SQLiteTicketStore(path: path)
        #expect(try await stored(migrated) == [entry("r3")])
        // Its audit hash is not known: the next change writes the audit, which stays right.
        try await update(migrated) { $0.priority = .high }
        #expect(try await stored(try SQLiteTicketStore(path: path)) == [entry("r3")])
        #expect(try await migrated.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tickets WHERE audit_hash IS NULL") } == 0)
    }

    /// The stored fingerprints are standard 64-bit FNV-1a, so they stay the same from one
    /// build to the next (a change would rewrite every row's index and audit once).
    @Test func fingerprintsAreStandardFNV1a() {
        var hash = SQLiteTicketStore.FNV1a()
        #expect(hash.value == Int64(bitPattern: 0xcbf2_9ce4_8422_2325))
        hash.mix("a".utf8)
        #expect(hash.value == Int64(bitPattern: 0xaf63_dc4c_8601_ec8c))
        var foobar = SQLiteTicketStore.FNV1a()
        foobar.mix("foobar".utf8)
        #expect(foobar.value == Int64(bitPattern: 0x8594_4171_f739_67e8))
    }

    /// Every connection gets the page cache asked for (SQLite's 2 MB made reads copy most pages
    /// from the OS again), readers and the writer alike; only the writer keeps its temporary
    /// files in memory.
    @Test func everyConnectionHasThePageCacheAskedFor() async throws {
        let dir = try Scratch.directory("cache")
        let store = try SQLiteTicketStore(path: dir.appendingPathComponent("docket.sqlite").path, cacheMegabytes: 48)
        let read = try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
        let written = try await store.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
        #expect(read == -48 * 1024 && written == -48 * 1024)
        // The writer's savepoint journals stay in memory (2: MEMORY); the readers keep SQLite's
        // default (0), so a large sort may still spill to a file.
        let readerTemp = try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        let writerTemp = try await store.write { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        #expect(readerTemp == 0 && writerTemp == 2)
    }

    @Test func theSearchTermsMigrationFillsFromTicketsAlreadyIndexed() async throws {
        let dir = try Scratch.directory("mig")
        let path = dir.appendingPathComponent("docket.sqlite").path
        let before = try SQLiteTicketStore(path: path)
        try await Fixtures.create(before, tenant: "a") { $0.subject = "Luminaria apagada" }
        try await Fixtures.create(before, tenant: "a") { $0.subject = "Luminarias sin luz" }
        // Back to a database from before v8: no terms table, the migration not applied.
        try await before.pool.write { db in
            try db.execute(sql: "DROP TABLE search_terms; DELETE FROM grdb_migrations WHERE identifier = 'v8 search terms'")
        }
        let after = try SQLiteTicketStore(path: path)
        let terms = try await after.pool.read { db in try String.fetchAll(db, sql: "SELECT term FROM search_terms") }
        #expect(Set(["luminaria", "luminarias", "apagada", "sin", "luz"]).isSubset(of: Set(terms)))
        var query = TicketQuery()
        query.search = "lumin"
        #expect(try await after.listTickets(tenantId: "a", query: query).items.map(\.subject) == ["Luminarias sin luz", "Luminaria apagada"])
    }
}

/// A stand-in server of our own, on its own port and storage, that a test may stop and restart.
final class StandInServer: @unchecked Sendable {
    let binary: String
    let port: Int
    let storage: URL
    private var process: Process?

    init(binary: String) throws {
        self.binary = binary
        port = Int.random(in: 30_000...39_000)
        storage = try Scratch.directory("standin")
    }

    var uri: String { "mongodb://127.0.0.1:\(port)/docket_outage?directConnection=true" }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--host", "127.0.0.1", "--port", "\(port)", "--storage-path", storage.path, "--sync-on-commit"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Wait for the port (about a second).
        for _ in 0..<100 {
            if Self.listening(port) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DocketError(.storeUnavailable, "the stand-in did not listen on \(port)")
    }

    /// Kills the server outright (SIGKILL, like a crash) and waits until it is gone.
    func stop() async throws {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        self.process = nil
    }

    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

@Suite("MongoDB outages")
struct MongoOutageTests {
    static let binary = ProcessInfo.processInfo.environment["DOCKET_TEST_MONGO_BIN"].flatMap { $0.isEmpty ? nil : $0 }

    /// The store answers "unavailable" while MongoDB is down, and works again by itself when it
    /// returns, with every acknowledged ticket still there.
    @Test(.enabled(if: binary != nil))
    func theStoreRecoversWhenMongoDBReturns() async throws {
        let server = try StandInServer(binary: try #require(Self.binary))
        try await server.start()
        let connection = try MongoConnection(uri: server.uri, settings: MongoSettings(poolSize: 2, serverSelectionTimeoutMS: 800))
        let store = try await MongoTicketStore.open(connection)
        let created = try await Fixtures.create(store, tenant: "a")

        try await server.stop()
        let down = await #expect(throws: DocketError.self) { try await store.ticket(tenantId: "a", ticketId: created.ticketId) }
        #expect(down?.code == .storeUnavailable)
        let writeDown = await #expect(throws: DocketError.self) { try await Fixtures.create(store, tenant: "a") }
        #expect(writeDown?.code == .storeUnavailable)

        try await server.start()
        var back: Ticket?
        for _ in 0..<50 where back == nil {
            back = try? await store.ticket(tenantId: "a", ticketId: created.ticketId)
            if back == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(back == created)
        #expect(try await Fixtures.create(store, tenant: "a").number == 2)
        try await server.stop()
    }

    @Test func anUnreachableServerIsUnavailableNotAHang() async throws {
        let connection = try MongoConnection(
            uri: "mongodb://127.0.0.1:1/docket?directConnection=true", settings: MongoSettings(poolSize: 1, serverSelectionTimeoutMS: 300))
        let store = MongoTicketStore(connection: connection, database: "docket", textSearch: false)
        let error = await #expect(throws: DocketError.self) { try await store.ping() }
        #expect(error?.code == .storeUnavailable)
    }
}

@Suite("Legacy chat migration")
struct LegacyMigrationTests {
    /// A legacy collection of its own on the stand-in (the old application's database).
    static func seed(_ documents: [[String: Any]]) async throws -> MongoLegacyChatSource {
        let connection = try #require(mongoTestConnection)
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
    @Test(.enabled(if: mongoTestConnection != nil), arguments: [StoreKind.sqlite, .mongo])
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
    @Test(.enabled(if: mongoTestConnection != nil), arguments: [StoreKind.sqlite, .mongo])
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

@Suite("SLA timers on MongoDB")
struct MongoSLASchedulerTests {
    /// Two schedulers (two server instances) on one database: every warning and breach fires once.
    @Test(.enabled(if: mongoTestConnection != nil))
    func twoSchedulersFireEachTimerOnce() async throws {
        let store = try await StoreKind.mongo.make()
        let clock = ManualClock(Fixtures.epoch)
        var pack = Fixtures.pack
        pack.sla.warning = SLAWarning(percent: 50, minutesBefore: 0)
        let one = DocketServices(store: store, clock: clock, tenantCacheSeconds: 0)
        let two = DocketServices(store: store, clock: clock, tenantCacheSeconds: 0)
        _ = try await one.tenants.provisionTenant(id: "a", name: "A", pack: pack)
        try await store.insertCustomer(Fixtures.customer("c1", tenant: "a", phone: "+525500000009"))
        let customer = Principal(tenantId: "a", role: .customer, subject: "c1")
        for index in 0..<20 {
            _ = try await one.tickets.createTicket(customer, NewTicket(subject: "t\(index)", description: "d"))
        }
        // Past every first-response and resolution target (1 h and 1 day).
        clock.advance(by: 2 * 86_400)
        let (a, b) = try await (
            Task { var n = 0; while true { let k = try await one.tickets.fireDueSLATimers(limit: 7); if k == 0 { break }; n += k }; return n }.value,
            Task { var n = 0; while true { let k = try await two.tickets.fireDueSLATimers(limit: 7); if k == 0 { break }; n += k }; return n }.value
        )
        // 20 tickets × (2 clocks × warning + breach) = 80 events, split between the two.
        #expect(a + b == 80)
        let tickets = try await store.listTickets(tenantId: "a", query: TicketQuery()).items
        #expect(tickets.allSatisfy { $0.sla.clocks?.allSatisfy { $0.breachedAt != nil && $0.warnedAt != nil } == true })
        #expect(try await store.dueSLATickets(before: clock.now(), limit: 100).isEmpty)
    }
}
