import DocketCore
import Foundation
import GRDB

extension SQLiteTicketStore {
    public func createTicket(
        tenantId: String, counterYear: Int, messages: [TicketMessage], build: @escaping @Sendable (Int) throws -> Ticket,
        outbox: CreationOutbox
    ) async throws -> (ticket: Ticket, events: [LiveEvent]) {
        let codec = codec
        // The document is encoded before taking the single writer (JSON encoding was most of
        // the writer's time): only the number and human ID differ, and those are read from
        // their columns. A build that fails does so here, before a number is taken.
        let draft = try build(0)
        let (doc, audit) = try Self.documents(draft, codec)
        let text = SearchText(draft, known: knownTerms)
        let memo = memo
        // The recorded rule events too (each a whole ticket snapshot): only their ticketId is
        // set inside, from the built ticket.
        let rules = outbox.rules.map { ($0.tenantId, $0.ticketId, codec.text($0)) }
        // One transaction: the number, the ticket and the customer's count commit together or
        // not at all, so numbers never skip or repeat (but for an ID issued before, below).
        return try await write { db in
            var ticket = try build(try Self.takeNumbers(db, tenantId: tenantId, counterYear: counterYear, count: 1))
            // An ID already issued (under another counter, before the format changed) skips its number.
            while try Self.exists(db, tenantId: tenantId, ticketId: ticket.ticketId) {
                ticket = try build(try Self.takeNumbers(db, tenantId: tenantId, counterYear: counterYear, count: 1))
            }
            let row = try Self.insert(ticket, db, doc: doc, audit: audit, text: text)
            try Self.insert(messages.map { var message = $0; message.ticketId = ticket.ticketId; return message }, db, codec)
            try db.cachedStatement(sql: "UPDATE customers SET total_tickets = total_tickets + 1 WHERE tenant_id = ? AND id = ?")
                .execute(arguments: [tenantId, ticket.customerId])
            try Self.appendRules(rules, db, ticketId: ticket.ticketId)
            try CommitHooks.addReport(db, tenantId: tenantId, outbox.report(ticket))
            let written = (ticket, try Self.appendLive(try outbox.live(ticket), retain: outbox.retain, db, onCommit: outbox.onCommit))
            let committed = ticket
            CommitHooks.afterCommit(db) { memo.wrote(committed, row: row, fingerprint: text.fingerprint) }
            return written
        }
    }

    public func ticket(tenantId: String, ticketId: String) async throws -> Ticket? {
        try await pointRead { [self] db in try ticket(db, tenantId: tenantId, ticketId: ticketId) }
    }

    /// The ticket, its customer and the agents' loads and presence in one read: what a change and its rules read.
    public func ticketWithRuleInputs(tenantId: String, ticketId: String, finished: [String]) async throws -> (ticket: Ticket, inputs: RuleInputs)? {
        let codec = codec
        return try await pointRead { [self] db in
            guard let ticket = try ticket(db, tenantId: tenantId, ticketId: ticketId) else { return nil }
            return (ticket, RuleInputs(
                customer: try Self.customer(db, tenantId: tenantId, id: ticket.customerId, codec),
                openTickets: try Self.openTicketCounts(db, tenantId: tenantId, finished: finished),
                presence: try Self.presenceMarks(db, tenantId: tenantId)))
        }
    }

    /// The ticket with its rule audit, inside a read.
    func ticket(_ db: Database, tenantId: String, ticketId: String) throws -> Ticket? {
        let codec = codec
        return try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.ticketColumns) FROM tickets WHERE tenant_id = ? AND ticket_id = ?"),
            arguments: [tenantId, ticketId]
        ).map { row in
            var ticket = try self.ticket(from: row, db, codec)
            let key = TicketRow(row: row["id"], ticketId: ticket.ticketId), version: Int = row["version"]
            if let known = memo.audits.value(key, version: version) {
                ticket.ruleAudit = known
            } else {
                let text = try String.fetchOne(db.cachedStatement(sql: "SELECT audit FROM ticket_audits WHERE ticket = ?"), arguments: [key.row])
                ticket.ruleAudit = try text.map { try codec.decode([RuleAuditEntry].self, $0) }
                memo.audits.keep(ticket.ruleAudit, for: key, version: version)
            }
            return ticket
        }
    }

    public func updateTicket(_ ticket: Ticket, expectedVersion: Int, messages: [TicketMessage], outbox: Outbox) async throws -> [LiveEvent]? {
        let codec = codec
        let (doc, audit) = try Self.documents(ticket, codec)
        let text = searchText(ticket, expectedVersion: expectedVersion)
        let rules = outbox.rules.map { ($0.tenantId, ticket.ticketId, codec.text($0)) }
        return try await write { [memo] db in
            guard try Self.replace(ticket, expectedVersion: expectedVersion, db, doc: doc, audit: audit, text: text, memo: memo) else { return nil }
            try Self.insert(messages, db, codec)
            try Self.appendRules(rules, db)
            try CommitHooks.addReport(db, tenantId: ticket.tenantId, outbox.report)
            return try Self.appendLive(outbox.live, retain: outbox.retain, db, onCommit: outbox.onCommit)
        }
    }

    /// The outbox, in the caller's transaction: recorded rule events, then the live events
    /// (which take the tenant's next ids); answers the live events with their ids.
    static func write(_ outbox: Outbox, _ db: Database, _ codec: DocumentCodec) throws -> [LiveEvent] {
        try appendRules(outbox.rules.map { ($0.tenantId, $0.ticketId, codec.text($0)) }, db)
        return try appendLive(outbox.live, retain: outbox.retain, db, onCommit: outbox.onCommit)
    }

    /// What an update indexes: the ticket's fingerprint, and its folded text unless the stored
    /// version is known to have the same (most changes — a claim, a status — leave the text and
    /// tags alone, and folding is the costliest part of indexing).
    func searchText(_ ticket: Ticket, expectedVersion: Int) -> SearchText.Update {
        let fingerprint = SearchText.fingerprint(ticket)
        if memo.indexed.value(.init(ticket), version: expectedVersion) == fingerprint { return .init(fingerprint: fingerprint, text: nil) }
        return .init(fingerprint: fingerprint, text: SearchText(ticket, known: knownTerms, fingerprint: fingerprint))
    }

    /// The conditional replace under every ticket update, inside the caller's transaction:
    /// false when the stored version is not `expectedVersion`. Tags and full-text rows are
    /// rewritten only when the stored fingerprint differs (`index_hash`).
    static func replace(
        _ ticket: Ticket, expectedVersion: Int, _ db: Database, doc: String, audit: String?, text: SearchText.Update,
        memo: TicketMemo
    ) throws -> Bool {
        guard let old = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, assigned_agent, status, index_hash, audit_hash FROM tickets WHERE tenant_id = ? AND ticket_id = ? AND version = ?"),
            arguments: [ticket.tenantId, ticket.ticketId, expectedVersion])
        else { return false }
        let rowid: Int64 = old["id"]
        let (oldAgent, oldStatus): (String?, String) = (old["assigned_agent"], old["status"])
        if oldAgent != ticket.assignedAgent || oldStatus != ticket.status {
            try load(db, tenantId: ticket.tenantId, agent: oldAgent, status: oldStatus, by: -1)
            try load(db, tenantId: ticket.tenantId, agent: ticket.assignedAgent, status: ticket.status, by: 1)
        }
        let auditHash = Self.auditHash(audit)
        var arguments = columns(ticket)
        arguments += [doc, text.fingerprint, auditHash, rowid]
        try db.cachedStatement(sql: """
                UPDATE tickets SET status = ?, priority = ?, priority_rank = ?, category = ?, assigned_agent = ?,
                    customer_id = ?, conversation_id = ?, escalated = ?, resolved = ?, first_response_seconds = ?,
                    first_response_met = ?, resolution_met = ?, created_at = ?, updated_at = ?, version = ?, sla_next_at = ?,
                    open_chat_of = ?, queue = ?, waiting_since = ?, source = ?, resolved_at = ?, rated_at = ?, doc = ?, index_hash = ?,
                    audit_hash = ?
                WHERE id = ?
                """).execute(arguments: StatementArguments(arguments))
        if old["audit_hash"] as Int64? != auditHash {
            try writeAudit(audit, rowid: rowid, db)
        }
        if old["index_hash"] as Int64? != text.fingerprint {
            try index(ticket, rowid: rowid, db, replacing: true, text: text.text)
        }
        CommitHooks.afterCommit(db) { memo.wrote(ticket, row: rowid, fingerprint: text.fingerprint) }
        return true
    }

    /// Takes the next `count` ticket numbers of (tenant, counterYear); returns the last one.
    static func exists(_ db: Database, tenantId: String, ticketId: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM tickets WHERE tenant_id = ? AND ticket_id = ?)"),
            arguments: [tenantId, ticketId]) ?? false
    }

    static func takeNumbers(_ db: Database, tenantId: String, counterYear: Int, count: Int) throws -> Int {
        guard let last = try Int.fetchOne(db.cachedStatement(sql: """
                INSERT INTO counters (tenant_id, year, value) VALUES (?, ?, ?)
                ON CONFLICT (tenant_id, year) DO UPDATE SET value = value + excluded.value
                RETURNING value
                """),
            arguments: [tenantId, counterYear, count])
        else { throw DocketError(.internalError, "ticket counter returned no value") }
        return last
    }

    /// The indexed columns of a ticket, in the order of the UPDATE above.
    static func columns(_ t: Ticket) -> [(any DatabaseValueConvertible)?] {
        [
            t.status, t.priority.rawValue, t.priority.rank, t.category, t.assignedAgent, t.customerId, t.conversationId,
            t.isEscalated, t.resolution != nil, t.sla.firstResponseAt.map { $0.timeIntervalSince(t.createdAt) },
            t.sla.firstResponseMet, t.sla.resolutionMet, t.createdAt.millis, t.updatedAt.millis, t.version, t.nextWakeAt?.millis,
            t.openChatOf, t.queue, t.waiting?.since.millis, t.source.rawValue, t.resolution?.resolvedAt.millis,
            t.customerFeedback?.submittedAt.millis,
        ]
    }

    /// A ticket's rule audit lives in `ticket_audits`, one row per ticket (keyed by the ticket's
    /// row): the ticket row stays small (two fit a page), and a change that adds no audit entry
    /// (a claim with no rule firing, a note) does not rewrite it. `audit_hash` on the ticket row
    /// tells whether the stored audit is the one about to be written.
    static func writeAudit(_ audit: String?, rowid: Int64, _ db: Database) throws {
        if let audit {
            try db.cachedStatement(sql: "INSERT INTO ticket_audits (ticket, audit) VALUES (?, ?) ON CONFLICT (ticket) DO UPDATE SET audit = excluded.audit")
                .execute(arguments: [rowid, audit])
        } else {
            try db.cachedStatement(sql: "DELETE FROM ticket_audits WHERE ticket = ?").execute(arguments: [rowid])
        }
    }

    /// The audit text's fingerprint (with a last value telling "none" from empty text).
    static func auditHash(_ audit: String?) -> Int64 {
        var hash = FNV1a()
        hash.mix(audit?.utf8 ?? "".utf8)
        hash.mix(audit == nil ? 0x100 : 0x1FF)
        return hash.value
    }

    /// 64-bit FNV-1a: the same on every run, unlike `Hasher`, so it can be stored.
    struct FNV1a {
        private var hash: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes { mix(UInt64(byte)) }
        }

        mutating func mix(_ value: UInt64) {
            hash = (hash ^ value) &* 0x100_0000_01b3
        }

        var value: Int64 { Int64(bitPattern: hash) }
    }

    /// The stored document (without the rule audit) and the audit apart.
    static func documents(_ ticket: Ticket, _ codec: DocumentCodec) throws -> (doc: String, audit: String?) {
        var document = ticket
        document.ruleAudit = nil
        return (codec.text(document), ticket.ruleAudit.map { codec.text($0) })
    }

    /// The columns a ticket is found by (`ticket(from:_:_:)`): its document is read only when
    /// the memo does not hold this version. Fetching it with them copied every document a list
    /// sorted into SQLite's sorter, and into a Swift string, even when it was not decoded.
    static let ticketColumns = "id, version, ticket_id, number, created_at"

    /// A stored ticket (a row holding `ticketColumns`, read in the caller's transaction): its
    /// document, with the number, human ID and creation time from their columns (a create
    /// encodes its document before taking the writer, and learns them inside it), and no rule
    /// audit (`ticket(tenantId:ticketId:)` adds it). Decoded once per version (`decoded`).
    func ticket(from row: Row, _ db: Database, _ codec: DocumentCodec) throws -> Ticket {
        let rowid: Int64 = row["id"], version: Int = row["version"], ticketId: String = row["ticket_id"]
        let key = TicketRow(row: rowid, ticketId: ticketId)
        if let known = memo.decoded.value(key, version: version) { return known }
        guard let doc = try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM tickets WHERE id = ?"), arguments: [rowid]) else {
            throw DocketError(.storeUnavailable, "sqlite: ticket row \(rowid) vanished inside a read")
        }
        var ticket = try codec.decode(Ticket.self, doc)
        ticket.ticketId = ticketId
        ticket.number = row["number"]
        let created = Date(timeIntervalSince1970: Double(row["created_at"] as Int64) / 1000)
        if ticket.version == 1, ticket.createdAt != created {
            // Not yet rewritten since its create: the document holds the time before numbering.
            ticket.createdAt = created
            ticket.updatedAt = created
        }
        // Rows written before migration v6 carry an audit inside the document; it is not read
        // (a ticket's audit is the row of `ticket_audits`).
        ticket.ruleAudit = nil
        memo.decoded.keep(ticket, for: key, version: version)
        return ticket
    }

    /// Inserts a ticket with its index rows; answers its row id.
    @discardableResult
    static func insert(_ ticket: Ticket, _ db: Database, doc: String, audit: String?, text: SearchText? = nil) throws -> Int64 {
        let text = text ?? SearchText(ticket)
        var arguments: [(any DatabaseValueConvertible)?] = [ticket.tenantId, ticket.ticketId, ticket.numberingYear, ticket.number]
        arguments += columns(ticket)
        arguments += [doc, text.fingerprint, auditHash(audit)]
        try db.cachedStatement(sql: """
                INSERT INTO tickets (tenant_id, ticket_id, numbering_year, number, status, priority, priority_rank, category,
                    assigned_agent, customer_id, conversation_id, escalated, resolved, first_response_seconds,
                    first_response_met, resolution_met, created_at, updated_at, version, sla_next_at, open_chat_of, queue,
                    waiting_since, source, resolved_at, rated_at, doc, index_hash, audit_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: StatementArguments(arguments))
        let rowid = db.lastInsertedRowID
        if audit != nil { try writeAudit(audit, rowid: rowid, db) }
        try index(ticket, rowid: rowid, db, replacing: false, text: text)
        try load(db, tenantId: ticket.tenantId, agent: ticket.assignedAgent, status: ticket.status, by: 1)
        return rowid
    }

    /// Moves the (agent, status) ticket count of `agent_load`.
    static func load(_ db: Database, tenantId: String, agent: String?, status: String, by delta: Int) throws {
        guard let agent else { return }
        try db.cachedStatement(sql: """
                INSERT INTO agent_load (tenant_id, agent_id, status, count) VALUES (?, ?, ?, ?)
                ON CONFLICT (tenant_id, agent_id, status) DO UPDATE SET count = count + excluded.count
                """).execute(arguments: [tenantId, agent, status, delta])
    }

    /// Tags and full-text rows follow the ticket. Text is folded the same way as queries.
    /// The folded full-text of a ticket, without its ID (which a create learns inside the
    /// write): folding is Foundation work best done before taking the single writer.
    struct SearchText: Sendable {
        var publicRest: String
        var internalText: String

        /// The words of both texts (the ID's are added inside the write).
        var words: Set<String>
        /// The store's record of words already in `search_terms`.
        var known: KnownTerms?
        /// `fingerprint(_:)` of the ticket.
        var fingerprint: Int64

        /// An update's indexing: `text` is nil when the stored version is known to have the same fingerprint.
        struct Update: Sendable {
            var fingerprint: Int64
            var text: SearchText?
        }

        /// What the index rows are made of (subject, description, notes and whether each is
        /// internal, tags), hashed with `FNV1a`. The ticket ID is left out: it never changes on
        /// a stored ticket.
        static func fingerprint(_ ticket: Ticket) -> Int64 {
            var hash = FNV1a()
            func mix(_ text: String, _ kind: UInt64) {
                hash.mix(text.utf8)
                // A separator no UTF-8 text holds, and the part's kind: "ab"+"c" differs from "a"+"bc".
                hash.mix(0xFF)
                hash.mix(kind)
            }
            mix(ticket.subject, 1)
            mix(ticket.description, 2)
            for note in ticket.notes { mix(note.content, note.isInternal ? 3 : 4) }
            for tag in ticket.tags { mix(tag, 5) }
            return hash.value
        }

        init(_ ticket: Ticket, known: KnownTerms? = nil, fingerprint: Int64? = nil) {
            self.fingerprint = fingerprint ?? Self.fingerprint(ticket)
            publicRest = TextFolding.fold(
                ([ticket.subject, ticket.description] + ticket.notes.filter { !$0.isInternal }.map(\.content)).joined(separator: "\n"))
            internalText = TextFolding.fold(ticket.notes.filter(\.isInternal).map(\.content).joined(separator: "\n"))
            words = Set(TextFolding.words(ofFolded: publicRest).map(String.init))
            words.formUnion(TextFolding.words(ofFolded: internalText).map(String.init))
            self.known = known
        }
    }

    static func index(_ ticket: Ticket, rowid: Int64, _ db: Database, replacing: Bool, text: SearchText? = nil) throws {
        if replacing {
            try db.cachedStatement(sql: "DELETE FROM ticket_tags WHERE ticket_rowid = ?").execute(arguments: [rowid])
        }
        for tag in ticket.tags {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO ticket_tags (tenant_id, tag, ticket_rowid) VALUES (?, ?, ?)")
                .execute(arguments: [ticket.tenantId, tag, rowid])
        }
        let text = text ?? SearchText(ticket)
        let folded = TextFolding.fold(ticket.ticketId)
        let publicText = folded + "\n" + text.publicRest
        let internalText = text.internalText
        try addSearchTerms(text.words.union(TextFolding.words(ofFolded: folded).map(String.init)), db, known: text.known)
        // The full-text row last, at the end of the transaction (see `CommitHooks.atEnd`).
        try CommitHooks.atEnd(db) { db in
            if replacing { try db.cachedStatement(sql: "DELETE FROM ticket_search WHERE rowid = ?").execute(arguments: [rowid]) }
            try db.cachedStatement(sql: "INSERT INTO ticket_search (rowid, public_text, internal_text) VALUES (?, ?, ?)")
                .execute(arguments: [rowid, publicText, internalText])
        }
    }

    /// Records the words of indexed text in `search_terms` (see `match`); words seen before cost a lookup.
    /// With `known`, words this store has already committed are skipped (most of a ticket's
    /// words, once a tenant has a vocabulary), and the new ones are remembered after the commit.
    static func addSearchTerms(of texts: [String], _ db: Database) throws {
        var words = Set<String>()
        for text in texts { words.formUnion(TextFolding.words(ofFolded: text).map(String.init)) }
        try addSearchTerms(words, db)
    }

    static func addSearchTerms(_ words: Set<String>, _ db: Database, known: KnownTerms? = nil) throws {
        let new = known?.unknown(words) ?? Array(words)
        guard !new.isEmpty else { return }
        // Words are letters and digits only, so they need no escaping inside a JSON string.
        let list = "[\"" + new.joined(separator: "\",\"") + "\"]"
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO search_terms (term) SELECT value FROM json_each(?)").execute(arguments: [list])
        if let known { CommitHooks.afterCommit(db) { known.remember(new) } }
    }
}
