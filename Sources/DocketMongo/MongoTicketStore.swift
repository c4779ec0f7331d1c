import DocketCore
import Foundation
import Logging

/// The MongoDB store (a replica set or sharded cluster in production). Every call is one job
/// on the connection's blocking threads; every state change is one conditional write on one
/// document; `tenantId` leads every index key.
public final class MongoTicketStore: TicketStore {
    let connection: MongoConnection
    /// The database this store uses (the URI's, unless given).
    public let database: String
    /// Whether the server builds text indexes (MongoDB does; the SecantusDB stand-in does not).
    public let textSearch: Bool
    /// Tickets this process decoded or wrote lately, at their version (see `TicketMemo`).
    let memo = TicketMemo()

    /// What the store knows of tickets it read or wrote lately, each at one version: a stored
    /// version never changes (every write of a ticket is conditional on its version and raises
    /// it; another instance's write leaves a version this one does not hold), so a document read
    /// at a version held here is not decoded again, and the one this store wrote is kept as
    /// written. The ticket without its rule audit serves lists and gets; the audit (up to 200
    /// entries) is kept apart for gets.
    final class TicketMemo: Sendable {
        let decoded = VersionedCache<String, Ticket>(capacity: 4096)
        let audits = VersionedCache<String, [RuleAuditEntry]?>(capacity: 1024)

        func wrote(_ ticket: Ticket) {
            let key = MongoTicketStore.key(ticket.tenantId, ticket.ticketId)
            var plain = ticket
            plain.ruleAudit = nil
            decoded.keep(plain, for: key, version: ticket.version)
            audits.keep(ticket.ruleAudit, for: key, version: ticket.version)
        }

        /// The ticket a stored document holds (with its audit when `withAudit`, which the
        /// document then carries), decoded only when its version is not held here.
        func ticket(_ document: BSONDoc, withAudit: Bool) throws -> Ticket {
            guard let key = document["_id"]?.string, let version = document["version"]?.int else {
                return try MongoTicketStore.decode(Ticket.self, document)
            }
            if let plain = decoded.value(key, version: version) {
                if !withAudit { return plain }
                if let audit = audits.value(key, version: version) {
                    var ticket = plain
                    ticket.ruleAudit = audit
                    return ticket
                }
            }
            var ticket = try MongoTicketStore.decode(Ticket.self, document)
            var plain = ticket
            plain.ruleAudit = nil
            decoded.keep(plain, for: key, version: version)
            if withAudit {
                audits.keep(ticket.ruleAudit, for: key, version: version)
            } else {
                ticket.ruleAudit = nil
            }
            return ticket
        }
    }

    public var description: String { "mongodb:\(connection.displayURI) db=\(database)" }

    enum Collections {
        static let tenants = "tenants", counters = "counters", tickets = "tickets", customers = "customers"
        static let agents = "agents", packVersions = "pack_versions", ruleEvents = "rule_events"
        static let apiKeys = "api_keys", toolCalls = "tool_calls"
        static let webhooks = "webhooks", webhookDeliveries = "webhook_deliveries"
        static let messages = "ticket_messages", liveEvents = "live_events"
        static let accounts = "accounts", sessions = "sessions", passwordLinks = "password_links", widgetSecrets = "widget_secrets"
        static let leases = "leases", rollouts = "rollouts", presence = "presence", mailOutlets = "mail_outlets",
            quarantine = "mail_quarantine", mailboxStates = "mailbox_states", files = "files",
            fileUsage = "file_usage"
    }

    /// Connects (lazily: the first call selects a server), creates the indexes and detects
    /// text-index support.
    public static func open(
        _ connection: MongoConnection, database: String? = nil, logger: Logger = Logger(label: "docket.mongo")
    ) async throws -> MongoTicketStore {
        let database = database ?? connection.databaseName
        let text: Bool
        do {
            try await ensureIndexes(connection, database)
            try await connection.job(database: database) { job in try markStaleReports(job) }
            text = try await detectTextIndexes(connection, database)
        } catch let error as MongoError {
            throw error.docketError
        }
        logger.info(
            text ? "mongodb text index available: public search uses $text over the search keys"
                : "mongodb text indexes unsupported (error 67): search uses the folded keyword field",
            metadata: ["db": "\(database)", "libmongoc": "\(MongoConnection.linkedVersion)"])
        return MongoTicketStore(connection: connection, database: database, textSearch: text)
    }

    init(connection: MongoConnection, database: String, textSearch: Bool) {
        self.connection = connection
        self.database = database
        self.textSearch = textSearch
    }

    /// Idempotent: one index for every query the API makes.
    static func ensureIndexes(_ connection: MongoConnection, _ database: String) async throws {
        try await connection.job(database: database) { job in
            try job.collection(Collections.tickets).createIndexes(Collections.tickets, [
                IndexSpec(name: "tenant_ticketId", keys: [("tenantId", .ascending), ("ticketId", .ascending)], unique: true),
                IndexSpec(name: "tenant_customer_status", keys: [("tenantId", .ascending), ("customerId", .ascending), ("status", .ascending)]),
                IndexSpec(name: "tenant_agent_status", keys: [("tenantId", .ascending), ("assignedAgent", .ascending), ("status", .ascending)]),
                IndexSpec(name: "tenant_category_status", keys: [("tenantId", .ascending), ("category", .ascending), ("status", .ascending)]),
                IndexSpec(name: "tenant_priority_status", keys: [("tenantId", .ascending), ("ix.rank", .ascending), ("status", .ascending)]),
                IndexSpec(
                    name: "tenant_status_priority_created",
                    keys: [("tenantId", .ascending), ("status", .ascending), ("ix.rank", .ascending), ("createdAt", .ascending)]),
                IndexSpec(name: "tenant_tags", keys: [("tenantId", .ascending), ("tags", .ascending)]),
                IndexSpec(name: "tenant_queue", keys: [("tenantId", .ascending), ("queue", .ascending), ("createdAt", .descending)]),
                IndexSpec(name: "tenant_created", keys: [("tenantId", .ascending), ("createdAt", .ascending)]),
                IndexSpec(name: "tenant_updated", keys: [("tenantId", .ascending), ("updatedAt", .ascending)]),
                IndexSpec(name: "tenant_conversation", keys: [("tenantId", .ascending), ("conversationId", .ascending)]),
                IndexSpec(name: "tenant_search_keys", keys: [("tenantId", .ascending), ("ix.keys", .ascending)]),
                // One open chat per customer (`Ticket.openChatOf`, absent once the ticket is resolved or closed).
                IndexSpec(
                    name: "tenant_open_chat", keys: [("tenantId", .ascending), ("openChatOf", .ascending)], unique: true,
                    partialFilter: BSONDoc([("openChatOf", .document(["$exists": .bool(true)]))])),
                // The SLA scheduler's work list spans tenants.
                IndexSpec(name: "sla_next", keys: [("ix.slaNext", .ascending)]),
                // Tickets waiting for an agent to come online, per tenant, oldest first.
                IndexSpec(
                    name: "tenant_waiting", keys: [("tenantId", .ascending), ("waiting.since", .ascending)],
                    partialFilter: BSONDoc([("waiting", .document(["$exists": .bool(true)]))])),
                // The sweeper's work list: tickets whose outbox still holds a batch.
                IndexSpec(
                    name: "outbox_pending", keys: [("outbox.b", .ascending)],
                    partialFilter: BSONDoc([("outbox.b", .document(["$exists": .bool(true)]))])),
            ])
            try job.collection(Collections.customers).createIndexes(Collections.customers, [
                IndexSpec(
                    name: "tenant_phone", keys: [("tenantId", .ascending), ("phoneNumber", .ascending)], unique: true,
                    partialFilter: BSONDoc([("phoneNumber", .document(["$exists": .bool(true)]))])),
                IndexSpec(name: "tenant_created", keys: [("tenantId", .ascending), ("createdAt", .ascending)]),
                // A mail's sender, matched by address (lower-cased at insert).
                IndexSpec(
                    name: "tenant_email", keys: [("tenantId", .ascending), ("emailKey", .ascending), ("createdAt", .ascending)],
                    partialFilter: BSONDoc([("emailKey", .document(["$exists": .bool(true)]))])),
            ])
            // Customers stored before the e-mail key existed get it once (a page at a time).
            let customers = try job.collection(Collections.customers)
            while true {
                let page = try customers.find(
                    ["email": ["$exists": true], "emailKey": ["$exists": false]], FindOptions(limit: 500, projection: [("email", 1)]))
                var keyed = 0
                for doc in page {
                    guard let id = doc["_id"], let email = doc["email"]?.string else { continue }
                    keyed += try customers.updateOne(["_id": id], ["$set": ["emailKey": email.lowercased()]])
                }
                if page.count < 500 || keyed == 0 { break }
            }
            try job.collection(Collections.agents).createIndexes(Collections.agents, [
                IndexSpec(
                    name: "tenant_email", keys: [("tenantId", .ascending), ("emailKey", .ascending)], unique: true,
                    partialFilter: BSONDoc([("emailKey", .document(["$exists": .bool(true)]))])),
                IndexSpec(name: "tenant_created", keys: [("tenantId", .ascending), ("createdAt", .ascending)]),
            ])
            try job.collection(Collections.apiKeys).createIndexes(Collections.apiKeys, [
                IndexSpec(name: "tenant_created", keys: [("tenantId", .ascending), ("createdAt", .ascending)])
            ])
            try job.collection(Collections.webhooks).createIndexes(Collections.webhooks, [
                IndexSpec(name: "tenant_created", keys: [("tenantId", .ascending), ("createdAt", .ascending)]),
                IndexSpec(name: "active_created", keys: [("active", .ascending), ("createdAt", .ascending)]),
            ])
            try job.collection(Collections.quarantine).createIndexes(Collections.quarantine, [
                IndexSpec(name: "tenant_received", keys: [("tenantId", .ascending), ("receivedAt", .descending)])
            ])
            try job.collection(Collections.webhookDeliveries).createIndexes(Collections.webhookDeliveries, [
                IndexSpec(name: "webhook_attempt", keys: [("webhookId", .ascending), ("lastAttemptAt", .descending)])
            ])
            // A report's bucket lists the tickets resolved or rated in it: only those are indexed.
            try job.collection(Collections.tickets).createIndexes(Collections.tickets, [
                IndexSpec(
                    name: "tenant_resolved", keys: [("tenantId", .ascending), ("resolution.resolvedAt", .ascending)],
                    partialFilter: BSONDoc([("resolution.resolvedAt", .document(BSONDoc([("$exists", .bool(true))])))])),
                IndexSpec(
                    name: "tenant_rated", keys: [("tenantId", .ascending), ("customerFeedback.submittedAt", .ascending)],
                    partialFilter: BSONDoc([("customerFeedback.submittedAt", .document(BSONDoc([("$exists", .bool(true))])))])),
            ])
            // Reports read a range of hours (or starts) of one dimension of a tenant.
            try job.collection(ReportCollections.hours).createIndexes(ReportCollections.hours, [
                IndexSpec(name: "tenant_dim_hour", keys: [("tenantId", .ascending), ("dim", .ascending), ("hour", .ascending)])
            ])
            try job.collection(ReportCollections.days).createIndexes(ReportCollections.days, [
                IndexSpec(name: "tenant_dim_day", keys: [("tenantId", .ascending), ("dim", .ascending), ("day", .ascending)])
            ])
            try job.collection(ReportCollections.histograms).createIndexes(ReportCollections.histograms, [
                IndexSpec(name: "tenant_dim_grain_start", keys: [
                    ("tenantId", .ascending), ("dim", .ascending), ("grain", .ascending), ("start", .ascending),
                ])
            ])
            try job.collection(Collections.presence).createIndexes(Collections.presence, [
                IndexSpec(name: "tenant", keys: [("tenantId", .ascending)]),
                IndexSpec(name: "next_expiry", keys: [("nextExpiry", .ascending)]),
            ])
            try job.collection(Collections.accounts).createIndexes(Collections.accounts, [
                IndexSpec(name: "tenant_agent", keys: [("tenantId", .ascending), ("agentId", .ascending)])
            ])
            try job.collection(Collections.sessions).createIndexes(Collections.sessions, [
                IndexSpec(name: "tenant_subject", keys: [("tenantId", .ascending), ("subject", .ascending)])
            ])
            try job.collection(Collections.messages).createIndexes(Collections.messages, [
                IndexSpec(name: "tenant_ticket_seq", keys: [("tenantId", .ascending), ("ticketId", .ascending), ("seq", .ascending)], unique: true)
            ])
            try job.collection(Collections.liveEvents).createIndexes(Collections.liveEvents, [
                IndexSpec(name: "tenant_id", keys: [("tenantId", .ascending), ("id", .ascending)], unique: true),
                // An outbox batch's event is stored once, whoever moves it.
                IndexSpec(
                    name: "tenant_batch", keys: [("tenantId", .ascending), ("batch", .ascending), ("bi", .ascending)], unique: true,
                    partialFilter: BSONDoc([("batch", .document(["$exists": .bool(true)]))])),
            ])
            try job.collection(Collections.ruleEvents).createIndexes(Collections.ruleEvents, [
                IndexSpec(name: "tenant_seq", keys: [("tenantId", .ascending), ("seq", .ascending)], unique: true),
                // One ticket's events, newest first (replaying one ticket).
                IndexSpec(name: "tenant_ticket_seq", keys: [("tenantId", .ascending), ("ticketId", .ascending), ("seq", .descending)]),
                // An outbox batch's event is stored once, whoever moves it.
                IndexSpec(
                    name: "tenant_batch", keys: [("tenantId", .ascending), ("batch", .ascending), ("bi", .ascending)], unique: true,
                    partialFilter: BSONDoc([("batch", .document(["$exists": .bool(true)]))])),
            ])
        }
    }

    /// Tries to build a text index: a refusal the server marks as unsupported (67
    /// CannotCreateIndex, 115, 59) means no; any other failure (the server is down, a bad
    /// option) is an error, not a missing feature.
    static func detectTextIndexes(_ connection: MongoConnection, _ database: String) async throws -> Bool {
        do {
            try await connection.job(database: database) { job in
                try job.collection(Collections.tickets).createIndexes(Collections.tickets, [
                    IndexSpec(name: "tenant_search_text", keys: [("tenantId", .ascending), ("ix.text", .text)], defaultLanguage: "none")
                ])
            }
            return true
        } catch let error as MongoError where error.kind == .unsupported {
            return false
        }
    }

    // MARK: - Documents

    static func key(_ tenantId: String, _ id: String) -> String { "\(tenantId)/\(id)" }

    static func decode<T: Decodable>(_ type: T.Type, _ document: BSONDoc) throws -> T {
        do {
            return try BSONDecoder().decode(type, from: document)
        } catch {
            throw DocketError(.internalError, "mongodb: a stored \(T.self) does not decode: \(error)")
        }
    }

    /// One blocking job on this store's database; libmongoc's errors leave as core errors
    /// (`.conflict`, `.storeUnavailable`, `.internalError`) here, at the store's edge.
    func job<T: Sendable>(_ body: @escaping @Sendable (MongoJob) throws -> T) async throws -> T {
        do {
            return try await connection.job(database: database, body)
        } catch let error as MongoError {
            throw error.docketError
        }
    }

    public func ping() async throws {
        try await job { job in try job.ping() }
    }

    // MARK: - Tenants

    public func tenant(id: String) async throws -> Tenant? {
        try await job { job in
            try job.collection(Collections.tenants).findOne(["_id": id]).map { try Self.decode(Tenant.self, $0) }
        }
    }

    /// `value`'s document with `id` as its `_id`: how every collection here keys what it stores.
    static func document<Value: Encodable>(_ value: Value, id: String) throws -> BSONDoc {
        var document = try BSONEncoder().document(value)
        document["_id"] = .string(id)
        return document
    }

    public func insertTenant(_ tenant: Tenant) async throws {
        try await job { job in try job.collection(Collections.tenants).insertOne(Self.document(tenant, id: tenant.id)) }
    }

    /// The tenant and what its change announces in one document write (its `outbox`, as a
    /// ticket's), moved out right after; batches a crash left in the tenant are carried along
    /// and moved first.
    public func updateTenant(_ tenant: Tenant, expectedVersion: Int, outbox: Outbox) async throws -> [LiveEvent]? {
        let base = try Self.document(tenant, id: tenant.id)
        let stored = try await job { job in
            try Self.replaceCarryingOutbox(
                job, collection: Collections.tenants, filter: ["_id": tenant.id, "version": expectedVersion], key: tenant.id, tenant: tenant.id,
                base: base, outbox: outbox)
        }
        if let stored { outbox.onCommit?(stored) }
        return stored
    }

    public func listTenants(page: Int, limit: Int) async throws -> Page<Tenant> {
        try await job { job in
            let tenants = try job.collection(Collections.tenants)
            let total = try tenants.count([:])
            let items = try tenants.find([:], FindOptions(sort: [("_id", 1)], skip: (page - 1) * limit, limit: limit)).map { try Self.decode(Tenant.self, $0) }
            return Page(items: items, page: page, limit: limit, total: total)
        }
    }

    // MARK: - Customers and agents

    public func insertCustomer(_ customer: Customer) async throws {
        try await job { job in
            var doc = try Self.document(customer, id: Self.key(customer.tenantId, customer.id))
            if let email = customer.email { doc["emailKey"] = .string(email.lowercased()) }
            try job.collection(Collections.customers).insertOne(doc)
        }
    }

    public func replaceCustomer(_ customer: Customer) async throws -> Bool {
        try await job { job in
            var doc = try Self.document(customer, id: Self.key(customer.tenantId, customer.id))
            if let email = customer.email { doc["emailKey"] = .string(email.lowercased()) }
            return try job.collection(Collections.customers).replaceOne(["_id": Self.key(customer.tenantId, customer.id)], doc) == 1
        }
    }

    public func customer(tenantId: String, id: String) async throws -> Customer? {
        try await job { job in
            try job.collection(Collections.customers).findOne(["_id": Self.key(tenantId, id)]).map { try Self.customer($0, job) }
        }
    }

    /// A customer as stored, with `statistics.totalTickets` counted from the tickets (by the
    /// tenant-customer index): a count kept beside the ticket's own write could be left short
    /// by a crash between the two, and MongoDB has no transaction the adapter may rely on.
    static func customer(_ document: BSONDoc, _ job: MongoJob) throws -> Customer {
        var customer = try decode(Customer.self, document)
        customer.statistics.totalTickets = try job.collection(Collections.tickets).count(["tenantId": customer.tenantId, "customerId": customer.id])
        return customer
    }

    public func listCustomers(tenantId: String, page: Int, limit: Int) async throws -> Page<Customer> {
        try await job { job in
            let customers = try job.collection(Collections.customers)
            let total = try customers.count(["tenantId": tenantId])
            let items = try customers.find(["tenantId": tenantId], FindOptions(sort: [("createdAt", -1), ("id", 1)], skip: (page - 1) * limit, limit: limit))
                .map { try Self.customer($0, job) }
            return Page(items: items, page: page, limit: limit, total: total)
        }
    }

    public func insertAgent(_ agent: Agent) async throws {
        try await job { job in
            var doc = try Self.document(agent, id: Self.key(agent.tenantId, agent.id))
            if let email = agent.email { doc["emailKey"] = .string(email.lowercased()) }
            try job.collection(Collections.agents).insertOne(doc)
        }
    }

    public func replaceAgent(_ agent: Agent) async throws -> Bool {
        try await job { job in
            var doc = try Self.document(agent, id: Self.key(agent.tenantId, agent.id))
            if let email = agent.email { doc["emailKey"] = .string(email.lowercased()) }
            return try job.collection(Collections.agents).replaceOne(["_id": Self.key(agent.tenantId, agent.id)], doc) == 1
        }
    }

    public func agent(tenantId: String, id: String) async throws -> Agent? {
        try await job { job in
            try job.collection(Collections.agents).findOne(["_id": Self.key(tenantId, id)]).map { try Self.decode(Agent.self, $0) }
        }
    }

    public func listAgents(tenantId: String, page: Int, limit: Int) async throws -> Page<Agent> {
        try await job { job in
            let agents = try job.collection(Collections.agents)
            let total = try agents.count(["tenantId": tenantId])
            let items = try agents.find(["tenantId": tenantId], FindOptions(sort: [("createdAt", -1), ("id", 1)], skip: (page - 1) * limit, limit: limit))
                .map { try Self.decode(Agent.self, $0) }
            return Page(items: items, page: page, limit: limit, total: total)
        }
    }

    // MARK: - Packs and recorded events

    public func insertPackVersion(_ version: PackVersion) async throws {
        try await job { job in
            let doc = try Self.document(version, id: version.summary.key)
            try job.collection(Collections.packVersions).insertOne(doc)
        }
    }

    public func packVersion(packId: String, version: String) async throws -> PackVersion? {
        try await job { job in
            try job.collection(Collections.packVersions).findOne(["_id": "\(packId)@\(version)"]).map { try Self.decode(PackVersion.self, $0) }
        }
    }

    private struct SummaryOnly: Decodable { var summary: PackVersionSummary }

    public func packVersionSummaries() async throws -> [PackVersionSummary] {
        try await job { job in
            try job.collection(Collections.packVersions)
                .find([:], FindOptions(sort: [("summary.packId", 1), ("summary.createdAt", 1), ("_id", 1)], projection: [("summary", 1)]))
                .map { try Self.decode(SummaryOnly.self, $0).summary }
        }
    }

    public func recentRuleEvents(tenantId: String, limit: Int) async throws -> [RecordedRuleEvent] {
        try await job { job in
            try job.collection(Collections.ruleEvents).find(["tenantId": tenantId], FindOptions(sort: [("seq", -1)], limit: limit))
                .map { try Self.decode(RecordedRuleEvent.self, $0) }
        }
    }

    public func ticketRuleEvents(tenantId: String, ticketId: String, limit: Int) async throws -> [RecordedRuleEvent] {
        try await job { job in
            try job.collection(Collections.ruleEvents)
                .find(["tenantId": tenantId, "ticketId": ticketId], FindOptions(sort: [("seq", -1)], limit: limit))
                .map { try Self.decode(RecordedRuleEvent.self, $0) }
        }
    }
}
