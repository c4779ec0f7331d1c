import Foundation

// MARK: - Event payloads

enum LiveData {
    /// `{"ticket":<summary>, ...the fields of object}`.
    static func splice(ticket summary: String, into object: String) -> String {
        let rest = object.dropFirst().drop { $0 == " " }
        return rest.hasPrefix("}") ? "{\"ticket\":\(summary)}" : "{\"ticket\":\(summary),\(rest)"
    }
}

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

struct NoteEventData: Encodable, JSONWritable {
    var ticketId: String
    var note: Note

    func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("note", note)
        out.field("ticketId", ticketId)
        out.endObject()
    }
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

struct RuleFiredData: Encodable, JSONWritable {
    var ticketId: String
    var entry: RuleAuditEntry

    func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("entry", entry)
        out.field("ticketId", ticketId)
        out.endObject()
    }
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
