import DocketCore
import Foundation
import GRDB

extension SQLiteTicketStore {
    public func saveAccount(_ account: Account) async throws {
        let doc = try codec.encode(account)
        try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO accounts (tenant_id, email, agent_id, doc) VALUES (?, ?, ?, ?)
                ON CONFLICT (tenant_id, email) DO UPDATE SET agent_id = excluded.agent_id, doc = excluded.doc
                """).execute(arguments: [account.tenantId, account.email, account.agentId, doc])
        }
    }

    public func account(tenantId: String, email: String) async throws -> Account? {
        let codec = codec
        return try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM accounts WHERE tenant_id = ? AND email = ?"),
                arguments: [tenantId, email]).map { try codec.decode(Account.self, $0) }
        }
    }

    public func account(tenantId: String, agentId: String) async throws -> Account? {
        let codec = codec
        return try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT doc FROM accounts WHERE tenant_id = ? AND agent_id = ?"),
                arguments: [tenantId, agentId]).map { try codec.decode(Account.self, $0) }.min { $0.createdAt < $1.createdAt }
        }
    }

    public func insertSession(_ session: Session) async throws {
        try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO sessions (id, tenant_id, role, subject, created_at, renewed_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    session.id, session.tenantId, session.role.rawValue, session.subject, session.createdAt.millis,
                    session.renewedAt.millis, session.endedAt?.millis,
                ])
        }
    }

    public func session(id: String) async throws -> Session? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM sessions WHERE id = ?"), arguments: [id]),
                let role = Role(rawValue: row["role"])
            else { return nil }
            let ended: Int64? = row["ended_at"]
            return Session(
                id: row["id"], tenantId: row["tenant_id"], role: role, subject: row["subject"],
                createdAt: Date(millis: row["created_at"]), renewedAt: Date(millis: row["renewed_at"]), endedAt: ended.map(Date.init(millis:)))
        }
    }

    public func renewSession(id: String, at: Date) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE sessions SET renewed_at = max(renewed_at, ?) WHERE id = ? AND ended_at IS NULL")
                .execute(arguments: [at.millis, id])
            return db.changesCount == 1
        }
    }

    public func endSession(id: String, at: Date) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL").execute(arguments: [at.millis, id])
            return db.changesCount == 1
        }
    }

    public func endSessions(tenantId: String, subject: String, at: Date) async throws -> Int {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE sessions SET ended_at = ? WHERE tenant_id = ? AND subject = ? AND ended_at IS NULL")
                .execute(arguments: [at.millis, tenantId, subject])
            return db.changesCount
        }
    }

    public func insertPasswordLink(_ link: PasswordLink) async throws {
        let doc = try codec.encode(link)
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO password_links (id, expires_at, used_at, doc) VALUES (?, ?, NULL, ?)")
                .execute(arguments: [link.id, link.expiresAt.millis, doc])
        }
    }

    public func consumePasswordLink(id: String, at: Date) async throws -> PasswordLink? {
        let codec = codec
        return try await write { db in
            try db.cachedStatement(sql: "UPDATE password_links SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?")
                .execute(arguments: [at.millis, id, at.millis])
            guard db.changesCount == 1,
                let doc = try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM password_links WHERE id = ?"), arguments: [id])
            else { return nil }
            var link = try codec.decode(PasswordLink.self, doc)
            link.usedAt = at
            return link
        }
    }

    public func widgetSecret(tenantId: String) async throws -> String? {
        try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT secret FROM widget_secrets WHERE tenant_id = ?"), arguments: [tenantId])
        }
    }

    public func setWidgetSecret(tenantId: String, secret: String) async throws {
        try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO widget_secrets (tenant_id, secret) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET secret = excluded.secret
                """).execute(arguments: [tenantId, secret])
        }
    }
}
