import Foundation

/// Ticket priority, ordered from least to most urgent.
public enum Priority: String, Codable, Sendable, CaseIterable, Comparable {
    case low, medium, high, urgent

    /// Sort rank: urgent sorts highest.
    public var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .urgent: 3
        }
    }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}

/// How a ticket reached the system.
public enum TicketSource: String, Codable, Sendable, CaseIterable {
    case whatsapp, web, mobile_app, ai, agent, email
}

/// One entry of a ticket's status history. `from` is nil for the creation entry.
public struct StatusChange: Codable, Sendable, Equatable {
    public var from: String?
    public var to: String
    public var changedBy: String
    public var reason: String?
    public var timestamp: Date

    public init(from: String?, to: String, changedBy: String, reason: String?, timestamp: Date) {
        self.from = from
        self.to = to
        self.changedBy = changedBy
        self.reason = reason
        self.timestamp = timestamp
    }
}

/// Who wrote a note: a user of one of the roles, or the rules engine.
public enum AuthorRole: String, Codable, Sendable, CaseIterable {
    case admin, agent, customer, system

    public init(_ role: Role) {
        switch role {
        case .admin, .platform: self = .admin
        case .agent, .supervisor: self = .agent
        case .customer: self = .customer
        case .assistant: self = .system
        }
    }
}

/// A note on a ticket. Internal notes are never shown to customers.
public struct Note: Codable, Sendable, Equatable {
    public var id: String
    public var authorId: String
    public var authorRole: AuthorRole
    public var content: String
    public var isInternal: Bool
    public var timestamp: Date

    public init(id: String, authorId: String, authorRole: AuthorRole, content: String, isInternal: Bool, timestamp: Date) {
        self.id = id
        self.authorId = authorId
        self.authorRole = authorRole
        self.content = content
        self.isInternal = isInternal
        self.timestamp = timestamp
    }
}

public struct Coordinates: Codable, Sendable, Equatable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

public struct Location: Codable, Sendable, Equatable {
    public var address: String?
    public var description: String?
    public var coordinates: Coordinates?

    public init(address: String? = nil, description: String? = nil, coordinates: Coordinates? = nil) {
        self.address = address
        self.description = description
        self.coordinates = coordinates
    }
}

/// SLA targets copied onto the ticket at creation (and on priority change) plus what happened.
public struct TicketSLA: Codable, Sendable, Equatable {
    public var firstResponseTargetMs: Int
    public var resolutionTargetMs: Int
    public var firstResponseDueAt: Date
    public var resolutionDueAt: Date
    public var firstResponseAt: Date?
    public var firstResponseMet: Bool?
    public var resolutionMet: Bool?
    /// The running targets, counted in business time (nil on tickets from before the SLA clock).
    public var clocks: [SLAClock]?
    /// The named policy in force (set by a rule, or matched by category or queue).
    public var policy: String?
    /// The earliest pending warning or breach; the scheduler fires it.
    public var nextTimerAt: Date?
    /// The next-reply targets of earlier replies (the clock itself holds only the latest).
    public var nextReplies: ReplyTally?

    public init(targets: SLATarget, createdAt: Date) {
        firstResponseTargetMs = targets.firstResponseSeconds * 1000
        resolutionTargetMs = targets.resolutionSeconds * 1000
        firstResponseDueAt = createdAt.addingTimeInterval(TimeInterval(targets.firstResponseSeconds))
        resolutionDueAt = createdAt.addingTimeInterval(TimeInterval(targets.resolutionSeconds))
    }
}

/// The decided next-reply targets of a ticket's earlier replies: reports count every reply, the
/// ticket's `nextReply` clock holds only the latest.
public struct ReplyTally: Codable, Sendable, Equatable {
    /// Targets decided (met, or breached) and how many were met.
    public var measured = 0
    public var met = 0
    public var breached = 0
    /// Replies given, the business seconds they took (each rounded to the second) and how many
    /// took how long (`ReportHistogram` bucket → count).
    public var answered = 0
    public var seconds: Int64 = 0
    public var histogram: [String: Int] = [:]

    public init() {}

    /// Adds a next-reply clock that is being replaced.
    public mutating func add(_ clock: SLAClock) {
        if let met = clock.met {
            measured += 1
            if met { self.met += 1 }
        } else if clock.breachedAt != nil {
            measured += 1
        }
        if clock.breachedAt != nil { breached += 1 }
        if clock.stoppedAt != nil {
            let taken = Int64(clock.consumedSeconds.rounded())
            answered += 1
            seconds += taken
            histogram[String(ReportHistogram.bucket(taken)), default: 0] += 1
        }
    }
}

public struct Resolution: Codable, Sendable, Equatable {
    public var resolvedAt: Date
    public var resolvedBy: String
    public var notes: String?

    public init(resolvedAt: Date, resolvedBy: String, notes: String?) {
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
        self.notes = notes
    }
}

public struct CustomerFeedback: Codable, Sendable, Equatable {
    public var rating: Int
    public var comment: String?
    public var submittedAt: Date

    public init(rating: Int, comment: String?, submittedAt: Date) {
        self.rating = rating
        self.comment = comment
        self.submittedAt = submittedAt
    }
}

public struct Escalation: Codable, Sendable, Equatable {
    public var escalatedTo: String?
    public var escalatedBy: String
    public var reason: String
    public var escalatedAt: Date

    public init(escalatedTo: String?, escalatedBy: String, reason: String, escalatedAt: Date) {
        self.escalatedTo = escalatedTo
        self.escalatedBy = escalatedBy
        self.reason = reason
        self.escalatedAt = escalatedAt
    }
}

public struct Attachment: Codable, Sendable, Equatable {
    public var url: String
    public var type: String
    public var uploadedBy: String
    public var uploadedAt: Date

    public init(url: String, type: String, uploadedBy: String, uploadedAt: Date) {
        self.url = url
        self.type = type
        self.uploadedBy = uploadedBy
        self.uploadedAt = uploadedAt
    }
}

/// A support ticket: one document, changed only through `TicketService`.
public struct Ticket: Codable, Sendable, Equatable {
    public var tenantId: String
    /// Human ticket ID, e.g. `LUX-2026-000001`; unique per tenant.
    public var ticketId: String
    /// The sequence number inside (tenant, numbering year).
    public var number: Int
    public var numberingYear: Int
    public var subject: String
    public var description: String
    public var category: String
    public var subcategory: String?
    public var priority: Priority
    public var status: String
    public var statusHistory: [StatusChange]
    public var customerId: String
    public var conversationId: String?
    /// The customer whose open chat this is: set on a ticket a customer's message opened, and
    /// cleared when it is resolved or closed. A store keeps at most one ticket per (tenant, value),
    /// so concurrent first messages open one ticket, not several.
    public var openChatOf: String?
    public var assignedAgent: String?
    public var assignedAt: Date?
    public var location: Location?
    public var sla: TicketSLA
    public var resolution: Resolution?
    public var customerFeedback: CustomerFeedback?
    public var notes: [Note]
    public var tags: [String]
    public var escalation: Escalation?
    public var attachments: [Attachment]
    public var source: TicketSource
    public var createdAt: Date
    public var updatedAt: Date
    public var closedAt: Date?
    /// Bumped by every stored change; updates are conditional on it.
    public var version: Int
    /// Queue a rule routed the ticket to.
    public var queue: String?
    /// Custom fields given at creation (`orderId`, `promisedDate`...); rules read them.
    public var fields: [String: String]?
    /// The latest rule evaluations (at most `Ticket.maxAuditEntries`); staff only.
    public var ruleAudit: [RuleAuditEntry]?
    /// Conversation counters, last-message preview and service sessions (nil until the
    /// ticket's first message, claim or assignment).
    public var chat: TicketChat?
    /// The rules' pending timers (nil when none), earliest not necessarily first.
    public var timers: [RuleTimer]?
    /// The staged rollout whose candidate version decides this ticket (a canary's share), set
    /// when the ticket was opened during it.
    public var canary: String?
    /// Set while a rule's routing found no agent of the ticket's queue online: the ticket
    /// waits in its queue and is given out when a fitting agent comes online.
    public var waiting: WaitingAssignment?

    public static let maxAuditEntries = 200

    public var isEscalated: Bool { escalation != nil }

    /// The ticket as `principal` may see it: customers never see internal notes, the rule audit,
    /// the rules' timers or a rollout's mark.
    public func visible(to principal: Principal) -> Ticket {
        guard !principal.isStaff else { return self }
        var copy = self
        copy.notes = notes.filter { !$0.isInternal }
        copy.ruleAudit = nil
        copy.timers = nil
        copy.canary = nil
        copy.waiting = nil
        return copy
    }

    public init(
        tenantId: String, ticketId: String, number: Int, numberingYear: Int, subject: String, description: String,
        category: String, subcategory: String?, priority: Priority, status: String, statusHistory: [StatusChange],
        customerId: String, conversationId: String?, assignedAgent: String?, assignedAt: Date?, location: Location?,
        sla: TicketSLA, resolution: Resolution?, customerFeedback: CustomerFeedback?, notes: [Note], tags: [String],
        escalation: Escalation?, attachments: [Attachment], source: TicketSource, createdAt: Date, updatedAt: Date,
        closedAt: Date?, version: Int, queue: String? = nil, ruleAudit: [RuleAuditEntry]? = nil
    ) {
        self.tenantId = tenantId
        self.ticketId = ticketId
        self.number = number
        self.numberingYear = numberingYear
        self.subject = subject
        self.description = description
        self.category = category
        self.subcategory = subcategory
        self.priority = priority
        self.status = status
        self.statusHistory = statusHistory
        self.customerId = customerId
        self.conversationId = conversationId
        self.assignedAgent = assignedAgent
        self.assignedAt = assignedAt
        self.location = location
        self.sla = sla
        self.resolution = resolution
        self.customerFeedback = customerFeedback
        self.notes = notes
        self.tags = tags
        self.escalation = escalation
        self.attachments = attachments
        self.source = source
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
        self.version = version
        self.queue = queue
        self.ruleAudit = ruleAudit
    }
}

/// A rule's routing that found nobody online, waiting to be carried out (`Ticket.waiting`).
public struct WaitingAssignment: Codable, Sendable, Equatable {
    /// `least_loaded` or `round_robin`.
    public var strategy: String
    /// The rule that asked for it (`rules/triage.lua:on_ticket_created`).
    public var rule: String
    public var since: Date

    public init(strategy: String, rule: String, since: Date) {
        self.strategy = strategy
        self.rule = rule
        self.since = since
    }
}
