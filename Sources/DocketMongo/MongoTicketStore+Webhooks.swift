import DocketCore
import Foundation

extension MongoTicketStore {
    public func insertWebhook(_ webhook: Webhook) async throws {
        try await job { job in
            let doc = try Self.document(webhook, id: webhook.id)
            try job.collection(Collections.webhooks).insertOne(doc)
        }
    }

    public func webhook(tenantId: String, id: String) async throws -> Webhook? {
        try await job { job in
            try job.collection(Collections.webhooks).findOne(["_id": id, "tenantId": tenantId]).map { try Self.decode(Webhook.self, $0) }
        }
    }

    public func listWebhooks(tenantId: String) async throws -> [Webhook] {
        try await job { job in
            try job.collection(Collections.webhooks).find(["tenantId": tenantId], FindOptions(sort: [("createdAt", 1), ("_id", 1)]))
                .map { try Self.decode(Webhook.self, $0) }
        }
    }

    public func activeWebhooks() async throws -> [Webhook] {
        try await job { job in
            try job.collection(Collections.webhooks).find(["active": true], FindOptions(sort: [("createdAt", 1), ("_id", 1)]))
                .map { try Self.decode(Webhook.self, $0) }
        }
    }

    public func updateWebhook(_ webhook: Webhook, expectedVersion: Int, outbox: Outbox) async throws -> [LiveEvent]? {
        let base = try Self.document(webhook, id: webhook.id)
        let stored = try await job { [base] job in
            // One conditional write: the version read is the version replaced.
            try Self.replaceCarryingOutbox(
                job, collection: Collections.webhooks, filter: ["_id": webhook.id, "tenantId": webhook.tenantId, "version": expectedVersion],
                key: webhook.id, tenant: webhook.tenantId, base: base, outbox: outbox)
        }
        if let stored { outbox.onCommit?(stored) }
        return stored
    }

    public func deleteWebhook(tenantId: String, id: String) async throws -> Bool {
        try await job { job in
            guard try job.collection(Collections.webhooks).deleteMany(["_id": id, "tenantId": tenantId]) == 1 else { return false }
            _ = try job.collection(Collections.webhookDeliveries).deleteMany(["webhookId": id])
            return true
        }
    }

    public func recordDelivery(_ delivery: WebhookDelivery, retain: Int) async throws {
        try await job { job in
            guard try job.collection(Collections.webhooks).findOne(["_id": delivery.webhookId, "tenantId": delivery.tenantId]) != nil else { return }
            let doc = try Self.document(delivery, id: delivery.id)
            let log = try job.collection(Collections.webhookDeliveries)
            _ = try log.replaceOne(["_id": delivery.id], doc, upsert: true)
            // The endpoint's latest `retain` stay.
            let old = try log.find(
                ["webhookId": delivery.webhookId],
                FindOptions(sort: [("lastAttemptAt", -1), ("_id", -1)], skip: retain, limit: 1_000, projection: [("_id", 1)]))
            let ids = old.compactMap { $0["_id"]?.string }
            if !ids.isEmpty { _ = try log.deleteMany(["_id": ["$in": ids]]) }
        }
    }

    public func deliveries(tenantId: String, webhookId: String, limit: Int) async throws -> [WebhookDelivery] {
        try await job { job in
            try job.collection(Collections.webhookDeliveries).find(
                ["webhookId": webhookId, "tenantId": tenantId], FindOptions(sort: [("lastAttemptAt", -1), ("_id", -1)], limit: limit)
            ).map { try Self.decode(WebhookDelivery.self, $0) }
        }
    }
}
