import Foundation

/// What a live event announces. The raw values are the `type` of WebSocket frames.
public enum LiveEventType: String, Codable, Sendable, CaseIterable {
    case ticketCreated = "ticket_created"
    case ticketUpdated = "ticket_updated"
    case ticketAssigned = "ticket_assigned"
    case ticketClaimed = "ticket_claimed"
    case ticketNoteAdded = "ticket_note_added"
    case ticketResolved = "ticket_resolved"
    case ticketEscalated = "ticket_escalated"
    case newPendingTicket = "new_pending_ticket"
    case newMessage = "new_message"
    case messagesRead = "messages_read"
    case typing
    case stopTyping = "stop_typing"
    case ruleFired = "rule_fired"
    case slaWarning = "sla_warning"
    case slaBreached = "sla_breached"
    /// A rule's timer came due (staff only).
    case ticketTimer = "ticket_timer"
    case packActivated = "pack_activated"
    /// A staged rollout of a pack version started or ended (staff only; `reason` says why it ended).
    case packRollout = "pack_rollout"
    /// A rule's `notify` action.
    case notification
    /// A rule's `webhook` action: the ticket for one endpoint (staff only; delivered to that endpoint).
    case ruleWebhook = "rule_webhook"
    /// A rule's `send_mail` action: mail out sends the pack's template to the ticket's customer (staff only).
    case ruleMail = "rule_mail"
    /// A webhook endpoint kept failing for 24 hours and was turned off (staff only).
    case webhookDisabled = "webhook_disabled"
    /// An agent came online, went away or went offline (staff only).
    case agentPresence = "agent_presence"

    /// Typing indicators are delivered and forgotten: never stored, never replayed.
    public var isEphemeral: Bool { self == .typing || self == .stopTyping }
}

/// Who may receive an event.
public enum LiveAudience: String, Codable, Sendable {
    /// Staff of the tenant, and the ticket's customer.
    case everyone
    /// Staff of the tenant only (internal notes, rule firings, SLA, packs).
    case staff
    /// Only those watching the ticket (its ticket room, its customer's room), minus the sender.
    case participants
}

/// One event of a tenant. `id` increases per tenant in the order events are stored; it is 0
/// for ephemeral events (typing) and for an event the store could not take.
public struct LiveEvent: Codable, Sendable, Equatable {
    public var tenantId: String
    public var id: Int
    public var type: LiveEventType
    public var ticketId: String?
    public var customerId: String?
    public var queue: String?
    /// A staff member the event is addressed to (a rule's `notify agent:<id>`); nil for all.
    public var agentId: String?
    /// The webhook endpoint a `rule_webhook` event is for (nil for every other type).
    public var endpoint: String?
    public var audience: LiveAudience
    /// The connection that caused an ephemeral event, which does not get it back.
    public var senderKey: String?
    /// The `data` of the frame: a JSON object as the API writes it.
    public var data: String
    public var at: Date
    /// The server instance that produced it (multi-instance delivery skips its own).
    public var origin: String

    public init(
        tenantId: String, id: Int = 0, type: LiveEventType, ticketId: String? = nil, customerId: String? = nil, queue: String? = nil,
        agentId: String? = nil, endpoint: String? = nil, audience: LiveAudience, senderKey: String? = nil, data: String, at: Date, origin: String = ""
    ) {
        self.tenantId = tenantId
        self.id = id
        self.type = type
        self.ticketId = ticketId
        self.customerId = customerId
        self.queue = queue
        self.agentId = agentId
        self.endpoint = endpoint
        self.audience = audience
        self.senderKey = senderKey
        self.data = data
        self.at = at
        self.origin = origin
    }
}

/// A room a WebSocket client subscribes to: `staff`, `queue:<id>`, `ticket:<ticketId>`,
/// `customer:<customerId>`. Rooms never cross tenants: a connection belongs to one tenant.
public enum LiveRoom: Hashable, Sendable, CustomStringConvertible {
    case staff
    case queue(String)
    case ticket(String)
    case customer(String)

    public init?(_ text: String) {
        if text == "staff" {
            self = .staff
            return
        }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        // Ids as the API makes them; nothing that would need escaping inside a frame.
        guard parts.count == 2, !parts[1].isEmpty, parts[1].count <= 64,
            parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:@".contains($0)) })
        else { return nil }
        switch parts[0] {
        case "queue": self = .queue(parts[1])
        case "ticket": self = .ticket(parts[1])
        case "customer": self = .customer(parts[1])
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .staff: "staff"
        case .queue(let id): "queue:\(id)"
        case .ticket(let id): "ticket:\(id)"
        case .customer(let id): "customer:\(id)"
        }
    }

    /// Whether `event` goes to `principal` through this room. Subscriptions were authorised
    /// when they were made; this checks the event side again, so a customer never receives a
    /// staff-only event or another customer's, and nobody another tenant's.
    public func delivers(_ event: LiveEvent, to principal: Principal, connection: String) -> Bool {
        guard event.tenantId == principal.tenantId else { return false }
        if !principal.isStaff {
            guard event.audience != .staff, event.customerId == principal.subject else { return false }
        }
        if let agent = event.agentId, agent != principal.subject { return false }
        if event.audience == .participants {
            if event.senderKey == connection { return false }
            switch self {
            case .ticket(let id): return event.ticketId == id
            case .customer(let id): return event.customerId == id
            case .staff, .queue: return false
            }
        }
        switch self {
        case .staff: return true
        case .queue(let id): return event.queue == id
        case .ticket(let id): return event.ticketId == id
        case .customer(let id): return event.customerId == id
        }
    }
}

/// What a reconnecting client missed.
public struct LiveReplay: Sendable {
    public var events: [LiveEvent]
    /// The log no longer holds everything after the asked id: the client must reload its view.
    public var resync: Bool
    /// The tenant's latest stored id when the replay was read.
    public var latestId: Int

    public init(events: [LiveEvent], resync: Bool, latestId: Int) {
        self.events = events
        self.resync = resync
        self.latestId = latestId
    }
}
