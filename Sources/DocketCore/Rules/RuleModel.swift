import Foundation

/// Ticket lifecycle events rules react to.
public enum RuleEventType: String, Codable, Sendable, CaseIterable {
    case ticketCreated = "ticket.created"
    case ticketUpdated = "ticket.updated"
    case messageReceived = "message.received"
    case noteAdded = "note.added"
    case statusChanged = "status.changed"
    case priorityChanged = "priority.changed"
    case assigned
    case escalated
    case slaWarning = "sla.warning"
    case slaBreached = "sla.breached"

    /// The Lua function that handles it: `on_ticket_created`, `on_assigned`...
    public var handlerName: String {
        switch self {
        case .ticketCreated: "on_ticket_created"
        case .ticketUpdated: "on_ticket_updated"
        case .messageReceived: "on_message_received"
        case .noteAdded: "on_note_added"
        case .statusChanged: "on_status_changed"
        case .priorityChanged: "on_priority_changed"
        case .assigned: "on_assigned"
        case .escalated: "on_escalated"
        case .slaWarning: "on_sla_warning"
        case .slaBreached: "on_sla_breached"
        }
    }
}

/// What happened, as rules see it.
public struct RuleEvent: Sendable, Equatable {
    public var type: RuleEventType
    /// The ticket after the triggering change (its `ticketId` is empty before creation).
    public var ticket: Ticket
    /// Event details: `from`/`to` for status and priority changes, `text` for notes and messages.
    public var details: [String: String]
    /// Who caused it: a user id, or `rule:<file>` for follow-up events.
    public var actor: String

    public init(type: RuleEventType, ticket: Ticket, details: [String: String] = [:], actor: String) {
        self.type = type
        self.ticket = ticket
        self.details = details
        self.actor = actor
    }
}

/// An agent as rules see it.
public struct AgentView: Sendable, Equatable {
    public var agent: Agent
    /// Tickets assigned to the agent that are neither resolved nor closed.
    public var openTickets: Int

    public init(agent: Agent, openTickets: Int) {
        self.agent = agent
        self.openTickets = openTickets
    }
}

/// The ticket's customer as rules see it: no contact details.
public struct CustomerView: Sendable, Equatable {
    public var id: String
    public var tier: String?
    public var totalTickets: Int

    public init(id: String, tier: String?, totalTickets: Int) {
        self.id = id
        self.tier = tier
        self.totalTickets = totalTickets
    }
}

/// Read-only context of one evaluation.
public struct RuleContext: Sendable {
    public var tenant: Tenant
    public var agents: [AgentView]
    public var customer: CustomerView?
    public var now: Date

    public init(tenant: Tenant, agents: [AgentView], customer: CustomerView? = nil, now: Date) {
        self.tenant = tenant
        self.agents = agents
        self.customer = customer
        self.now = now
    }
}

/// Something a rule asks for. The core validates each one before applying it.
public enum RuleAction: Sendable, Equatable, Codable {
    case setPriority(Priority)
    case setCategory(String)
    case addTag(String)
    case removeTag(String)
    case routeToQueue(String)
    /// A specific agent, or a strategy the core resolves: `round_robin`, `least_loaded`.
    case assign(agent: String?, strategy: String?)
    case setSLAPolicy(String)
    case escalate(to: String?, reason: String)
    case setStatus(String, reason: String?)
    case addInternalNote(String)
    /// A live notification to `staff`, `queue:<id>`, `agent:<id>`, `assignee` or `customer`.
    case notify(target: String, message: String)

    public var name: String {
        switch self {
        case .setPriority: "set_priority"
        case .setCategory: "set_category"
        case .addTag: "add_tag"
        case .removeTag: "remove_tag"
        case .routeToQueue: "route_to_queue"
        case .assign: "assign"
        case .setSLAPolicy: "set_sla_policy"
        case .escalate: "escalate"
        case .setStatus: "set_status"
        case .addInternalNote: "add_internal_note"
        case .notify: "notify"
        }
    }
}

/// What one rule handler proposed for one event.
public struct RuleOutcome: Sendable, Equatable {
    /// `rules/triage.lua:on_ticket_created`
    public var rule: String
    public var actions: [RuleAction]
    /// Set when the rule failed (syntax, runtime, budget, bad result); its actions are then empty.
    public var error: String?
    public var durationMicros: Int

    public init(rule: String, actions: [RuleAction], error: String?, durationMicros: Int) {
        self.rule = rule
        self.actions = actions
        self.error = error
        self.durationMicros = durationMicros
    }
}

/// One audited rule evaluation, kept on the ticket.
public struct RuleAuditEntry: Codable, Sendable, Equatable {
    public struct Rejection: Codable, Sendable, Equatable {
        public var action: String
        public var reason: String
    }

    public var event: String
    public var packId: String
    public var packVersion: String
    public var rule: String
    public var proposed: [String]
    public var applied: [String]
    public var rejected: [Rejection]
    public var error: String?
    public var durationMicros: Int
    public var depth: Int
    public var at: Date
    /// What the rule's applied `notify` actions sent (delivered as `notification` events).
    public var notifications: [RuleNotification]?
}

/// A notification a rule sent: `target` is `staff`, `queue:<id>`, `agent:<id>`, `assignee`
/// or `customer`.
public struct RuleNotification: Codable, Sendable, Equatable {
    public var target: String
    public var message: String

    public init(target: String, message: String) {
        self.target = target
        self.message = message
    }
}

extension RuleAction {
    /// A short human description for the audit: `set_priority(urgent)`.
    public var summary: String {
        switch self {
        case .setPriority(let p): "set_priority(\(p.rawValue))"
        case .setCategory(let c): "set_category(\(c))"
        case .addTag(let t): "add_tag(\(t))"
        case .removeTag(let t): "remove_tag(\(t))"
        case .routeToQueue(let q): "route_to_queue(\(q))"
        case .assign(let agent, let strategy): "assign(\(agent ?? strategy ?? "?"))"
        case .setSLAPolicy(let p): "set_sla_policy(\(p))"
        case .escalate(let to, _): "escalate(\(to ?? "-"))"
        case .setStatus(let s, _): "set_status(\(s))"
        case .addInternalNote: "add_internal_note"
        case .notify(let target, _): "notify(\(target))"
        }
    }
}
