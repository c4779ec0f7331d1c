import DocketCore
import Foundation

extension MemoryTicketStore {
    public func insertWebhook(_ webhook: Webhook) async throws {
        try state.withLock { state in
            guard state.webhooks[webhook.id] == nil else { throw DocketError(.conflict, "webhook '\(webhook.id)' already exists") }
            state.webhooks[webhook.id] = webhook
        }
    }

    public func webhook(tenantId: String, id: String) async throws -> Webhook? {
        state.withLock { $0.webhooks[id].flatMap { $0.tenantId == tenantId ? $0 : nil } }
    }

    public func listWebhooks(tenantId: String) async throws -> [Webhook] {
        state.withLock { $0.webhooks.values.filter { $0.tenantId == tenantId }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }
    }

    public func activeWebhooks() async throws -> [Webhook] {
        state.withLock { $0.webhooks.values.filter(\.active).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }
    }

    public func updateWebhook(_ webhook: Webhook, expectedVersion: Int, outbox: Outbox) async throws -> [LiveEvent]? {
        state.withLock { state in
            guard let current = state.webhooks[webhook.id], current.tenantId == webhook.tenantId, current.version == expectedVersion else { return nil }
            state.webhooks[webhook.id] = webhook
            return state.write(outbox)
        }
    }

    public func deleteWebhook(tenantId: String, id: String) async throws -> Bool {
        state.withLock { state in
            guard state.webhooks[id]?.tenantId == tenantId else { return false }
            state.webhooks[id] = nil
            state.deliveries[id] = nil
            return true
        }
    }

    public func recordDelivery(_ delivery: WebhookDelivery, retain: Int) async throws {
        state.withLock { state in
            guard state.webhooks[delivery.webhookId]?.tenantId == delivery.tenantId else { return }
            var log = state.deliveries[delivery.webhookId] ?? []
            log.removeAll { $0.id == delivery.id }
            log.append(delivery)
            if log.count > retain { log.removeFirst(log.count - retain) }
            state.deliveries[delivery.webhookId] = log
        }
    }

    public func deliveries(tenantId: String, webhookId: String, limit: Int) async throws -> [WebhookDelivery] {
        state.withLock { state in
            guard state.webhooks[webhookId]?.tenantId == tenantId else { return [] }
            return Array((state.deliveries[webhookId] ?? []).reversed().prefix(limit))
        }
    }
}

extension MemoryTicketStore {
    public func rollout(tenantId: String) async throws -> PackRollout? {
        state.withLock { $0.rollouts[tenantId] }
    }

    public func updateRollout(tenantId: String, _ change: @escaping @Sendable (PackRollout?) -> PackRollout?) async throws -> PackRollout? {
        state.withLock { state in
            let current = state.rollouts[tenantId]
            guard var next = change(current) else { return current }
            next.revision = (current?.revision ?? 0) + 1
            state.rollouts[tenantId] = next
            return next
        }
    }
}

extension MemoryTicketStore {
    public func presences(tenantId: String) async throws -> [AgentPresence] {
        state.withLock { Array(($0.presence[tenantId] ?? [:]).values) }
    }

    public func updatePresence(
        tenantId: String, agentId: String, _ change: @escaping @Sendable (AgentPresence?) -> AgentPresence?
    ) async throws -> (before: AgentPresence?, after: AgentPresence?) {
        state.withLock { state in
            let current = state.presence[tenantId]?[agentId]
            guard var next = change(current) else { return (current, current) }
            next.revision = (current?.revision ?? 0) + 1
            state.presence[tenantId, default: [:]][agentId] = next
            return (current, next)
        }
    }

    public func presenceMarks(tenantId: String) async throws -> [String: PresenceMark] {
        state.withLock { ($0.presence[tenantId] ?? [:]).mapValues(\.mark) }
    }

    public func expiredPresences(now: Date, limit: Int) async throws -> [(tenantId: String, agentId: String)] {
        state.withLock { state in
            Array(state.presence.values.flatMap(\.values).filter { ($0.nextExpiry ?? .distantFuture) <= now }
                .sorted { $0.nextExpiry! < $1.nextExpiry! }.prefix(limit).map { ($0.tenantId, $0.agentId) })
        }
    }
}
