import DocketCore
import Foundation

/// The JSON the core hands on (see `WireFormat`). Live events' data as the event log keeps it
/// and clients read it: a JSON object per event, with sorted keys and ISO 8601 dates; events about a ticket carry
/// its summary as `ticket` (written once per change and spliced into each), except notes, rule
/// firings and typing, which carry only the ticket's id.
public struct DocketWireFormat: WireFormat {
    public init() {}

    public func toolArguments(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// Sorted keys and unescaped slashes (the events' own encoder): the same output for the same
    /// answer, so a repeated call id's stored answer reads as the first one did.
    public func toolOutput(_ value: JSONValue) -> String { EventJSON.text(value) }

    public func eventData(_ payloads: [LivePayload], about ticket: LiveTicketSummary?) -> [String] {
        var summary: String?
        return payloads.map { payload in
            let (object, carriesSummary) = Self.object(payload, ticketId: ticket?.ticketId ?? "")
            guard carriesSummary, let ticket else { return object }
            if summary == nil { summary = EventJSON.written(ticket) }
            return Self.splice(summary: summary!, into: object)
        }
    }

    /// A payload's own fields as JSON text, and whether the ticket summary goes in with them.
    static func object(_ payload: LivePayload, ticketId: String) -> (String, Bool) {
        switch payload {
        case .ticket:
            return ("{}", true)
        case .agent(let agentId, let agentName, let previousAgent, let reason):
            return (EventJSON.text(AgentData(agentId: agentId, agentName: agentName, previousAgent: previousAgent, reason: reason)), true)
        case .sla(let target, let dueAt):
            return (EventJSON.text(SLAEventData(target: target, dueAt: dueAt)), true)
        case .timer(let name, let dueAt, let setBy):
            return (EventJSON.text(TimerEventData(name: name, dueAt: dueAt, setBy: setBy)), true)
        case .message(let message):
            return (EventJSON.text(MessageEventData(ticketId: ticketId, message: message)), true)
        case .note(let note, let ticketId):
            return (EventJSON.written(Fields { out in
                out.field("note", note)
                out.field("ticketId", ticketId)
            }), false)
        case .ruleFired(let entry, let ticketId):
            return (EventJSON.written(Fields { out in
                out.field("entry", entry)
                out.field("ticketId", ticketId)
            }), false)
        case .ruleWebhook(let rule, let endpoint, let event):
            return (EventJSON.text(RuleWebhookData(ticketId: ticketId, rule: rule, endpoint: endpoint, event: event)), true)
        case .ruleMail(let rule, let template):
            return (EventJSON.text(RuleMailData(ticketId: ticketId, rule: rule, template: template)), true)
        case .notification(let rule, let target, let message):
            return (EventJSON.text(NotificationData(ticketId: ticketId, rule: rule, target: target, message: message)), true)
        case .read(let reader, let readerId, let marked, let readAt):
            return (EventJSON.text(ReadEventData(ticketId: ticketId, reader: reader, readerId: readerId, marked: marked, readAt: readAt)), true)
        case .typing(let ticketId, let senderType, let senderId):
            return (EventJSON.text(TypingData(ticketId: ticketId, senderType: senderType, senderId: senderId)), false)
        case .packActivated(let tenantId, let packId, let version):
            return (EventJSON.text(PackEventData(tenantId: tenantId, packId: packId, version: version)), false)
        case .packRollout(let notice):
            return (EventJSON.text(notice), false)
        case .webhookDisabled(let webhookId, let url, let reason):
            return (EventJSON.text(WebhookDisabledData(webhookId: webhookId, url: url, reason: reason)), false)
        case .agentPresence(let agentId, let status, let since):
            return (EventJSON.text(PresenceEventData(agentId: agentId, status: status.rawValue, since: since)), false)
        }
    }

    /// `object` (a JSON object's text) with `summary` as its first field, `ticket`.
    static func splice(summary: String, into object: String) -> String {
        let rest = object.dropFirst().drop { $0 == " " }
        return rest.hasPrefix("}") ? "{\"ticket\":\(summary)}" : "{\"ticket\":\(summary),\(rest)"
    }

    /// An object whose fields a closure writes (in sorted order, as `JSONOut` expects).
    struct Fields: JSONWritable {
        let fields: (inout JSONOut) -> Void

        func write(to out: inout JSONOut) {
            out.beginObject()
            fields(&out)
            out.endObject()
        }
    }
}

// MARK: - The payloads' fields, as clients read them

struct AgentData: Encodable {
    var agentId: String?
    var agentName: String?
    var previousAgent: String?
    var reason: String?
}

struct PresenceEventData: Encodable {
    var agentId: String
    var status: String
    var since: Date
}

struct SLAEventData: Encodable {
    var target: String?
    var dueAt: String?
}

struct TimerEventData: Encodable {
    var name: String
    var dueAt: String?
    var setBy: String?
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

struct RuleMailData: Encodable {
    var ticketId: String
    var rule: String
    var template: String
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

struct WebhookDisabledData: Encodable {
    var webhookId: String
    var url: String
    var reason: String
}
