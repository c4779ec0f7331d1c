@testable import DocketCore
import DocketMemory
@testable import DocketSQLite
import DocketTestSupport
import Foundation
import GRDB
import Synchronization
import Testing
@testable import DocketMongo

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

    /// On a request thread a change's reads (its ticket, its customer, the rules' inputs) take a
    /// reader in place; on the cooperative pool they hop to GRDB's reader queue. Same answers.
    @Test func aChangesReadsRunInPlaceOnARequestThread() async throws {
        let dir = try Scratch.directory("inplace")
        let store = try SQLiteTicketStore(path: dir.appendingPathComponent("docket.sqlite").path)
        let created = try await Fixtures.create(store, tenant: "a")
        try await store.insertCustomer(Customer(
            id: created.customerId, tenantId: "a", phoneNumber: nil, firstName: "Luz", lastName: nil, email: nil, createdAt: Date()))
        typealias Reads = (ticket: Ticket?, withInputs: Ticket?, customer: Customer?, inputs: RuleInputs)
        let read: @Sendable () async throws -> Reads = {
            (
                try await store.ticket(tenantId: "a", ticketId: created.ticketId),
                try await store.ticketWithRuleInputs(tenantId: "a", ticketId: created.ticketId, finished: ["closed"])?.ticket,
                try await store.customer(tenantId: "a", id: created.customerId),
                try await store.ruleInputs(tenantId: "a", customerId: created.customerId, finished: ["closed"])
            )
        }
        let hopped = try await Threads.pool.run(read)
        #expect(store.readsInPlace.load(ordering: .relaxed) == 0)
        let inPlace = try await Threads.requestThreads.run(read)
        #expect(store.readsInPlace.load(ordering: .relaxed) == 4)
        #expect(hopped.ticket == created && inPlace.ticket == created && inPlace.withInputs == created)
        #expect(hopped.customer != nil && inPlace.customer == hopped.customer)
        #expect(inPlace.inputs.customer == hopped.inputs.customer && inPlace.inputs.openTickets == hopped.inputs.openTickets)
    }

    /// Point reads in place and hopping reads (a list) at once on the request threads, more of
    /// them than the pool has readers: the in-place reads use each thread's own connection, the
    /// lists the pool's, and neither waits for the other.
    ///
    /// A hang is what it catches, so its limit is generous (the whole suite runs at once on two
    /// cores). Its own two request threads, so other tests' work on the shared ones does not
    /// queue ahead of it.
    @Test(.timeLimit(.minutes(3))) func readsInPlaceAndHoppingReadsTogetherNeverRunOutOfReaders() async throws {
        let dir = try Scratch.directory("inplace")
        let store = try SQLiteTicketStore(path: dir.appendingPathComponent("docket.sqlite").path, readers: 2)
        let created = try await Fixtures.create(store, tenant: "a")
        let answers = try await withTaskExecutorPreference(WorkThreads(count: 2, name: "test.inplace")) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<400 {
                    group.addTask {
                        if index % 2 == 0 {
                            return try await store.ticket(tenantId: "a", ticketId: created.ticketId) == nil ? 0 : 1
                        }
                        return try await store.listTickets(tenantId: "a", query: TicketQuery()).items.count
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        #expect(answers == 400)
        #expect(store.readsInPlace.load(ordering: .relaxed) == 200)
    }

    /// A request thread's point reads have a connection of their own: with every reader of the
    /// pool held by a read that waits (here, on the test), a ticket is still read in place, and
    /// a closed store refuses in-place reads with the store's error.
    @Test(.timeLimit(.minutes(1))) func aRequestThreadReadsOnItsOwnConnectionWhileThePoolsReadersAreHeld() async throws {
        let dir = try Scratch.directory("inplace")
        let store = try SQLiteTicketStore(path: dir.appendingPathComponent("docket.sqlite").path, readers: 1)
        let created = try await Fixtures.create(store, tenant: "a")
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let held = Task.detached {
            try await store.read { _ in
                holding.signal()
                release.wait()
            }
        }
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                holding.wait()
                continuation.resume()
            }
        }
        let threads = WorkThreads(count: 1, name: "test.own-reader")
        let read = try await withTaskExecutorPreference(threads) {
            try await store.ticket(tenantId: "a", ticketId: created.ticketId)
        }
        release.signal()
        try await held.value
        #expect(read == created)
        #expect(store.readsInPlace.load(ordering: .relaxed) == 1)
        try store.close()
        await #expect(throws: DocketError.self) {
            try await withTaskExecutorPreference(threads) { try await store.ticket(tenantId: "a", ticketId: created.ticketId) }
        }
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

    /// v18: recorded events of changes stored before it (whose ticket was only in the document)
    /// are named by ticket, so one ticket's events are read by the index.
    @Test func recordedEventsFromBeforeV18AreNamedByTicket() async throws {
        let path = try Scratch.directory("v18").appendingPathComponent("docket.sqlite").path
        let store = try SQLiteTicketStore(path: path)
        let ticket = Fixtures.ticket(tenant: "a", number: 7)
        let record = RecordedRuleEvent(
            tenantId: "a", ticketId: ticket.ticketId, type: .noteAdded, details: [:], actor: "c1", ticket: ticket, packId: "p", packVersion: "1",
            applied: [], at: Fixtures.epoch)
        try await store.pool.write { db in
            try db.execute(sql: """
                DROP INDEX rule_events_by_ticket;
                DELETE FROM grdb_migrations WHERE identifier = 'v18 rule events by ticket';
                """)
            try db.execute(
                sql: "INSERT INTO rule_events (tenant_id, seq, ticket_id, doc) VALUES ('a', 1, NULL, ?)", arguments: [DocumentCodec().text(record)])
        }
        try store.close()
        let migrated = try SQLiteTicketStore(path: path)
        #expect(try await migrated.ticketRuleEvents(tenantId: "a", ticketId: ticket.ticketId, limit: 5).map(\.seq) == [1])
        let plan = try await migrated.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT seq FROM rule_events WHERE tenant_id = 'a' AND ticket_id = 'x' ORDER BY seq DESC LIMIT 5")
                .map { $0["detail"] as String }.joined(separator: "; ")
        }
        #expect(plan.contains("rule_events_by_ticket"), "\(plan)")
    }

    /// v31: recorded rule events move from a WITHOUT ROWID table (whose rows over ~1,000 bytes
    /// spilled onto an overflow page each) into a rowid table, in order, keyed by a unique index;
    /// an event whose snapshot holds a long description is kept within its page.
    @Test func recordedEventsFromBeforeV31MoveToARowidTableInOrder() async throws {
        let path = try Scratch.directory("v31").appendingPathComponent("docket.sqlite").path
        let store = try SQLiteTicketStore(path: path)
        var worked = Fixtures.ticket(tenant: "a", number: 7)
        worked.description = String(repeating: "La luminaria no enciende desde anoche. ", count: 60)
        let ticket = worked
        @Sendable func record(_ tenant: String, _ ticket: Ticket) -> String {
            DocumentCodec().text(RecordedRuleEvent(
                tenantId: tenant, ticketId: ticket.ticketId, type: .noteAdded, details: [:], actor: "c1", ticket: ticket, packId: "p",
                packVersion: "1", applied: [], at: Fixtures.epoch))
        }
        let long = record("a", ticket)
        #expect(long.utf8.count > 2_000 && long.utf8.count < 4_000)
        // Back to a database from before v31: the old table, with events of two tenants.
        try await store.pool.write { db in
            try db.execute(sql: """
                DROP TABLE rule_events;
                CREATE TABLE rule_events (tenant_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, ticket_id TEXT,
                    PRIMARY KEY (tenant_id, seq)) WITHOUT ROWID;
                CREATE INDEX rule_events_by_ticket ON rule_events(tenant_id, ticket_id, seq);
                DELETE FROM grdb_migrations WHERE identifier = 'v31 recorded rule events in a rowid table';
                """)
            for (tenant, seq) in [("b", 1), ("a", 2), ("a", 1)] {
                try db.execute(
                    sql: "INSERT INTO rule_events (tenant_id, seq, ticket_id, doc) VALUES (?, ?, ?, ?)",
                    arguments: [tenant, seq, ticket.ticketId, record(tenant, ticket)])
            }
        }
        // The old layout: each of these events took an overflow page.
        let before = try await store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM dbstat WHERE name = 'rule_events' AND pagetype = 'overflow'")
        }
        #expect(before == 3)
        try store.close()
        let migrated = try SQLiteTicketStore(path: path)
        #expect(try await migrated.recentRuleEvents(tenantId: "a", limit: 5).map(\.seq) == [2, 1])
        #expect(try await migrated.ticketRuleEvents(tenantId: "b", ticketId: ticket.ticketId, limit: 5).map(\.seq) == [1])
        #expect(try await migrated.ticketRuleEvents(tenantId: "a", ticketId: ticket.ticketId, limit: 5).first?.ticket.description == ticket.description)
        // New events take the next numbers; the key stays unique.
        try await migrated.pool.write { db in try SQLiteTicketStore.appendRules([("a", ticket.ticketId, long), ("b", ticket.ticketId, long)], db) }
        #expect(try await migrated.recentRuleEvents(tenantId: "a", limit: 5).map(\.seq) == [3, 2, 1])
        #expect(try await migrated.recentRuleEvents(tenantId: "b", limit: 5).map(\.seq) == [2, 1])
        await #expect(throws: DatabaseError.self) {
            try await migrated.pool.write { db in try db.execute(sql: "INSERT INTO rule_events (tenant_id, seq, doc) VALUES ('a', 3, '{}')") }
        }
        let (definition, overflow, plans) = try await migrated.pool.read { db in
            (
                try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE name = 'rule_events'") ?? "",
                try Int.fetchOne(db, sql: "SELECT count(*) FROM dbstat WHERE name = 'rule_events' AND pagetype = 'overflow'") ?? -1,
                try ["SELECT MAX(seq) FROM rule_events WHERE tenant_id = 'a'", "SELECT seq, doc FROM rule_events WHERE tenant_id = 'a' ORDER BY seq DESC LIMIT 5"]
                    .map { sql in try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: "; ") }
            )
        }
        #expect(!definition.uppercased().contains("WITHOUT ROWID"), "\(definition)")
        #expect(overflow == 0, "a recorded event of \(long.utf8.count) bytes is kept in its leaf")
        for plan in plans { #expect(plan.contains("rule_events_by_seq"), "\(plan)") }
    }

    /// The conversation index holds chat tickets only, and a lookup by conversation still uses it.
    @Test func aLookupByConversationUsesTheIndexThatHoldsOnlyChatTickets() async throws {
        let store = try SQLiteTicketStore(path: try Scratch.directory("v24").appendingPathComponent("docket.sqlite").path)
        let (plan, definition) = try await store.pool.read { db in
            (try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT rowid FROM tickets t WHERE t.tenant_id = 'a' AND t.conversation_id = ?", arguments: ["c1"])
                .map { $0["detail"] as String }.joined(separator: "; "),
             try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE name = 'tickets_by_conversation'") ?? "")
        }
        #expect(plan.contains("tickets_by_conversation"), "\(plan)")
        #expect(definition.contains("WHERE conversation_id IS NOT NULL"), "\(definition)")
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

    @Test func theEndpointMigrationTakesRuleWebhookEventsEndpointsFromTheirData() async throws {
        let dir = try Scratch.directory("mig")
        let path = dir.appendingPathComponent("docket.sqlite").path
        let before = try SQLiteTicketStore(path: path)
        var hook = LiveEvent(
            tenantId: "a", type: .ruleWebhook, ticketId: "T-1", audience: .staff, data: #"{"endpoint":"wh_9","rule":"r"}"#, at: Fixtures.epoch)
        hook.endpoint = "ignored"
        let other = LiveEvent(tenantId: "a", type: .ticketUpdated, ticketId: "T-1", audience: .everyone, data: #"{"endpoint":"x"}"#, at: Fixtures.epoch)
        _ = try await before.appendLiveEvents([hook, other], retain: 100)
        // Back to a database from before v17: no endpoint column, the migration not applied.
        try await before.pool.write { db in
            try db.execute(sql: "ALTER TABLE live_events DROP COLUMN endpoint; DELETE FROM grdb_migrations WHERE identifier = 'v17 live event endpoint'")
        }
        let after = try SQLiteTicketStore(path: path)
        #expect(try await after.liveEvents(tenantId: "a", after: 0, limit: 10).map(\.endpoint) == ["wh_9", nil])
    }
}
