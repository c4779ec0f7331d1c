import Foundation

/// Tenants' webhook endpoints and their delivery logs.
public protocol WebhookStore: Sendable {
    /// Stores a new endpoint; `.conflict` if the id exists.
    func insertWebhook(_ webhook: Webhook) async throws
    func webhook(tenantId: String, id: String) async throws -> Webhook?
    func listWebhooks(tenantId: String) async throws -> [Webhook]
    /// Every active endpoint of every tenant: the dispatcher's work list.
    func activeWebhooks() async throws -> [Webhook]
    /// Replaces the endpoint if its stored version is `expectedVersion`, storing `outbox` (what
    /// the change announces) in the same write; answers its live events with their ids, or nil
    /// (nothing written) when the version differs or the endpoint is gone.
    func updateWebhook(_ webhook: Webhook, expectedVersion: Int, outbox: Outbox) async throws -> [LiveEvent]?
    /// Removes the endpoint and its log; false when the tenant has no such endpoint.
    func deleteWebhook(tenantId: String, id: String) async throws -> Bool
    /// Records a delivery (replacing the entry of the same id) and keeps the endpoint's latest `retain`.
    func recordDelivery(_ delivery: WebhookDelivery, retain: Int) async throws
    /// The endpoint's log, the latest attempts first.
    func deliveries(tenantId: String, webhookId: String, limit: Int) async throws -> [WebhookDelivery]
}

extension WebhookStore {
    /// Replaces the endpoint if its stored version is `expectedVersion` (a change that announces
    /// nothing); false otherwise (or gone).
    public func updateWebhook(_ webhook: Webhook, expectedVersion: Int) async throws -> Bool {
        try await updateWebhook(webhook, expectedVersion: expectedVersion, outbox: .empty) != nil
    }
}
