import DocketCore
import Foundation
import GRDB

extension SQLiteTicketStore {
    public func listTenants(page: Int, limit: Int) async throws -> Page<Tenant> {
        let codec = codec
        return try await read { db in
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM tenants")) ?? 0
            let docs = try String.fetchAll(db.cachedStatement(sql: "SELECT doc FROM tenants ORDER BY id LIMIT ? OFFSET ?"),
                arguments: [limit, (page - 1) * limit])
            return Page(items: try docs.map { try codec.decode(Tenant.self, $0) }, page: page, limit: limit, total: total)
        }
    }

    public func insertPackVersion(_ version: PackVersion) async throws {
        let doc = try codec.encode(version)
        let summary = try codec.encode(version.summary)
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO pack_versions (pack_id, version, created_at, summary, doc) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [version.summary.packId, version.summary.version, version.summary.createdAt.millis, summary, doc])
        }
    }

    public func packVersion(packId: String, version: String) async throws -> PackVersion? {
        let codec = codec
        return try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM pack_versions WHERE pack_id = ? AND version = ?"),
                arguments: [packId, version])
                .map { try codec.decode(PackVersion.self, $0) }
        }
    }

    public func packVersionSummaries() async throws -> [PackVersionSummary] {
        let codec = codec
        return try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT summary FROM pack_versions ORDER BY pack_id, created_at"))
                .map { try codec.decode(PackVersionSummary.self, $0) }
        }
    }

    /// Recorded rule events (tenant, ticket, encoded document) take their tenant's next sequence
    /// numbers, in the caller's transaction; each tenant keeps the latest ones. `ticketId`, when
    /// given, is every event's ticket (a creation's, which its documents do not know yet).
    static func appendRules(_ docs: [(tenant: String, ticket: String, doc: String)], _ db: Database, ticketId: String? = nil) throws {
        guard !docs.isEmpty else { return }
        let keep = Int64(RecordedRuleEvent.retainedPerTenant)
        var last: [String: Int64] = [:]
        for (tenant, ticket, doc) in docs {
            let seq = try last[tenant].map { $0 + 1 }
                ?? (Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM rule_events WHERE tenant_id = ?"),
                    arguments: [tenant]) ?? 0) + 1
            last[tenant] = seq
            // Sequence number and ticket are columns: the document goes in as encoded (parsing
            // a whole ticket snapshot in SQL would hold the single writer).
            try db.cachedStatement(sql: "INSERT INTO rule_events (tenant_id, seq, ticket_id, doc) VALUES (?, ?, ?, ?)")
                .execute(arguments: [tenant, seq, ticketId ?? ticket, doc])
        }
        for (tenant, seq) in last where seq > keep {
            try db.cachedStatement(sql: "DELETE FROM rule_events WHERE tenant_id = ? AND seq <= ?")
                .execute(arguments: [tenant, seq - keep])
        }
    }

    public func ticketRuleEvents(tenantId: String, ticketId: String, limit: Int) async throws -> [RecordedRuleEvent] {
        let codec = codec
        return try await read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT seq, ticket_id, doc FROM rule_events WHERE tenant_id = ? AND ticket_id = ? ORDER BY seq DESC LIMIT ?"),
                arguments: [tenantId, ticketId, limit]
            ).map { row in
                var event = try codec.decode(RecordedRuleEvent.self, row["doc"])
                event.seq = row["seq"]
                event.ticketId = ticketId
                return event
            }
        }
    }

    public func recentRuleEvents(tenantId: String, limit: Int) async throws -> [RecordedRuleEvent] {
        let codec = codec
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, ticket_id, doc FROM rule_events WHERE tenant_id = ? ORDER BY seq DESC LIMIT ?"),
                arguments: [tenantId, limit]
            ).map { row in
                var event = try codec.decode(RecordedRuleEvent.self, row["doc"])
                event.seq = row["seq"]
                if let ticketId: String = row["ticket_id"] { event.ticketId = ticketId }
                return event
            }
        }
    }
}

extension SQLiteTicketStore {
    public func rollout(tenantId: String) async throws -> PackRollout? {
        let codec = codec
        return try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM rollouts WHERE tenant_id = ?"), arguments: [tenantId])
                .map { try codec.decode(PackRollout.self, $0) }
        }
    }

    /// One write transaction: the read, `change` and the write cannot interleave with another's.
    public func updateRollout(tenantId: String, _ change: @escaping @Sendable (PackRollout?) -> PackRollout?) async throws -> PackRollout? {
        let codec = codec
        return try await write { db in
            let current = try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM rollouts WHERE tenant_id = ?"), arguments: [tenantId])
                .map { try codec.decode(PackRollout.self, $0) }
            guard var next = change(current) else { return current }
            next.revision = (current?.revision ?? 0) + 1
            try db.cachedStatement(sql: "INSERT INTO rollouts (tenant_id, doc) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET doc = excluded.doc")
                .execute(arguments: [tenantId, try codec.encode(next)])
            return next
        }
    }
}

extension SQLiteTicketStore {
    public func presences(tenantId: String) async throws -> [AgentPresence] {
        let codec = codec
        return try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT doc FROM presence WHERE tenant_id = ?"), arguments: [tenantId])
                .map { try codec.decode(AgentPresence.self, $0) }
        }
    }

    /// One write transaction: the read, `change` and the write cannot interleave with another's.
    public func updatePresence(
        tenantId: String, agentId: String, _ change: @escaping @Sendable (AgentPresence?) -> AgentPresence?
    ) async throws -> (before: AgentPresence?, after: AgentPresence?) {
        let codec = codec
        return try await write { db in
            let current = try String.fetchOne(
                db.cachedStatement(sql: "SELECT doc FROM presence WHERE tenant_id = ? AND agent_id = ?"), arguments: [tenantId, agentId]
            ).map { try codec.decode(AgentPresence.self, $0) }
            guard var next = change(current) else { return (current, current) }
            next.revision = (current?.revision ?? 0) + 1
            try db.cachedStatement(sql: """
                    INSERT INTO presence (tenant_id, agent_id, next_expiry, online_until, away, doc) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (tenant_id, agent_id) DO UPDATE SET next_expiry = excluded.next_expiry,
                        online_until = excluded.online_until, away = excluded.away, doc = excluded.doc
                    """).execute(arguments: [tenantId, agentId, next.nextExpiry?.millis, next.onlineUntil?.millis, next.away, try codec.encode(next)])
            return (current, next)
        }
    }

    public func presenceMarks(tenantId: String) async throws -> [String: PresenceMark] {
        try await read { db in try Self.presenceMarks(db, tenantId: tenantId) }
    }

    static func presenceMarks(_ db: Database, tenantId: String) throws -> [String: PresenceMark] {
        var marks: [String: PresenceMark] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT agent_id, online_until, away FROM presence WHERE tenant_id = ?"), arguments: [tenantId]) {
            marks[row[0]] = PresenceMark(onlineUntil: (row[1] as Int64?).map { Date(timeIntervalSince1970: Double($0) / 1000) }, away: row[2])
        }
        return marks
    }

    public func expiredPresences(now: Date, limit: Int) async throws -> [(tenantId: String, agentId: String)] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT tenant_id, agent_id FROM presence WHERE next_expiry IS NOT NULL AND next_expiry <= ? ORDER BY next_expiry LIMIT ?
                    """), arguments: [now.millis, limit]
            ).map { (tenantId: $0[0] as String, agentId: $0[1] as String) }
        }
    }
}
