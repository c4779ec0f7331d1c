import DocketCore
import Foundation
import GRDB

extension SQLiteTicketStore {
    public func customer(tenantId: String, phone: String) async throws -> Customer? {
        let codec = codec
        return try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT doc, total_tickets FROM customers WHERE tenant_id = ? AND phone = ?"),
                arguments: [tenantId, phone])
                .map { try Self.customer(from: $0, codec) }
        }
    }

    public func customer(tenantId: String, email: String) async throws -> Customer? {
        let codec = codec
        return try await read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT doc, total_tickets FROM customers WHERE tenant_id = ? AND email_key = ? ORDER BY created_at, id LIMIT 1
                    """),
                arguments: [tenantId, email.lowercased()]
            ).map { try Self.customer(from: $0, codec) }
        }
    }

    public func insertApiKey(_ key: ApiKey) async throws {
        let doc = try codec.encode(key)
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO api_keys (id, tenant_id, created_at, doc) VALUES (?, ?, ?, ?)")
                .execute(arguments: [key.id, key.tenantId, key.createdAt.millis, doc])
        }
    }

    public func apiKey(id: String) async throws -> ApiKey? {
        let codec = codec
        return try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM api_keys WHERE id = ?"),
                arguments: [id]).map { try codec.decode(ApiKey.self, $0) }
        }
    }

    public func listApiKeys(tenantId: String) async throws -> [ApiKey] {
        let codec = codec
        return try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT doc FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id"),
                arguments: [tenantId])
                .map { try codec.decode(ApiKey.self, $0) }
        }
    }

    public func revokeApiKey(tenantId: String, id: String, by: String, at: Date) async throws -> Bool {
        let codec = codec
        return try await write { db in
            guard let doc = try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM api_keys WHERE id = ? AND tenant_id = ?"),
                arguments: [id, tenantId])
            else { return false }
            var key = try codec.decode(ApiKey.self, doc)
            guard key.revokedAt == nil else { return false }
            key.revokedAt = at
            key.revokedBy = by
            try db.cachedStatement(sql: "UPDATE api_keys SET doc = ? WHERE id = ?").execute(arguments: [try codec.encode(key), id])
            return true
        }
    }

    public func claimToolCall(tenantId: String, callId: String, at: Date) async throws -> ToolCallRecord? {
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO tool_calls (tenant_id, call_id, output, created_at) VALUES (?, ?, NULL, ?) ON CONFLICT DO NOTHING")
                .execute(arguments: [tenantId, callId, at.millis])
            if db.changesCount == 1 { return nil }
            return try Self.toolCall(db, tenantId: tenantId, callId: callId)
        }
    }

    public func toolCall(tenantId: String, callId: String) async throws -> ToolCallRecord? {
        try await read { db in try Self.toolCall(db, tenantId: tenantId, callId: callId) }
    }

    static func toolCall(_ db: Database, tenantId: String, callId: String) throws -> ToolCallRecord? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT output, created_at FROM tool_calls WHERE tenant_id = ? AND call_id = ?"),
            arguments: [tenantId, callId])
        else { return nil }
        return ToolCallRecord(
            tenantId: tenantId, callId: callId, output: row["output"],
            createdAt: Date(timeIntervalSince1970: Double(row["created_at"] as Int64? ?? 0) / 1000))
    }

    public func completeToolCall(tenantId: String, callId: String, output: String) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE tool_calls SET output = ? WHERE tenant_id = ? AND call_id = ?")
                .execute(arguments: [output, tenantId, callId])
        }
    }
}
