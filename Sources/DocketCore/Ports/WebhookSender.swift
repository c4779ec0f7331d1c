import Foundation

/// Sends one event to one endpoint (the HTTP adapter): signs it, POSTs it with timeouts,
/// refuses addresses the rule forbids, and says what happened. Never throws.
public protocol WebhookSender: Sendable {
    func send(_ webhook: Webhook, event: LiveEvent, deliveryId: String, attempt: Int) async -> WebhookAttempt
}
