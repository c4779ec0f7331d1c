import DocketCore
import Foundation
import Hummingbird

/// `/api/v2/webhooks`: a tenant admin's endpoints, their delivery logs and redelivery.
struct WebhookController: Sendable {
    let services: DocketServices
    let limits: HTTPLimits

    func register(_ routes: RouteRegistry) {
        routes.add(Endpoint(
            method: .post, path: "/api/v2/webhooks",
            summary: "Register an endpoint for the tenant's events (the signing secret is in this answer only)",
            tag: "Webhooks", access: "admin", body: "NewWebhook", success: (201, "CreatedWebhook"), errors: [403, 409]), use: create)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/webhooks", summary: "The tenant's endpoints (never their secrets)", tag: "Webhooks",
            access: "admin", success: (200, "WebhookList"), errors: [403]), use: list)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/webhooks/:id", summary: "One endpoint: where it is in the event log, what it is retrying",
            tag: "Webhooks", access: "admin", success: (200, "WebhookEnvelope"), errors: [403, 404]), use: show)

        routes.add(Endpoint(
            method: .patch, path: "/api/v2/webhooks/:id",
            summary: "Change the URL or the events, or turn it off and on (on again: it resumes where it stopped)",
            tag: "Webhooks", access: "admin", body: "WebhookPatch", success: (200, "WebhookEnvelope"), errors: [403, 404, 409]), use: update)

        routes.add(Endpoint(
            method: .delete, path: "/api/v2/webhooks/:id", summary: "Remove an endpoint and its delivery log", tag: "Webhooks",
            access: "admin", success: (204, nil), errors: [403, 404]), use: delete)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/webhooks/:id/deliveries", summary: "The endpoint's delivery log, latest attempts first",
            tag: "Webhooks", access: "admin", query: [.limit(max: Webhook.deliveriesKept, default: 50)],
            success: (200, "WebhookDeliveryList"), errors: [400, 403, 404]), use: deliveries)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/webhooks/:id/deliveries/:deliveryId/redeliver",
            summary: "Send a logged delivery again, now, under the same delivery id", tag: "Webhooks", access: "admin",
            success: (200, "WebhookDeliveryEnvelope"), errors: [403, 404, 409]), use: redeliver)
    }

    // MARK: - Handlers

    var webhooks: WebhookService { services.webhooks }

    @Sendable func create(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let input = try await APICoding.decode(WebhookInput.self, from: request, limit: limits.maxBodyBytes)
        let (webhook, secret) = try await webhooks.create(try context.requirePrincipal(), input)
        return try APICoding.response(CreatedWebhook(webhook: webhook, secret: secret), status: .created)
    }

    @Sendable func list(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try APICoding.response(WebhookList(webhooks: try await webhooks.list(try context.requirePrincipal())))
    }

    @Sendable func show(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try APICoding.response(WebhookEnvelope(webhook: try await webhooks.webhook(try context.requirePrincipal(), try context.pathParameter("id"))))
    }

    @Sendable func update(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let input = try await APICoding.decode(WebhookInput.self, from: request, limit: limits.maxBodyBytes)
        return try APICoding.response(WebhookEnvelope(
            webhook: try await webhooks.update(try context.requirePrincipal(), try context.pathParameter("id"), input)))
    }

    @Sendable func delete(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try await webhooks.delete(try context.requirePrincipal(), try context.pathParameter("id"))
        return Response(status: .noContent)
    }

    @Sendable func deliveries(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let limit = try QueryReader(request).int("limit", default: 50)
        guard (1...Webhook.deliveriesKept).contains(limit) else {
            throw DocketError(.badRequest, "limit must be 1-\(Webhook.deliveriesKept)", field: "limit")
        }
        return try APICoding.response(WebhookDeliveryList(
            deliveries: try await webhooks.deliveries(try context.requirePrincipal(), try context.pathParameter("id"), limit: limit)))
    }

    @Sendable func redeliver(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let delivery = try await webhooks.redeliver(
            try context.requirePrincipal(), try context.pathParameter("id"), deliveryId: try context.pathParameter("deliveryId"))
        return try APICoding.response(WebhookDeliveryEnvelope(delivery: delivery))
    }
}

struct CreatedWebhook: Encodable {
    var webhook: WebhookView
    /// Signs every delivery: shown only here.
    var secret: String
}

struct WebhookList: Encodable { var webhooks: [WebhookView] }
struct WebhookEnvelope: Encodable { var webhook: WebhookView }
struct WebhookDeliveryList: Encodable { var deliveries: [WebhookDelivery] }
struct WebhookDeliveryEnvelope: Encodable { var delivery: WebhookDelivery }
