import Foundation

// MARK: - Event payloads: what each live event carries (written by the `EventEncoder`)

struct AgentData: Encodable {
    var agentId: String?
    var agentName: String? = nil
    var previousAgent: String? = nil
    var reason: String? = nil
}

struct SLAEventData: Encodable {
    var target: String?
    var dueAt: String?
}

struct MessageEventData: Encodable {
    var ticketId: String
    var message: TicketMessage
}

struct ReadEventData: Encodable {
    var ticketId: String
    var reader: String
    var readerId: String
    var marked: Int
    var readAt: Date
    var ticket: LiveTicketSummary
}

struct NotificationData: Encodable {
    var ticketId: String
    var rule: String
    var target: String
    var message: String
}

struct RuleWebhookData: Encodable {
    var ticketId: String
    var rule: String
    var endpoint: String
    var event: String
}

struct TypingData: Encodable {
    var ticketId: String
    var senderType: String
    var senderId: String
}

struct PackEventData: Encodable {
    var tenantId: String
    var packId: String
    var version: String
}

/// The open ticket a message was meant for was resolved or closed meanwhile.
struct TicketNoLongerOpen: Error {}
