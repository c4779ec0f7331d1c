import DocketCore
import DocketWire
import Foundation
import GRDB
import Synchronization

/// The embedded store: one SQLite file in WAL mode. GRDB runs every access on its own
/// dispatch queues (one writer, a few readers), never on the cooperative pool or an event loop.
public final class SQLiteTicketStore: TicketStore {
    /// How hard SQLite works to keep a commit. Both keep every commit across `kill -9`
    /// (WAL pages are in the OS cache); `full` also keeps it across power loss.
    public enum Durability: String, Sendable {
        case normal, full
    }

    let pool: DatabasePool
    let writer: GroupCommit
    let checkpointer: Checkpointer
    public let path: String
    let codec = DocumentCodec()
    /// Recently read and written tickets (see `TicketMemo`).
    let memo = TicketMemo()
    /// Words this store has committed to `search_terms` (see `addSearchTerms`).
    let knownTerms = KnownTerms()
    /// Point reads run in place on a request thread so far (`pointRead`; for tests).
    let readsInPlace = Atomic<Int>(0)
    /// Each request thread's own read connection (by `WorkThread.number`), opened on its first
    /// point read; closed with the store.
    private let threadReaders = Mutex<ThreadReaders>(ThreadReaders())
    private let threadReaderConfiguration: Configuration

    struct ThreadReaders: ~Copyable {
        var closed = false
        var queues: [Int: DatabaseQueue] = [:]
    }

    /// What the store knows of tickets it read or wrote lately, each at one version (a stored
    /// version never changes, so an entry is right for as long as the ticket stays at it).
    final class TicketMemo: Sendable {
        /// Tickets without their rule audit, by row, for lists and gets: an agent's list is
        /// mostly the same tickets, and decoding is most of a list's cost. A ticket this store
        /// wrote is kept as written, so the read that comes before its next change decodes nothing.
        let decoded = VersionedCache<TicketRow, Ticket>(capacity: 4096)
        /// Rule audits (nil: the ticket has none), read apart from the ticket (a single
        /// ticket's get; up to 200 entries).
        let audits = VersionedCache<TicketRow, [RuleAuditEntry]?>(capacity: 1024)
        /// The index fingerprint (`SearchText.fingerprint`) by ticket: an update whose text and
        /// tags match the stored version's skips folding them.
        let indexed = VersionedCache<TicketKey, Int64>(capacity: 4096)

        /// `ticket` was committed at row `row`, with the index fingerprint given.
        func wrote(_ ticket: Ticket, row: Int64, fingerprint: Int64) {
            let key = TicketRow(row: row, ticketId: ticket.ticketId)
            var plain = ticket
            plain.ruleAudit = nil
            decoded.keep(plain, for: key, version: ticket.version)
            audits.keep(ticket.ruleAudit, for: key, version: ticket.version)
            indexed.keep(fingerprint, for: TicketKey(ticket), version: ticket.version)
        }
    }

    struct TicketKey: Hashable, Sendable {
        var tenantId: String
        var ticketId: String

        init(_ ticket: Ticket) {
            tenantId = ticket.tenantId
            ticketId = ticket.ticketId
        }
    }

    struct TicketRow: Hashable, Sendable {
        var row: Int64
        var ticketId: String
    }

    public var description: String { "sqlite:\(path)" }

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    /// `groupWait`: how long the single writer may wait, under load, for a group of writes to
    /// fill before it commits them together (see `GroupCommit`); zero never waits.
    /// `cacheMegabytes`: the page cache of each connection (the readers, the writer). SQLite's
    /// default, 2 MB, held a sliver of a working set: reads then copied most pages from the
    /// OS with a `pread` each (half of the server's CPU under a read load at 10,000 tickets).
    public init(
        path: String, durability: Durability = .normal, readers: Int = 4, groupWait: Duration = .zero,
        checkpointPages: Int32 = 8000, cacheMegabytes: Int = 32
    ) throws {
        var config = Configuration()
        config.maximumReaderCount = readers
        config.busyMode = .timeout(10)
        config.label = "docket.sqlite"
        let checkpointer = Checkpointer(path: path, threshold: checkpointPages)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA cache_size = -\(max(1, cacheMegabytes) * 1024)")
            if !db.configuration.readonly {
                // The writer's savepoint journals (one savepoint per write of a group, see
                // `GroupCommit`) in memory, not in a temporary file: they held a copy of every
                // page a write touched after an earlier write of its group, and were four fifths
                // of the bytes a create caused to be written. At most the group's own pages.
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
            // Checkpoints run on a thread of their own (see `Checkpointer`), not in a commit.
            checkpointer.watch(db.sqliteConnection)
        }
        // A request thread's own reader: read-only, the same page cache, no WAL hook (it never commits).
        var readerConfig = Configuration()
        readerConfig.readonly = true
        readerConfig.busyMode = .timeout(10)
        readerConfig.label = "docket.sqlite.thread-reader"
        readerConfig.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -\(max(1, cacheMegabytes) * 1024)")
        }
        threadReaderConfiguration = readerConfig
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try SQLiteSchema.migrator.migrate(pool)
            writer = GroupCommit(pool: pool, gatherWait: groupWait) { db in checkpointer.finishOnWriter(db.sqliteConnection) }
        } catch {
            throw Self.map(error)
        }
        self.checkpointer = checkpointer
        checkpointer.start()
        self.path = path
    }

    /// Checkpoints the WAL and closes every connection (server shutdown). Later calls fail.
    public func close() throws {
        writer.stopGathering()
        checkpointer.stop()
        let readers = threadReaders.withLock { state in
            state.closed = true
            defer { state.queues = [:] }
            return Array(state.queues.values)
        }
        do {
            for reader in readers { try reader.close() }
            try pool.close()
        } catch {
            throw Self.map(error)
        }
    }

    /// The migrations applied to this database, in order.
    public func appliedMigrations() async throws -> [String] {
        try await read { db in try SQLiteSchema.migrator.appliedMigrations(db) }
    }

    /// A read on GRDB's reader queue. It is awaited off the request executor's threads (a
    /// request thread's point reads have a connection of their own and never wait for these).
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await withTaskExecutorPreference(globalConcurrentExecutor) { try await pool.read(body) }
        } catch {
            throw Self.map(error)
        }
    }

    /// A read bounded by an index (a ticket, a customer, a change's rule inputs). On a request
    /// executor's thread (`WorkThread`) it runs in place on that thread's own read connection:
    /// the request goes on on the same thread, with no hand-off to a reader's queue, no wake-up
    /// back, and no wait for a reader of the pool (whose readers a hopping read gives back only
    /// when its task is resumed). Elsewhere (the cooperative pool, an event loop) it hops like `read`.
    func pointRead<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        guard let thread = WorkThread.number else { return try await read(body) }
        readsInPlace.add(1, ordering: .relaxed)
        return try readInPlace(thread: thread, body)
    }

    /// A blocking read on the calling request thread's own connection (GRDB runs a
    /// `DatabaseQueue`'s synchronous read on the calling thread).
    private func readInPlace<T: Sendable>(thread: Int, _ body: @Sendable (Database) throws -> T) throws -> T {
        do {
            return try threadReader(thread).read(body)
        } catch {
            throw Self.map(error)
        }
    }

    private func threadReader(_ thread: Int) throws -> DatabaseQueue {
        try threadReaders.withLock { state in
            guard !state.closed else { throw DocketError(.storeUnavailable, "sqlite: the store is closed") }
            if let reader = state.queues[thread] { return reader }
            let reader = try DatabaseQueue(path: path, configuration: threadReaderConfiguration)
            state.queues[thread] = reader
            return reader
        }
    }

    /// `body` in an IMMEDIATE transaction, grouped with the writes waiting meanwhile (see
    /// `GroupCommit`); answers after the commit.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch {
            throw Self.map(error)
        }
    }

    /// GRDB and SQLite errors as core errors; core errors pass through.
    static func map(_ error: any Error) -> any Error {
        if error is DocketError || error is CancellationError { return error }
        guard let db = error as? DatabaseError else { return error }
        switch db.resultCode {
        case .SQLITE_CONSTRAINT:
            return conflict(db.message ?? "")
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return DocketError(.storeUnavailable, "sqlite: \(db.message ?? "\(db.resultCode)")")
        default:
            return error
        }
    }

    /// A constraint failure in the API's words ("UNIQUE constraint failed: agents.tenant_id,
    /// agents.email" → the e-mail is taken), never SQLite's.
    static func conflict(_ message: String) -> DocketError {
        let known: [(table: String, column: String, field: String, words: String)] = [
            ("agents", "email", "email", "an agent of this workspace already has this e-mail"),
            ("agents", "id", "id", "an agent with this id already exists"),
            ("customers", "phone", "phoneNumber", "a customer of this workspace already has this phone number"),
            ("customers", "id", "id", "a customer with this id already exists"),
            ("tenants", "id", "id", "a workspace with this id already exists"),
            ("api_keys", "id", "id", "an API key with this id already exists"),
            ("webhooks", "id", "id", "a webhook with this id already exists"),
            ("pack_versions", "version", "version", "this pack version exists; versions are immutable"),
            ("tickets", "open_chat_of", "customerId", "the customer already has an open conversation"),
            ("sessions", "id", "id", "this session already exists"),
        ]
        for entry in known where message.contains("\(entry.table).\(entry.column)") {
            return DocketError(.conflict, entry.words, field: entry.field)
        }
        return DocketError(.conflict, "this already exists")
    }

    /// One process owns the file (WAL on one machine, one writer): its turns serialise routing.
    public var leases: (any LeaseStore)? { nil }

    public func ping() async throws {
        _ = try await read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT 1")) }
    }

    // MARK: Tenants

    public func tenant(id: String) async throws -> Tenant? {
        let codec = codec
        return try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM tenants WHERE id = ?"), arguments: [id])
                .map { try codec.decode(Tenant.self, $0) }
        }
    }

    public func insertTenant(_ tenant: Tenant) async throws {
        let doc = try codec.encode(tenant)
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO tenants (id, version, doc) VALUES (?, ?, ?)")
                .execute(arguments: [tenant.id, tenant.version, doc])
        }
    }

    public func updateTenant(_ tenant: Tenant, expectedVersion: Int, outbox: Outbox) async throws -> [LiveEvent]? {
        let doc = try codec.encode(tenant)
        let codec = codec
        return try await write { db in
            try db.cachedStatement(sql: "UPDATE tenants SET version = ?, doc = ? WHERE id = ? AND version = ?")
                .execute(arguments: [tenant.version, doc, tenant.id, expectedVersion])
            guard db.changesCount == 1 else { return nil }
            return try Self.write(outbox, db, codec)
        }
    }

    // MARK: Customers and agents

    public func insertCustomer(_ customer: Customer) async throws {
        let doc = try codec.encode(customer)
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO customers (tenant_id, id, phone, total_tickets, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [
                    customer.tenantId, customer.id, customer.phoneNumber, customer.statistics.totalTickets,
                    customer.createdAt.millis, doc,
                ])
        }
    }

    public func replaceCustomer(_ customer: Customer) async throws -> Bool {
        let doc = try codec.encode(customer)
        return try await write { db in
            try db.cachedStatement(sql: "UPDATE customers SET phone = ?, doc = ? WHERE tenant_id = ? AND id = ?")
                .execute(arguments: [customer.phoneNumber, doc, customer.tenantId, customer.id])
            return db.changesCount == 1
        }
    }

    public func customer(tenantId: String, id: String) async throws -> Customer? {
        let codec = codec
        return try await pointRead { db in try Self.customer(db, tenantId: tenantId, id: id, codec) }
    }

    static func customer(_ db: Database, tenantId: String, id: String, _ codec: DocumentCodec) throws -> Customer? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT doc, total_tickets FROM customers WHERE tenant_id = ? AND id = ?"),
            arguments: [tenantId, id])
            .map { try Self.customer(from: $0, codec) }
    }

    static func customer(from row: Row, _ codec: DocumentCodec) throws -> Customer {
        var customer = try codec.decodeKept(Customer.self, row["doc"] as String)
        customer.statistics.totalTickets = row["total_tickets"]
        return customer
    }

    public func listCustomers(tenantId: String, page: Int, limit: Int) async throws -> Page<Customer> {
        let codec = codec
        return try await read { db in
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM customers WHERE tenant_id = ?"),
                arguments: [tenantId]) ?? 0
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT doc, total_tickets FROM customers WHERE tenant_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?"),
                arguments: [tenantId, limit, (page - 1) * limit])
            return Page(items: try rows.map { try Self.customer(from: $0, codec) }, page: page, limit: limit, total: total)
        }
    }

    public func insertAgent(_ agent: Agent) async throws {
        let doc = try codec.encode(agent)
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO agents (tenant_id, id, email, created_at, doc) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [agent.tenantId, agent.id, agent.email?.lowercased(), agent.createdAt.millis, doc])
        }
    }

    public func replaceAgent(_ agent: Agent) async throws -> Bool {
        let doc = try codec.encode(agent)
        return try await write { db in
            try db.cachedStatement(sql: "UPDATE agents SET email = ?, doc = ? WHERE tenant_id = ? AND id = ?")
                .execute(arguments: [agent.email?.lowercased(), doc, agent.tenantId, agent.id])
            return db.changesCount == 1
        }
    }

    public func agent(tenantId: String, id: String) async throws -> Agent? {
        let codec = codec
        return try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM agents WHERE tenant_id = ? AND id = ?"), arguments: [tenantId, id])
                .map { try codec.decodeKept(Agent.self, $0) }
        }
    }

    public func listAgents(tenantId: String, page: Int, limit: Int) async throws -> Page<Agent> {
        let codec = codec
        return try await read { db in
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM agents WHERE tenant_id = ?"),
                arguments: [tenantId]) ?? 0
            let docs = try String.fetchAll(db.cachedStatement(sql: "SELECT doc FROM agents WHERE tenant_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?"),
                arguments: [tenantId, limit, (page - 1) * limit])
            return Page(items: try docs.map { try codec.decodeKept(Agent.self, $0) }, page: page, limit: limit, total: total)
        }
    }
}

/// JSON documents as stored: dates as integer milliseconds since 1970 (domain times are
/// rounded to milliseconds, so they read back equal).
/// Words known to be in `search_terms`, remembered after their commit, so a write inserts only
/// the words it brings; at most `capacity` (past it, words are inserted as before: `INSERT OR
/// IGNORE` keeps that right). A word missing here is only inserted again.
final class KnownTerms: Sendable {
    private let words = Mutex(Set<String>())
    static let capacity = 200_000

    /// The words of `candidates` not known to be stored.
    func unknown(_ candidates: Set<String>) -> [String] {
        words.withLock { known in candidates.filter { !known.contains($0) } }
    }

    func remember(_ new: [String]) {
        words.withLock { known in
            for word in new where known.count < Self.capacity { known.insert(word) }
        }
    }
}

struct DocumentCodec: Sendable {
    /// Customers and agents decoded lately, by their document's text: the same text decodes to
    /// the same value, and a create reads its customer (and a rule its agents) every time.
    private let customers = VersionedCache<String, Customer>(capacity: 2048)
    private let agents = VersionedCache<String, Agent>(capacity: 1024)

    /// `decode`, answered from the documents decoded lately when the text is the same.
    func decodeKept(_ type: Customer.Type, _ text: String) throws -> Customer { try decode(type, text, keptIn: customers) }

    func decodeKept(_ type: Agent.Type, _ text: String) throws -> Agent { try decode(type, text, keptIn: agents) }

    private func decode<T: Decodable & Sendable>(_ type: T.Type, _ text: String, keptIn cache: VersionedCache<String, T>) throws -> T {
        if let known = cache.value(text, version: 0) { return known }
        let value = try decode(type, text)
        cache.keep(value, for: text, version: 0)
        return value
    }

    func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.millis)
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The hand-written JSON of the hot documents (tickets, their audit, recorded rule events):
    /// the same text `encode` writes, without Codable's generic containers.
    func text(_ value: some JSONWritable) -> String { JSONOut.text(value, dates: .millis) }

    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let millis = try decoder.singleValueContainer().decode(Int64.self)
            return Date(timeIntervalSince1970: Double(millis) / 1000)
        }
        return try decoder.decode(type, from: Data(text.utf8))
    }
}

extension Date {
    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
