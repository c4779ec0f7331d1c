import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// Webhook endpoints and their deliveries.
    static var webhooks: [String: Schema] {
        [
            "NewWebhook": object(
                [
                    "url": string("http or https; a public address", format: .uri, maxLength: Webhook.maxURLLength),
                    "events": array(string(values: webhookEvents), maxItems: webhookEvents.count),
                    "active": boolean,
                ], required: ["url"], description: "events: the types wanted; empty or absent: every stored event"),
            "WebhookPatch": object([
                "url": string(format: .uri, maxLength: Webhook.maxURLLength),
                "events": array(string(values: webhookEvents), maxItems: webhookEvents.count), "active": boolean,
            ]),
            "Webhook": object(
                [
                    "id": string(), "url": string(), "events": array(string()), "active": boolean,
                    "disabledReason": string("Why the server turned it off (it kept failing for 24 hours)"),
                    "cursor": integer("The last event id it is done with"),
                    "retrying": object(
                        ["eventId": integer(), "attempts": integer(), "nextAttemptAt": dateTime, "lastError": string()],
                        required: ["eventId", "attempts", "nextAttemptAt", "lastError"]),
                    "createdAt": dateTime, "createdBy": string(), "updatedAt": dateTime,
                ], required: ["id", "url", "events", "active", "cursor", "createdAt", "createdBy", "updatedAt"]),
            "CreatedWebhook": object(
                ["webhook": ref("Webhook"), "secret": string("Signs every delivery (Docket-Signature): shown only here")],
                required: ["webhook", "secret"]),
            "WebhookList": object(["webhooks": array(ref("Webhook"))], required: ["webhooks"]),
            "WebhookEnvelope": object(["webhook": ref("Webhook")], required: ["webhook"]),
            "WebhookDelivery": object(
                [
                    "id": string("The delivery id the receiver sees (Docket-Delivery)"), "tenantId": string(), "webhookId": string(),
                    "eventId": integer(), "event": string(), "status": string(values: ["delivered", "retrying", "failed"]),
                    "attempts": integer(), "statusCode": integer(), "error": string(), "durationMs": integer(),
                    "lastAttemptAt": dateTime, "deliveredAt": dateTime, "nextAttemptAt": dateTime,
                ], required: ["id", "tenantId", "webhookId", "eventId", "event", "status", "attempts", "lastAttemptAt"]),
            "WebhookDeliveryList": object(["deliveries": array(ref("WebhookDelivery"))], required: ["deliveries"]),
            "WebhookDeliveryEnvelope": object(["delivery": ref("WebhookDelivery")], required: ["delivery"]),
        ]
    }
}
