import Foundation

/// Tenant admins' webhook endpoints: register, change, remove, read the delivery log, redeliver.
public struct WebhookService: UseCase {
    public let core: ServiceCore

    public init(core: ServiceCore) { self.core = core }

    public func create(_ principal: Principal, _ input: WebhookInput) async throws -> (webhook: WebhookView, secret: String) {
        try Self.requireAdmin(principal)
        let tenant = try await tenant(for: principal)
        let url = try checkURL(input.url)
        let events = try Self.checkEvents(input.events ?? [])
        guard try await stores.webhooks.listWebhooks(tenantId: tenant.id).count < Webhook.maxPerTenant else {
            throw DocketError(.conflict, "a workspace has at most \(Webhook.maxPerTenant) webhooks; remove one first")
        }
        // From now on: the log's latest event is where it starts.
        let latest = try await live.latestId(tenantId: tenant.id)
        var webhook = Webhook(
            id: IdentifierGenerator.make(), tenantId: tenant.id, url: url, events: events, secret: Self.secret(), active: input.active ?? true,
            cursor: latest, createdAt: clock.now(), createdBy: principal.subject)
        webhook.updatedAt = webhook.createdAt
        try await stores.webhooks.insertWebhook(webhook)
        return (webhook.view, webhook.secret)
    }

    public func list(_ principal: Principal) async throws -> [WebhookView] {
        try Self.requireAdmin(principal)
        return try await stores.webhooks.listWebhooks(tenantId: principal.tenantId).map(\.view)
    }

    public func webhook(_ principal: Principal, _ id: String) async throws -> WebhookView {
        try Self.requireAdmin(principal)
        return try await load(principal, id).view
    }

    /// Changes the URL, the events or the active flag. Turning a disabled endpoint back on
    /// resumes it where it stopped (what the log still keeps of what it missed goes first).
    public func update(_ principal: Principal, _ id: String, _ input: WebhookInput) async throws -> WebhookView {
        try Self.requireAdmin(principal)
        for _ in 0..<ServiceCore.maxAttempts {
            var webhook = try await load(principal, id)
            let expected = webhook.version
            if let url = input.url { webhook.url = try checkURL(url) }
            if let events = input.events { webhook.events = try Self.checkEvents(events) }
            if let active = input.active, active != webhook.active {
                webhook.active = active
                if active {
                    webhook.disabledReason = nil
                    webhook.retry = nil
                }
            }
            webhook.updatedAt = clock.now()
            webhook.version = expected + 1
            if try await stores.webhooks.updateWebhook(webhook, expectedVersion: expected) { return webhook.view }
        }
        throw DocketError(.conflict, "webhook '\(id)' is being changed by others; retry")
    }

    public func delete(_ principal: Principal, _ id: String) async throws {
        try Self.requireAdmin(principal)
        guard try await stores.webhooks.deleteWebhook(tenantId: principal.tenantId, id: id) else { throw DocketError.notFound("webhook", id) }
    }

    public func deliveries(_ principal: Principal, _ id: String, limit: Int) async throws -> [WebhookDelivery] {
        try Self.requireAdmin(principal)
        _ = try await load(principal, id)
        return try await stores.webhooks.deliveries(tenantId: principal.tenantId, webhookId: id, limit: limit)
    }

    /// Sends a logged delivery again, now, under the same delivery id; answers the new log entry.
    public func redeliver(_ principal: Principal, _ id: String, deliveryId: String) async throws -> WebhookDelivery {
        try Self.requireAdmin(principal)
        let webhook = try await load(principal, id)
        guard let sender = core.webhookSender else { throw DocketError(.conflict, "webhook delivery is off on this server") }
        guard var delivery = try await stores.webhooks.deliveries(tenantId: principal.tenantId, webhookId: id, limit: Webhook.deliveriesKept)
            .first(where: { $0.id == deliveryId })
        else { throw DocketError.notFound("delivery", deliveryId) }
        guard let event = try await stores.liveEvents.liveEvents(tenantId: principal.tenantId, after: delivery.eventId - 1, limit: 1).first,
            event.id == delivery.eventId
        else {
            throw DocketError(.conflict, "event \(delivery.eventId) is no longer kept (the log keeps the latest \(live.settings.retainedPerTenant))")
        }
        let attempt = await sender.send(webhook, event: event, deliveryId: delivery.id, attempt: delivery.attempts + 1)
        delivery.attempts += 1
        delivery.statusCode = attempt.statusCode
        delivery.error = attempt.error
        delivery.durationMs = attempt.durationMs
        delivery.lastAttemptAt = clock.now()
        if attempt.succeeded {
            delivery.status = .delivered
            delivery.deliveredAt = delivery.lastAttemptAt
        }
        try await stores.webhooks.recordDelivery(delivery, retain: Webhook.deliveriesKept)
        // Taken now: an endpoint that was retrying this event goes on past it.
        if attempt.succeeded {
            for _ in 0..<ServiceCore.maxAttempts {
                var current = try await load(principal, id)
                guard current.retry?.eventId == delivery.eventId else { break }
                let expected = current.version
                current.retry = nil
                current.cursor = max(current.cursor, delivery.eventId)
                current.version = expected + 1
                current.updatedAt = clock.now()
                if try await stores.webhooks.updateWebhook(current, expectedVersion: expected) { break }
            }
        }
        return delivery
    }

    func load(_ principal: Principal, _ id: String) async throws -> Webhook {
        guard let webhook = try await stores.webhooks.webhook(tenantId: principal.tenantId, id: id) else { throw DocketError.notFound("webhook", id) }
        return webhook
    }

    /// An http(s) URL with a host, no credentials, not too long; a private or local host only
    /// where the server allows them (`webhooks.allowPrivateAddresses`).
    func checkURL(_ text: String?) throws -> String {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            throw DocketError(.badRequest, "url is required", field: "url")
        }
        guard text.count <= Webhook.maxURLLength, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty
        else {
            throw DocketError(.validation, "url must be an http or https URL of at most \(Webhook.maxURLLength) characters", field: "url")
        }
        guard url.user == nil, url.password == nil else {
            throw DocketError(.validation, "url must not carry credentials: the signature authenticates Docket", field: "url")
        }
        if !core.allowPrivateWebhooks, WebhookAddressRule.isPrivate(host) || WebhookAddressRule.isLocalName(host) {
            throw DocketError(
                .validation, "url names a private or local address (\(host)); webhooks go to public addresses only", field: "url")
        }
        return text
    }

    static func checkEvents(_ events: [String]) throws -> [String] {
        let known = Webhook.subscribable
        for event in events where !known.contains(event) {
            throw DocketError(.validation, "'\(event)' is not an event; one of \(known.joined(separator: ", "))", field: "events")
        }
        return Array(Set(events)).sorted()
    }

    /// 32 random bytes as hex.
    static func secret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// Delivers every active endpoint's events from the event log (the outbox's webhook consumer):
/// in event order per endpoint, each until it is taken, retried with backoff and jitter for up to
/// 24 hours, then the endpoint is disabled and the tenant's staff told (`webhook_disabled`).
/// Each endpoint's position is stored with it, after every event, so a crash resends at most
/// the event in flight (under the same delivery id). Several instances share the work: an
/// endpoint is leased to one at a time.
public struct WebhookDispatcher: Sendable {
    let core: ServiceCore
    let sender: any WebhookSender
    /// This instance, for the lease.
    let instance: String
    /// Events one endpoint gets per round (the others get their turn in between).
    let batch: Int
    let lease: TimeInterval = 60

    public init(core: ServiceCore, sender: any WebhookSender, instance: String, batch: Int = 100) {
        self.core = core
        self.sender = sender
        self.instance = instance
        self.batch = batch
    }

    /// One round over every active endpoint; answers how many attempts were made.
    @discardableResult
    public func runOnce() async throws -> Int {
        var attempts = 0
        for webhook in try await core.stores.webhooks.activeWebhooks() {
            attempts += try await work(webhook)
        }
        return attempts
    }

    func work(_ found: Webhook) async throws -> Int {
        let now = core.clock.now()
        if let retry = found.retry, retry.nextAttemptAt > now { return 0 }
        if let owner = found.leaseOwner, owner != instance, let until = found.leaseUntil, until > now { return 0 }
        var webhook = found
        webhook.leaseOwner = instance
        webhook.leaseUntil = now.addingTimeInterval(lease)
        guard try await save(&webhook, from: found.version) else { return 0 }
        var attempts = 0
        rounds: while attempts < batch {
            let events = try await core.stores.liveEvents.liveEvents(tenantId: webhook.tenantId, after: webhook.cursor, limit: min(batch, 100))
            if events.isEmpty { break }
            for event in events {
                guard webhook.wants(event) else {
                    webhook.cursor = event.id
                    continue
                }
                let deliveryId = WebhookDelivery.id(webhook: webhook.id, event: event.id)
                let previous = webhook.retry?.eventId == event.id ? webhook.retry : nil
                let attempt = await sender.send(webhook, event: event, deliveryId: deliveryId, attempt: (previous?.attempts ?? 0) + 1)
                attempts += 1
                let at = core.clock.now()
                var delivery = WebhookDelivery(
                    id: deliveryId, tenantId: webhook.tenantId, webhookId: webhook.id, eventId: event.id, event: event.type.rawValue,
                    status: .delivered, attempts: (previous?.attempts ?? 0) + 1, statusCode: attempt.statusCode, error: attempt.error,
                    durationMs: attempt.durationMs, lastAttemptAt: at, deliveredAt: nil, nextAttemptAt: nil)
                if attempt.succeeded {
                    delivery.deliveredAt = at
                    webhook.cursor = event.id
                    webhook.retry = nil
                    try await core.stores.webhooks.recordDelivery(delivery, retain: Webhook.deliveriesKept)
                    webhook.leaseUntil = at.addingTimeInterval(lease)
                    guard try await save(&webhook, from: webhook.version) else { return attempts }
                    continue
                }
                let first = previous?.firstAttemptAt ?? at
                if at.timeIntervalSince(first) >= Webhook.retryWindow {
                    delivery.status = .failed
                    webhook.active = false
                    webhook.retry = nil
                    webhook.disabledReason = "event \(event.id) could not be delivered for 24 hours: \(attempt.summary)"
                    try await core.stores.webhooks.recordDelivery(delivery, retain: Webhook.deliveriesKept)
                    webhook.leaseUntil = nil
                    // Disabled and announced in one write.
                    _ = try await save(&webhook, from: webhook.version, announcing: disabledNotice(webhook))
                    return attempts
                }
                let next = at.addingTimeInterval(Webhook.backoff(after: delivery.attempts, jitter: Double.random(in: 0...1)))
                delivery.status = .retrying
                delivery.nextAttemptAt = next
                webhook.retry = WebhookRetry(
                    eventId: event.id, attempts: delivery.attempts, firstAttemptAt: first, nextAttemptAt: next, lastError: attempt.summary)
                try await core.stores.webhooks.recordDelivery(delivery, retain: Webhook.deliveriesKept)
                break rounds
            }
        }
        webhook.leaseUntil = nil
        _ = try await save(&webhook, from: webhook.version)
        return attempts
    }

    /// Stores `webhook` if nobody changed it since `version` (an admin's edit, another instance).
    /// Stores the endpoint if it is still at `version`, with what the change announces.
    func save(_ webhook: inout Webhook, from version: Int, announcing events: [LiveEvent] = []) async throws -> Bool {
        webhook.version = version + 1
        webhook.updatedAt = core.clock.now()
        let outbox = Outbox(live: events, retain: core.live.settings.retainedPerTenant, onCommit: core.live.commitHook)
        guard let stored = try await core.stores.webhooks.updateWebhook(webhook, expectedVersion: version, outbox: outbox) else { return false }
        if !stored.isEmpty { core.live.publish(stored) }
        return true
    }

    /// The staff's `webhook_disabled` notice, written with the endpoint it turns off.
    func disabledNotice(_ webhook: Webhook) -> [LiveEvent] {
        let data = core.wire.eventData(.webhookDisabled(webhookId: webhook.id, url: webhook.url, reason: webhook.disabledReason ?? ""), about: nil)
        var event = LiveEvent(tenantId: webhook.tenantId, type: .webhookDisabled, audience: .staff, data: data, at: core.clock.now())
        event.origin = core.live.origin
        return [event]
    }
}
