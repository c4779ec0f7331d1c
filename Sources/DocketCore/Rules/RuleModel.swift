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
    /// A rule's timer came due (`details.name`).
    case ticketTimer = "ticket.timer"
    /// An agent who fits the ticket's queue came online while the ticket waited for one
    /// (`details.agent`).
    case agentOnline = "agent.online"

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
        case .ticketTimer: "on_ticket_timer"
        case .agentOnline: "on_agent_online"
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
    /// Whether the agent is there (routing strategies pick among agents who are `online`).
    public var presence: PresenceStatus

    public init(agent: Agent, openTickets: Int, presence: PresenceStatus = .online) {
        self.agent = agent
        self.openTickets = openTickets
        self.presence = presence
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
    /// A specific agent, or a strategy the core resolves: `round_robin`, `least_loaded`. A
    /// strategy picks among agents who are online; `presence: "any"` picks among all.
    case assign(agent: String?, strategy: String?, presence: String? = nil)
    case setSLAPolicy(String)
    case escalate(to: String?, reason: String)
    case setStatus(String, reason: String?)
    case addInternalNote(String)
    /// A live notification to `staff`, `queue:<id>`, `agent:<id>`, `assignee` or `customer`.
    case notify(target: String, message: String)
    /// The ticket sent to one of the tenant's webhook endpoints (by id), under `event`
    /// (default `rule_webhook`), whatever events that endpoint asked for.
    case webhook(endpoint: String, event: String?)
    /// Sets the ticket's timer `name` to come due `after` (`2h`, `1d12h`) from now, in business
    /// hours with `business`; kept past resolution with `keep`. The same name replaces it.
    case schedule(name: String, after: String, business: Bool, keep: Bool)
    /// Drops the ticket's timer `name`, if it has one.
    case cancelTimer(name: String)
    /// Mails the ticket's customer the pack's mail template `template` (when the tenant sends
    /// mail and the customer has an address that works).
    case sendMail(template: String)

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
        case .webhook: "webhook"
        case .schedule: "schedule"
        case .cancelTimer: "cancel_timer"
        case .sendMail: "send_mail"
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
    /// Lua VM instructions the handler ran, counted every 1,000 (0: fewer than 1,000).
    public var instructions: Int

    public init(rule: String, actions: [RuleAction], error: String?, durationMicros: Int, instructions: Int = 0) {
        self.rule = rule
        self.actions = actions
        self.error = error
        self.durationMicros = durationMicros
        self.instructions = instructions
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
    /// What the rule's applied `webhook` actions sent (delivered as `rule_webhook` events).
    public var webhooks: [RuleWebhook]?
    /// The templates the rule's applied `send_mail` actions mail (as `rule_mail` events).
    public var mails: [String]?
    /// What was cut to keep the ticket small (see `RuleOutputBounds`), e.g. "error: 48,213
    /// characters cut to 500".
    public var cuts: [String]?
    /// Lua VM instructions the handler ran, counted every 1,000 (nil: fewer than 1,000, or an
    /// entry from before instructions were counted).
    public var instructions: Int?
    /// The ticket version the change that ran it stored (the trace groups entries by it; nil on
    /// entries from before).
    public var ticketVersion: Int?
    /// How the version that ran it stood during a staged rollout: `canary` (the candidate,
    /// deciding), `shadow` (recorded beside the deciding version, never applied); nil for the
    /// active version deciding.
    public var role: String?

    /// Whether the handler was stopped by its budget (time, instructions or memory): its error
    /// says `budget: ...`.
    public var overranBudget: Bool { error?.hasPrefix("budget:") == true }
}

/// What a rule's output may add to a ticket, whatever the rule does: texts are cut (and the cut
/// recorded in the audit entry), lists are shortened, and the audit keeps its newest entries
/// within a size. With these, the rule-made part of a ticket (its rule notes and its audit)
/// stays under `ruleMadeBudget` characters.
public enum RuleOutputBounds {
    /// A rule's error message.
    public static let error = 500
    /// One action as the audit names it (`set_category(...)`), and a rejection's reason.
    public static let summary = 200
    public static let reason = 300
    /// Actions an audit entry lists as proposed, applied or rejected; the rest are counted.
    public static let listed = 20
    /// A note a rule adds, and how many rule notes one ticket holds.
    public static let note = 2_000
    public static let notesPerTicket = 100
    /// The audit's entries, newest kept: at most `Ticket.maxAuditEntries` and this many
    /// characters of text in all.
    public static let auditCharacters = 200_000
    /// The most characters a ticket's rule notes and audit hold together.
    public static let ruleMadeBudget = notesPerTicket * note + auditCharacters

    /// What was cut, by kind: how many texts and the longest.
    struct Cuts {
        private var kinds: [(kind: String, limit: Int, count: Int, longest: Int)] = []

        mutating func record(_ kind: String, limit: Int, length: Int) {
            if let index = kinds.firstIndex(where: { $0.kind == kind }) {
                kinds[index].count += 1
                kinds[index].longest = max(kinds[index].longest, length)
            } else {
                kinds.append((kind, limit, 1, length))
            }
        }

        var lines: [String] {
            kinds.map { cut in
                cut.count == 1
                    ? "\(cut.kind): \(cut.longest) characters cut to \(cut.limit)"
                    : "\(cut.kind): \(cut.count) texts cut to \(cut.limit) characters (the longest had \(cut.longest))"
            }
        }
    }

    static func cut(_ text: String, to limit: Int, _ kind: String, _ cuts: inout Cuts) -> String {
        guard text.count > limit else { return text }
        cuts.record(kind, limit: limit, length: text.count)
        return String(text.prefix(limit - 1)) + "…"
    }

    /// The entry with its texts cut and its lists shortened, the cuts recorded in it (after
    /// `earlier`, what was cut before the actions were applied).
    public static func bound(_ entry: RuleAuditEntry, earlier: [String] = []) -> RuleAuditEntry {
        var entry = entry
        var cuts = Cuts()
        var lines = earlier
        if let error = entry.error { entry.error = cut(error, to: Self.error, "error", &cuts) }
        func shorten(_ list: [String], _ what: String) -> [String] {
            var out = list.map { cut($0, to: summary, what, &cuts) }
            if out.count > listed {
                lines.append("\(what): \(out.count) listed as \(listed)")
                out = Array(out.prefix(listed)) + ["… and \(out.count - listed) more"]
            }
            return out
        }
        entry.proposed = shorten(entry.proposed, "proposed")
        entry.applied = shorten(entry.applied, "applied")
        var rejected = entry.rejected.map { rejection in
            RuleAuditEntry.Rejection(
                action: cut(rejection.action, to: summary, "rejected.action", &cuts), reason: cut(rejection.reason, to: reason, "rejected.reason", &cuts))
        }
        if rejected.count > listed {
            lines.append("rejected: \(rejected.count) listed as \(listed)")
            rejected = Array(rejected.prefix(listed)) + [.init(action: "… and \(rejected.count - listed) more", reason: "not listed")]
        }
        entry.rejected = rejected
        if let notifications = entry.notifications, notifications.count > listed {
            lines.append("notifications: \(notifications.count) listed as \(listed)")
            entry.notifications = Array(notifications.prefix(listed))
        }
        lines += cuts.lines
        entry.cuts = lines.isEmpty ? nil : lines
        return entry
    }

    /// Characters of text an entry holds (what the audit's size bound counts).
    public static func characters(_ entry: RuleAuditEntry) -> Int {
        (entry.error?.count ?? 0) + entry.proposed.reduce(0) { $0 + $1.count } + entry.applied.reduce(0) { $0 + $1.count }
            + entry.rejected.reduce(0) { $0 + $1.action.count + $1.reason.count }
            + (entry.notifications ?? []).reduce(0) { $0 + $1.target.count + $1.message.count }
            + (entry.cuts ?? []).reduce(0) { $0 + $1.count } + entry.rule.count + entry.event.count + 64
    }

    /// The newest entries within `Ticket.maxAuditEntries` and `auditCharacters`.
    public static func trim(_ audit: [RuleAuditEntry]) -> [RuleAuditEntry] {
        var kept: [RuleAuditEntry] = []
        var total = 0
        for entry in audit.reversed() {
            total += characters(entry)
            guard kept.count < Ticket.maxAuditEntries, total <= auditCharacters else { break }
            kept.append(entry)
        }
        return kept.reversed()
    }
}

/// A notification a rule sent: `target` is `staff`, `queue:<id>`, `agent:<id>`, `assignee`
/// or `customer`.
public struct RuleWebhook: Codable, Sendable, Equatable {
    public var endpoint: String
    public var event: String

    public init(endpoint: String, event: String) {
        self.endpoint = endpoint
        self.event = event
    }

    /// An event name a rule may give: lower-case letters, digits, `_` and `.`, 1-64.
    public static func validEvent(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter, first.isLowercase, name.count <= 64 else { return false }
        return name.allSatisfy { ($0.isLetter && $0.isLowercase && $0.isASCII) || ($0.isNumber && $0.isASCII) || $0 == "_" || $0 == "." }
    }
}

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
        case .assign(let agent, let strategy, let presence): "assign(\(agent ?? strategy ?? "?")\(presence.map { ", presence \($0)" } ?? ""))"
        case .setSLAPolicy(let p): "set_sla_policy(\(p))"
        case .escalate(let to, _): "escalate(\(to ?? "-"))"
        case .setStatus(let s, _): "set_status(\(s))"
        case .addInternalNote: "add_internal_note"
        case .notify(let target, _): "notify(\(target))"
        case .webhook(let endpoint, let event): "webhook(\(endpoint)\(event.map { ", \($0)" } ?? ""))"
        case .schedule(let name, let after, let business, let keep):
            "schedule(\(name), \(after)\(business ? ", business" : "")\(keep ? ", keep" : ""))"
        case .cancelTimer(let name): "cancel_timer(\(name))"
        case .sendMail(let template): "send_mail(\(template))"
        }
    }
}
