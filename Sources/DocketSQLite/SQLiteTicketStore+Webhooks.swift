import DocketCore
import Foundation
import GRDB

extension SQLiteTicketStore {
    public func insertWebhook(_ webhook: Webhook) async throws {
        let doc = try codec.encode(webhook)
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO webhooks (id, tenant_id, active, version, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [webhook.id, webhook.tenantId, webhook.active, webhook.version, webhook.createdAt.millis, doc])
        }
    }

    public func webhook(tenantId: String, id: String) async throws -> Webhook? {
        let codec = codec
        return try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM webhooks WHERE id = ? AND tenant_id = ?"), arguments: [id, tenantId])
                .map { try codec.decode(Webhook.self, $0) }
        }
    }

    public func listWebhooks(tenantId: String) async throws -> [Webhook] {
        let codec = codec
        return try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT doc FROM webhooks WHERE tenant_id = ? ORDER BY created_at, id"), arguments: [tenantId])
                .map { try codec.decode(Webhook.self, $0) }
        }
    }

    public func activeWebhooks() async throws -> [Webhook] {
        let codec = codec
        return try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT doc FROM webhooks WHERE active = 1 ORDER BY created_at, id"))
                .map { try codec.decode(Webhook.self, $0) }
        }
    }

    public func updateWebhook(_ webhook: Webhook, expectedVersion: Int, outbox: Outbox) async throws -> [LiveEvent]? {
        let doc = try codec.encode(webhook)
        let codec = codec
        return try await write { db in
            try db.cachedStatement(sql: "UPDATE webhooks SET active = ?, version = ?, doc = ? WHERE id = ? AND tenant_id = ? AND version = ?")
                .execute(arguments: [webhook.active, webhook.version, doc, webhook.id, webhook.tenantId, expectedVersion])
            guard db.changesCount == 1 else { return nil }
            return try Self.write(outbox, db, codec)
        }
    }

    public func deleteWebhook(tenantId: String, id: String) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM webhooks WHERE id = ? AND tenant_id = ?").execute(arguments: [id, tenantId])
            guard db.changesCount == 1 else { return false }
            try db.cachedStatement(sql: "DELETE FROM webhook_deliveries WHERE webhook_id = ?").execute(arguments: [id])
            return true
        }
    }

    public func recordDelivery(_ delivery: WebhookDelivery, retain: Int) async throws {
        let doc = try codec.encode(delivery)
        try await write { db in
            // Only for an endpoint of that tenant.
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = ? AND tenant_id = ?)"),
                arguments: [delivery.webhookId, delivery.tenantId]) == true
            else { return }
            let seq = try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM webhook_deliveries WHERE webhook_id = ?"),
                arguments: [delivery.webhookId]) ?? 1
            try db.cachedStatement(sql: """
                INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, seq, doc) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, doc = excluded.doc
                """).execute(arguments: [delivery.id, delivery.tenantId, delivery.webhookId, seq, doc])
            try db.cachedStatement(sql: """
                DELETE FROM webhook_deliveries WHERE webhook_id = ? AND seq < (
                    SELECT MIN(seq) FROM (SELECT seq FROM webhook_deliveries WHERE webhook_id = ? ORDER BY seq DESC LIMIT ?))
                """).execute(arguments: [delivery.webhookId, delivery.webhookId, retain])
        }
    }

    public func deliveries(tenantId: String, webhookId: String, limit: Int) async throws -> [WebhookDelivery] {
        let codec = codec
        return try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT doc FROM webhook_deliveries WHERE webhook_id = ? AND tenant_id = ? ORDER BY seq DESC LIMIT ?"),
                arguments: [webhookId, tenantId, limit])
                .map { try codec.decode(WebhookDelivery.self, $0) }
        }
    }
}
