import GRDB

/// Versioned schema. Each migration runs once, in order, inside a transaction;
/// never edit a shipped migration, add a new one.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 tenants, counters, tickets, customers, agents") { db in
            try db.execute(sql: """
                CREATE TABLE tenants (
                    id TEXT PRIMARY KEY,
                    version INTEGER NOT NULL,
                    doc TEXT NOT NULL
                );
                CREATE TABLE counters (
                    tenant_id TEXT NOT NULL,
                    year INTEGER NOT NULL,
                    value INTEGER NOT NULL,
                    PRIMARY KEY (tenant_id, year)
                ) WITHOUT ROWID;
                CREATE TABLE tickets (
                    id INTEGER PRIMARY KEY,
                    tenant_id TEXT NOT NULL,
                    ticket_id TEXT NOT NULL,
                    numbering_year INTEGER NOT NULL,
                    number INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    priority TEXT NOT NULL,
                    priority_rank INTEGER NOT NULL,
                    category TEXT NOT NULL,
                    assigned_agent TEXT,
                    customer_id TEXT NOT NULL,
                    conversation_id TEXT,
                    escalated INTEGER NOT NULL,
                    resolved INTEGER NOT NULL,
                    first_response_seconds REAL,
                    first_response_met INTEGER,
                    resolution_met INTEGER,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    doc TEXT NOT NULL
                );
                CREATE UNIQUE INDEX tickets_by_ticket_id ON tickets(tenant_id, ticket_id);
                CREATE INDEX tickets_by_created ON tickets(tenant_id, created_at);
                CREATE INDEX tickets_by_updated ON tickets(tenant_id, updated_at);
                CREATE INDEX tickets_by_status ON tickets(tenant_id, status, priority_rank, created_at);
                CREATE INDEX tickets_by_customer ON tickets(tenant_id, customer_id, status);
                CREATE INDEX tickets_by_agent ON tickets(tenant_id, assigned_agent, status);
                CREATE INDEX tickets_by_category ON tickets(tenant_id, category, status);
                CREATE INDEX tickets_by_priority ON tickets(tenant_id, priority_rank, status);
                CREATE INDEX tickets_by_conversation ON tickets(tenant_id, conversation_id);
                CREATE TABLE ticket_tags (
                    tenant_id TEXT NOT NULL,
                    tag TEXT NOT NULL,
                    ticket_rowid INTEGER NOT NULL,
                    PRIMARY KEY (tenant_id, tag, ticket_rowid)
                ) WITHOUT ROWID;
                CREATE INDEX ticket_tags_by_ticket ON ticket_tags(ticket_rowid);
                CREATE VIRTUAL TABLE ticket_search USING fts5(
                    public_text, internal_text, tokenize = 'unicode61 remove_diacritics 2'
                );
                CREATE TABLE customers (
                    tenant_id TEXT NOT NULL,
                    id TEXT NOT NULL,
                    phone TEXT,
                    total_tickets INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    doc TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, id)
                );
                CREATE UNIQUE INDEX customers_by_phone ON customers(tenant_id, phone) WHERE phone IS NOT NULL;
                CREATE INDEX customers_by_created ON customers(tenant_id, created_at);
                CREATE TABLE agents (
                    tenant_id TEXT NOT NULL,
                    id TEXT NOT NULL,
                    email TEXT,
                    created_at INTEGER NOT NULL,
                    doc TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, id)
                );
                CREATE UNIQUE INDEX agents_by_email ON agents(tenant_id, email) WHERE email IS NOT NULL;
                CREATE INDEX agents_by_created ON agents(tenant_id, created_at);
                """)
        }
        migrator.registerMigration("v2 pack versions, recorded rule events") { db in
            try db.execute(sql: """
                CREATE TABLE pack_versions (
                    pack_id TEXT NOT NULL,
                    version TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    summary TEXT NOT NULL,
                    doc TEXT NOT NULL,
                    PRIMARY KEY (pack_id, version)
                ) WITHOUT ROWID;
                CREATE TABLE rule_events (
                    tenant_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    doc TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, seq)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3 api keys, assistant tool calls") { db in
            try db.execute(sql: """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    tenant_id TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    doc TEXT NOT NULL
                );
                CREATE INDEX api_keys_by_tenant ON api_keys(tenant_id, created_at);
                CREATE TABLE tool_calls (
                    tenant_id TEXT NOT NULL,
                    call_id TEXT NOT NULL,
                    output TEXT,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (tenant_id, call_id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v4 SLA timers") { db in
            try db.execute(sql: """
                ALTER TABLE tickets ADD COLUMN sla_next_at INTEGER;
                CREATE INDEX tickets_by_sla_next ON tickets(sla_next_at) WHERE sla_next_at IS NOT NULL;
                """)
        }
        migrator.registerMigration("v5 ticket messages, live event log") { db in
            try db.execute(sql: """
                CREATE TABLE ticket_messages (
                    tenant_id TEXT NOT NULL,
                    ticket_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    sender_type TEXT NOT NULL,
                    read_at INTEGER,
                    doc TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, ticket_id, seq)
                ) WITHOUT ROWID;
                CREATE INDEX ticket_messages_unread ON ticket_messages(tenant_id, ticket_id, sender_type) WHERE read_at IS NULL;
                CREATE TABLE live_event_counters (
                    tenant_id TEXT PRIMARY KEY,
                    last_id INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE live_events (
                    tenant_id TEXT NOT NULL,
                    id INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    ticket_id TEXT,
                    customer_id TEXT,
                    queue TEXT,
                    agent_id TEXT,
                    audience TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    origin TEXT NOT NULL,
                    data TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v6 rule audit apart from the ticket document") { db in
            // Lists never read the audit (up to 200 entries per ticket); one ticket's read adds it.
            try db.execute(sql: "ALTER TABLE tickets ADD COLUMN audit TEXT")
        }
        migrator.registerMigration("v7 tickets per agent and status") { db in
            // Kept with every ticket write, so the rules' "open tickets per agent" reads a few rows
            // instead of counting every assigned ticket.
            try db.execute(sql: """
                CREATE TABLE agent_load (
                    tenant_id TEXT NOT NULL,
                    agent_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (tenant_id, agent_id, status)
                ) WITHOUT ROWID;
                INSERT INTO agent_load (tenant_id, agent_id, status, count)
                    SELECT tenant_id, assigned_agent, status, COUNT(*) FROM tickets
                    WHERE assigned_agent IS NOT NULL GROUP BY tenant_id, assigned_agent, status;
                """)
        }
        migrator.registerMigration("v8 search terms") { db in
            // Every word of the full-text index, so a search term expands to the words it starts
            // (see `SQLiteTicketStore.match`). Filled from the indexed text already stored.
            try db.execute(sql: "CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID")
            let rows = try Row.fetchCursor(db, sql: "SELECT public_text, internal_text FROM ticket_search")
            while let row = try rows.next() {
                try SQLiteTicketStore.addSearchTerms(of: [row[0] ?? "", row[1] ?? ""], db)
            }
        }
        migrator.registerMigration("v9 open chat") { db in
            // At most one ticket per customer is their open chat (see `Ticket.openChatOf`):
            // concurrent first messages make one ticket, the others join it.
            try db.execute(sql: """
                ALTER TABLE tickets ADD COLUMN open_chat_of TEXT;
                CREATE UNIQUE INDEX tickets_open_chat ON tickets(tenant_id, open_chat_of) WHERE open_chat_of IS NOT NULL;
                """)
        }
        migrator.registerMigration("v10 console accounts, sessions, password links, widget secrets") { db in
            try db.execute(sql: """
                CREATE TABLE accounts (
                    tenant_id TEXT NOT NULL, email TEXT NOT NULL, agent_id TEXT NOT NULL, doc TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, email)
                );
                CREATE INDEX accounts_by_agent ON accounts(tenant_id, agent_id);
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, role TEXT NOT NULL, subject TEXT NOT NULL,
                    created_at INTEGER NOT NULL, renewed_at INTEGER NOT NULL, ended_at INTEGER
                );
                CREATE INDEX sessions_by_subject ON sessions(tenant_id, subject) WHERE ended_at IS NULL;
                CREATE TABLE password_links (
                    id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, used_at INTEGER, doc TEXT NOT NULL
                );
                CREATE TABLE widget_secrets (tenant_id TEXT PRIMARY KEY, secret TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("v11 ticket queue column") { db in
            // Lists filter by the queue a rule routed a ticket to.
            try db.execute(sql: """
                ALTER TABLE tickets ADD COLUMN queue TEXT;
                UPDATE tickets SET queue = json_extract(doc, '$.queue');
                CREATE INDEX tickets_by_queue ON tickets(tenant_id, queue, created_at) WHERE queue IS NOT NULL;
                """)
        }
        migrator.registerMigration("v12 rule event ticket column") { db in
            // A rule event's sequence number and ticket are columns (set when it is stored, in
            // the change's own transaction), so the document is inserted as encoded, unparsed.
            try db.execute(sql: "ALTER TABLE rule_events ADD COLUMN ticket_id TEXT")
        }
        migrator.registerMigration("v13 webhooks") { db in
            try db.execute(sql: """
                CREATE TABLE webhooks (
                    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, active INTEGER NOT NULL, version INTEGER NOT NULL,
                    created_at INTEGER NOT NULL, doc TEXT NOT NULL
                );
                CREATE INDEX webhooks_by_tenant ON webhooks(tenant_id, created_at);
                CREATE INDEX webhooks_active ON webhooks(created_at) WHERE active = 1;
                CREATE TABLE webhook_deliveries (
                    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, webhook_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL
                );
                CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, seq);
                """)
        }
        migrator.registerMigration("v14 a leaner full-text index") { db in
            // The full-text index keeps which column a word is in (customers must not match
            // internal notes) but not its positions (no search asks for a phrase or proximity:
            // terms, OR and prefixes only), and no column sizes (results are newest first, never
            // ranked): smaller segments, and no size row written per ticket.
            try db.execute(sql: """
                CREATE VIRTUAL TABLE ticket_search_v14 USING fts5(
                    public_text, internal_text, tokenize = 'unicode61 remove_diacritics 2', detail = column, columnsize = 0
                );
                INSERT INTO ticket_search_v14 (rowid, public_text, internal_text) SELECT rowid, public_text, internal_text FROM ticket_search;
                DROP TABLE ticket_search;
                ALTER TABLE ticket_search_v14 RENAME TO ticket_search;
                INSERT INTO ticket_search (ticket_search) VALUES ('optimize');
                """)
        }
        migrator.registerMigration("v15 index fingerprint") { db in
            // The fingerprint of what a ticket's tags and full-text rows were made from: an update
            // that leaves them alone (a claim, a status change) does not rewrite them. Rows from
            // before have none, and are rewritten on their next update.
            try db.execute(sql: "ALTER TABLE tickets ADD COLUMN index_hash INTEGER")
        }
        migrator.registerMigration("v16 rule audit in its own table") { db in
            // The audit (one JSON list per ticket, up to 200 entries) leaves the ticket row: with
            // it a ticket row was just over half a page, so each took a page of its own (47 % of
            // the tickets table unused), and every change rewrote it whether or not a rule added
            // an entry. `audit_hash` fingerprints the stored audit (NULL: not known, written on
            // the next change). Dropping the column rewrites the tickets table once.
            try db.execute(sql: """
                CREATE TABLE ticket_audits (ticket INTEGER PRIMARY KEY, audit TEXT NOT NULL);
                INSERT INTO ticket_audits (ticket, audit) SELECT id, audit FROM tickets WHERE audit IS NOT NULL;
                ALTER TABLE tickets DROP COLUMN audit;
                ALTER TABLE tickets ADD COLUMN audit_hash INTEGER;
                """)
        }
        migrator.registerMigration("v17 live event endpoint") { db in
            // A `rule_webhook` event names its endpoint in a column of its own, so delivery does
            // not read the event's JSON. Events stored before take it from their data.
            try db.execute(sql: """
                ALTER TABLE live_events ADD COLUMN endpoint TEXT;
                UPDATE live_events SET endpoint = json_extract(data, '$.endpoint') WHERE type = 'rule_webhook';
                """)
        }
        migrator.registerMigration("v18 rule events by ticket") { db in
            // A ticket's recorded events are read alone (replaying one ticket): every event
            // names its ticket in the column (changes before left it to the document).
            try db.execute(sql: """
                UPDATE rule_events SET ticket_id = json_extract(doc, '$.ticketId') WHERE ticket_id IS NULL;
                CREATE INDEX rule_events_by_ticket ON rule_events(tenant_id, ticket_id, seq);
                """)
        }
        migrator.registerMigration("v19 staged rollouts") { db in
            // One record per tenant: its latest staged rollout, read and written by key only.
            try db.execute(sql: "CREATE TABLE rollouts (tenant_id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID")
        }
        migrator.registerMigration("v20 agent presence") { db in
            // One record per agent (its sessions' leases), read per tenant and by key; the
            // sweeper finds the records whose earliest lease ran out by `next_expiry`; routing
            // reads `online_until` and `away` alone (no document decoded).
            // Tickets waiting for an agent to come online are found per tenant, oldest first,
            // by a partial index that holds only them.
            try db.execute(sql: """
                CREATE TABLE presence (
                    tenant_id TEXT NOT NULL, agent_id TEXT NOT NULL, next_expiry INTEGER, online_until INTEGER,
                    away INTEGER NOT NULL, doc TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, agent_id)
                ) WITHOUT ROWID;
                CREATE INDEX presence_by_expiry ON presence(next_expiry) WHERE next_expiry IS NOT NULL;
                ALTER TABLE tickets ADD COLUMN waiting_since INTEGER;
                CREATE INDEX tickets_waiting ON tickets(tenant_id, waiting_since) WHERE waiting_since IS NOT NULL;
                """)
        }
        migrator.registerMigration("v21 report figures") { db in
            // The kept report figures (`ReportDelta`): one row per tenant, dimension, hour and
            // value, and the same per tenant-local day (a year's report by agent reads 7,300 day
            // rows, not 175,000 hour rows), added to in each change's transaction. Histograms:
            // one row per hour or day, value and duration, its bucket counts packed in a blob
            // (a day's durations of one agent are one row, not 60). Hours and days keep the same figures.
            let figures = """
                created INTEGER NOT NULL DEFAULT 0, resolved INTEGER NOT NULL DEFAULT 0,
                opened INTEGER NOT NULL DEFAULT 0, open_now INTEGER NOT NULL DEFAULT 0, first_responses INTEGER NOT NULL DEFAULT 0,
                first_response_seconds INTEGER NOT NULL DEFAULT 0, first_response_met INTEGER NOT NULL DEFAULT 0,
                first_response_measured INTEGER NOT NULL DEFAULT 0, next_replies INTEGER NOT NULL DEFAULT 0,
                next_reply_seconds INTEGER NOT NULL DEFAULT 0, next_reply_met INTEGER NOT NULL DEFAULT 0,
                next_reply_measured INTEGER NOT NULL DEFAULT 0, resolutions INTEGER NOT NULL DEFAULT 0,
                resolution_seconds INTEGER NOT NULL DEFAULT 0, resolution_met INTEGER NOT NULL DEFAULT 0,
                resolution_measured INTEGER NOT NULL DEFAULT 0, breaches INTEGER NOT NULL DEFAULT 0,
                ratings INTEGER NOT NULL DEFAULT 0, rating_sum INTEGER NOT NULL DEFAULT 0,
                rating1 INTEGER NOT NULL DEFAULT 0, rating2 INTEGER NOT NULL DEFAULT 0,
                rating3 INTEGER NOT NULL DEFAULT 0, rating4 INTEGER NOT NULL DEFAULT 0,
                rating5 INTEGER NOT NULL DEFAULT 0
                """
            try db.execute(sql: """
                CREATE TABLE report_hours (
                    tenant_id TEXT NOT NULL, dim TEXT NOT NULL, hour INTEGER NOT NULL, value TEXT NOT NULL, day INTEGER NOT NULL,
                    \(figures),
                    PRIMARY KEY (tenant_id, dim, hour, value)
                ) WITHOUT ROWID;
                CREATE TABLE report_days (
                    tenant_id TEXT NOT NULL, dim TEXT NOT NULL, day INTEGER NOT NULL, value TEXT NOT NULL,
                    \(figures),
                    PRIMARY KEY (tenant_id, dim, day, value)
                ) WITHOUT ROWID;
                CREATE TABLE report_histograms (
                    tenant_id TEXT NOT NULL, dim TEXT NOT NULL, grain INTEGER NOT NULL, start INTEGER NOT NULL, value TEXT NOT NULL,
                    duration TEXT NOT NULL, counts BLOB NOT NULL,
                    PRIMARY KEY (tenant_id, dim, grain, start, value, duration)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v22 drill-down filters") { db in
            // A report's bucket opens the tickets behind it: by channel, by when they were
            // resolved and by when they were rated. Only resolved and rated tickets are in
            // those indexes (partial), so a create writes none of them.
            try db.execute(sql: """
                ALTER TABLE tickets ADD COLUMN source TEXT;
                ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;
                ALTER TABLE tickets ADD COLUMN rated_at INTEGER;
                UPDATE tickets SET source = json_extract(doc, '$.source'),
                    resolved_at = json_extract(doc, '$.resolution.resolvedAt'),
                    rated_at = json_extract(doc, '$.customerFeedback.submittedAt');
                CREATE INDEX tickets_resolved ON tickets(tenant_id, resolved_at) WHERE resolved_at IS NOT NULL;
                CREATE INDEX tickets_rated ON tickets(tenant_id, rated_at) WHERE rated_at IS NOT NULL;
                """)
        }
        migrator.registerMigration("v23 rule and summary figures") { db in
            // The rules report: per pack version (and per failing rule) each hour and day; and
            // what `stats/summary` answers from the figures. A rebuild fills the summary's in.
            for table in ["report_hours", "report_days"] {
                for column in [
                    "rule_evaluations", "rule_errors", "rule_budget_overruns", "rule_actions", "rule_rejected", "rule_micros", "escalated",
                    "resolution_recorded", "first_responded", "first_response_wall_millis", "first_response_flag_met",
                    "first_response_flag_measured", "resolution_flag_met", "resolution_flag_measured",
                ] {
                    try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(column) INTEGER NOT NULL DEFAULT 0")
                }
            }
            // Tenants whose tickets came before: their summary figures wait for a rebuild.
            try db.execute(sql: """
                CREATE TABLE report_stale (tenant_id TEXT PRIMARY KEY) WITHOUT ROWID;
                INSERT INTO report_stale SELECT DISTINCT tenant_id FROM tickets;
                """)
        }
        migrator.registerMigration("v24 conversation index holds chat tickets only") { db in
            // Only chat tickets have a conversation, and it is only ever looked up by value
            // (`conversation_id = ?`, which implies IS NOT NULL): a ticket opened any other way
            // no longer writes an entry (a page per group of creates).
            try db.execute(sql: """
                DROP INDEX tickets_by_conversation;
                CREATE INDEX tickets_by_conversation ON tickets(tenant_id, conversation_id) WHERE conversation_id IS NOT NULL;
                """)
        }
        migrator.registerMigration("v25 customers by e-mail") { db in
            // A mail's sender is matched to a customer by address, case aside. The key is
            // computed from the document (a virtual column: nothing to backfill, nothing stored
            // beside the index); customers without an e-mail leave the index alone.
            try db.execute(sql: """
                ALTER TABLE customers ADD COLUMN email_key TEXT GENERATED ALWAYS AS (lower(json_extract(doc, '$.email'))) VIRTUAL;
                CREATE INDEX customers_by_email ON customers(tenant_id, email_key) WHERE email_key IS NOT NULL;
                """)
        }
        migrator.registerMigration("v26 mail outlets") { db in
            // Each tenant's mail out: its place in the event log, lease and retry, one versioned row.
            try db.execute(sql: """
                CREATE TABLE mail_outlets (tenant_id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("v27 mail quarantine") { db in
            // Mails that could not be read, newest first per tenant; the bytes apart from the
            // record, so a list reads none of them.
            try db.execute(sql: """
                CREATE TABLE mail_quarantine (
                    tenant_id TEXT NOT NULL, id TEXT NOT NULL, received_at INTEGER NOT NULL, doc TEXT NOT NULL, raw TEXT,
                    PRIMARY KEY (tenant_id, id)
                );
                CREATE INDEX mail_quarantine_by_time ON mail_quarantine(tenant_id, received_at);
                """)
        }
        migrator.registerMigration("v28 mailbox states") { db in
            // Where each IMAP mailbox's fetch stands: one versioned row per tenant and mailbox.
            try db.execute(sql: """
                CREATE TABLE mailbox_states (
                    tenant_id TEXT NOT NULL, mailbox_id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, mailbox_id)
                );
                """)
        }
        migrator.registerMigration("v29 files") { db in
            // Files customers sent (a mail's attachments): the record and the bytes, per tenant.
            try db.execute(sql: """
                CREATE TABLE files (
                    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, data BLOB NOT NULL,
                    PRIMARY KEY (tenant_id, id)
                );
                """)
        }
        // v30: the bytes each tenant's files hold, counted as they are stored (the quota).
        migrator.registerMigration("v30 file usage") { db in
            try db.execute(sql: """
                CREATE TABLE file_usage (tenant_id TEXT PRIMARY KEY, bytes INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO file_usage (tenant_id, bytes) SELECT tenant_id, SUM(length(data)) FROM files GROUP BY tenant_id;
                """)
        }
        migrator.registerMigration("v31 recorded rule events in a rowid table") { db in
            // Recorded rule events are appended and read in order. As a WITHOUT ROWID table their
            // rows lived in an index b-tree, where a row over ~1,000 bytes — any event whose
            // ticket snapshot holds a description of a few hundred characters — spills onto an
            // overflow page of its own. A rowid table keeps rows up to ~4,000 bytes in its leaves
            // and appends a new page when the last is full; the (tenant, sequence) key becomes a
            // small unique index. (The live event log keeps its layout: its rows are a few hundred
            // bytes, and the index a rowid table needs cost it more than it saved.)
            try db.execute(sql: """
                CREATE TABLE rule_events_rows (
                    tenant_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    ticket_id TEXT,
                    doc TEXT NOT NULL
                );
                INSERT INTO rule_events_rows (tenant_id, seq, ticket_id, doc)
                    SELECT tenant_id, seq, ticket_id, doc FROM rule_events ORDER BY tenant_id, seq;
                DROP TABLE rule_events;
                ALTER TABLE rule_events_rows RENAME TO rule_events;
                CREATE UNIQUE INDEX rule_events_by_seq ON rule_events(tenant_id, seq);
                CREATE INDEX rule_events_by_ticket ON rule_events(tenant_id, ticket_id, seq);
                """)
        }
        return migrator
    }
}
