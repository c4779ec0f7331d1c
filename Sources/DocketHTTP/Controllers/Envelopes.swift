import Foundation
import DocketCore
import DocketWire

struct Pagination: Codable, Sendable {
    var page: Int
    var limit: Int
    var total: Int
    var pages: Int
    /// Present (true) when more than `total` items match: counting stops there.
    var totalIsLowerBound: Bool?

    init<T>(_ page: Page<T>) {
        self.page = page.page
        limit = page.limit
        total = page.total
        pages = page.pages
        totalIsLowerBound = page.totalIsLowerBound ? true : nil
    }
}

struct TicketEnvelope: Codable, Sendable, JSONWritable {
    var ticket: Ticket

    func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("ticket", ticket)
        out.endObject()
    }
}
struct TicketListEnvelope: Codable, Sendable {
    var tickets: [Ticket]
    var pagination: Pagination
}
struct StatsEnvelope: Codable, Sendable { var stats: TicketStatistics }
struct CustomerEnvelope: Codable, Sendable { var customer: Customer }
struct CustomerListEnvelope: Codable, Sendable {
    var customers: [Customer]
    var pagination: Pagination
}
struct AgentEnvelope: Codable, Sendable { var agent: Agent }
struct AgentListEnvelope: Codable, Sendable {
    var agents: [Agent]
    var pagination: Pagination
}

struct AssignRequest: Codable, Sendable { var agentId: String }
struct StatusRequest: Codable, Sendable {
    var status: String
    var reason: String?
}
struct NoteRequest: Codable, Sendable {
    var content: String
    var isInternal: Bool?
}

extension StatusRequest: JSONReadable {
    init(reading reader: inout JSONIn) throws(JSONIn.Refused) {
        var (status, reason): (String?, String?) = (nil, nil)
        var seen = JSONIn.Seen()
        try reader.object { reader, key throws(JSONIn.Refused) in
            if JSONIn.key(key, is: "status") {
                try seen.mark(0, reader)
                status = try reader.string()
            } else if JSONIn.key(key, is: "reason") {
                try seen.mark(1, reader)
                reason = try reader.optionalString()
            } else {
                return false
            }
            return true
        }
        guard let status else { throw reader.refused() }
        self.init(status: status, reason: reason)
    }
}

extension NoteRequest: JSONReadable {
    init(reading reader: inout JSONIn) throws(JSONIn.Refused) {
        var (content, isInternal): (String?, Bool?) = (nil, nil)
        var seen = JSONIn.Seen()
        try reader.object { reader, key throws(JSONIn.Refused) in
            if JSONIn.key(key, is: "content") {
                try seen.mark(0, reader)
                content = try reader.string()
            } else if JSONIn.key(key, is: "isInternal") {
                try seen.mark(1, reader)
                isInternal = try reader.optionalBool()
            } else {
                return false
            }
            return true
        }
        guard let content else { throw reader.refused() }
        self.init(content: content, isInternal: isInternal)
    }
}
struct ResolveRequest: Codable, Sendable { var resolutionNotes: String }
struct EscalateRequest: Codable, Sendable {
    var toAgentId: String?
    var reason: String
}
struct FeedbackRequest: Codable, Sendable {
    var rating: Int
    var comment: String?
}

struct CategoriesBody: Codable, Sendable { var categories: [TicketCategory] }
struct AssistantBody: Codable, Sendable { var config: AssistantConfiguration }
struct TerminologyBody: Codable, Sendable { var terminology: Terminology }
struct IDFormatBody: Codable, Sendable { var format: TicketIDFormat }
struct ResetBody: Codable, Sendable {
    var key: String
    var configurations: AllConfigurations
}

/// `GET /config/all`.
struct AllConfigurations: Codable, Sendable {
    var ticketCategories: [TicketCategory]
    var assistantConfiguration: AssistantConfiguration
    var terminology: Terminology
    var ticketIdFormat: TicketIDFormat
    var workflow: Workflow
    var sla: SLAPolicy
    var businessHours: BusinessCalendar
    var mail: TenantMail
    var defaultCategory: String
    var timeZone: String
    var pack: PackInfo
    var overridden: [String]

    struct PackInfo: Codable, Sendable {
        var id: String
        var version: String
        var name: String
        var locale: String
    }

    init(_ tenant: Tenant) {
        ticketCategories = tenant.categories
        assistantConfiguration = tenant.assistant
        terminology = tenant.terminology
        ticketIdFormat = tenant.ticketIdFormat
        workflow = tenant.workflow
        sla = tenant.sla
        businessHours = tenant.businessHours
        mail = (tenant.overrides.mail ?? TenantMail(addresses: [])).shown
        defaultCategory = tenant.pack.defaultCategory
        timeZone = tenant.pack.timeZone
        pack = PackInfo(id: tenant.pack.id, version: tenant.pack.version, name: tenant.pack.name, locale: tenant.pack.locale)
        var keys: [String] = []
        if tenant.overrides.categories != nil { keys.append(ConfigKey.ticketCategories.rawValue) }
        if tenant.overrides.assistant != nil { keys.append(ConfigKey.assistant.rawValue) }
        if tenant.overrides.terminology != nil { keys.append(ConfigKey.terminology.rawValue) }
        if tenant.overrides.ticketIdFormat != nil { keys.append(ConfigKey.ticketIdFormat.rawValue) }
        if tenant.overrides.calendar != nil { keys.append(ConfigKey.businessHours.rawValue) }
        if tenant.overrides.mail != nil { keys.append(ConfigKey.mail.rawValue) }
        overridden = keys
    }
}
struct AllConfigurationsEnvelope: Codable, Sendable { var configurations: AllConfigurations }

/// `GET /mail/quarantine`.
struct QuarantineList: Codable, Sendable {
    var quarantine: [QuarantinedMail]
    var total: Int
}

/// `POST /mail/quarantine/:id/accept`: what became of the mail.
struct QuarantineAcceptance: Codable, Sendable {
    /// stored, ignored (a machine's mail) or bounced (a delivery report).
    var result: String
    var ticketId: String?
    var created: Bool?
    var reason: String?
}

/// `GET/PUT /config/mail`: the settings, and what mail out did with them.
struct MailConfigBody: Codable, Sendable {
    var mail: TenantMail
    var outlet: OutletFigures?
    var mailboxes: [MailboxFigures]?

    /// A mailbox's fetch: the last message handed on, how many were, whether the server keeps
    /// Docket told of new mail (IDLE), and the last error.
    struct MailboxFigures: Codable, Sendable {
        var id: String
        var lastUid: Int
        var fetched: Int
        var quarantined: Int
        var idle: Bool?
        var lastError: String?
        var lastFetchAt: Date?

        init(_ state: MailboxState) {
            id = state.mailboxId
            lastUid = state.lastUid
            fetched = state.fetched
            quarantined = state.quarantined
            idle = state.idle
            lastError = state.lastError
            lastFetchAt = state.lastFetchAt
        }
    }

    /// Mail out's figures: mails sent and given up, the last error, and the mail waiting to be
    /// tried again.
    struct OutletFigures: Codable, Sendable {
        struct Retrying: Codable, Sendable {
            var attempts: Int
            var nextAttemptAt: Date
            var lastError: String
        }
        var sent: Int
        var failed: Int
        var lastError: String?
        var lastSentAt: Date?
        var retrying: Retrying?

        init(_ outlet: MailOutlet) {
            sent = outlet.sent
            failed = outlet.failed
            lastError = outlet.lastError
            lastSentAt = outlet.lastSentAt
            retrying = outlet.retry.map { Retrying(attempts: $0.attempts, nextAttemptAt: $0.nextAttemptAt, lastError: $0.lastError) }
        }
    }
}

struct ReplayRequest: Codable, Sendable {
    /// The pack (the tenant's own when absent).
    var pack: String?
    var version: String
}

struct RuleAuditEnvelope: Codable, Sendable {
    var ticketId: String
    var audit: [RuleAuditEntry]
}

struct BusinessHoursBody: Codable, Sendable { var calendar: BusinessCalendar }

struct PresenceListEnvelope: Encodable {
    var presence: [PresenceView]
}

struct PresenceEnvelope: Encodable {
    var presence: PresenceView
}
