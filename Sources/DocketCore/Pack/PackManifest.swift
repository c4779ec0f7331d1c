import Foundation

/// The data half of an industry pack (`pack.yaml`): what a tenant is configured from.
public struct PackManifest: Codable, Sendable, Equatable {
    public var id: String
    public var version: String
    public var name: String
    /// Primary language of labels and terminology (BCP 47, e.g. `es`).
    public var locale: String
    /// IANA time zone used for the ticket-number year and, later, business hours.
    public var timeZone: String
    /// Category used when a ticket arrives without one.
    public var defaultCategory: String
    public var categories: [TicketCategory]
    public var assistant: AssistantConfiguration
    public var terminology: Terminology
    public var ticketIdFormat: TicketIDFormat
    public var workflow: Workflow
    public var sla: SLAPolicy
    /// Work queues rules may route tickets to.
    public var queues: [QueueDefinition]?
    /// Rule files in evaluation order, with the events each handles.
    public var rules: [RuleFileSpec]?
    /// Mails rules may send to a ticket's customer (`send_mail`), by name, and the words of
    /// Docket's own mails under the reserved names (`MailTemplate.reserved`).
    public var mailTemplates: [String: MailTemplate]?

    public init(
        id: String, version: String, name: String, locale: String, timeZone: String, defaultCategory: String,
        categories: [TicketCategory], assistant: AssistantConfiguration, terminology: Terminology,
        ticketIdFormat: TicketIDFormat, workflow: Workflow, sla: SLAPolicy, queues: [QueueDefinition]? = nil,
        rules: [RuleFileSpec]? = nil
    ) {
        self.id = id
        self.version = version
        self.name = name
        self.locale = locale
        self.timeZone = timeZone
        self.defaultCategory = defaultCategory
        self.categories = categories
        self.assistant = assistant
        self.terminology = terminology
        self.ticketIdFormat = ticketIdFormat
        self.workflow = workflow
        self.sla = sla
        self.queues = queues
        self.rules = rules
    }
}

/// A mail written from a pack's words: its subject and text, and optionally an HTML
/// alternative, in which placeholders (`{{ticket.id}}`...) stand for the values when it is
/// sent. A template with any other name is one rules send (`send_mail { template = "name" }`);
/// the reserved names replace the words of Docket's own mails: `reply` (an agent's answer),
/// `acknowledgement` (a new ticket received), `assigned`, `sla_warning` and `sla_breached`
/// (notices to staff), `invitation` and `password_reset` (one-time password links). Each
/// reserved name may use more placeholders (see `placeholders(for:)`). Without `html`, the HTML
/// alternative is the text, escaped; with it, every value put into it is escaped
/// (`{{message.text}}` becomes paragraphs, `{{quoted}}` a block quote).
public struct MailTemplate: Codable, Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String?

    public init(subject: String, text: String, html: String? = nil) {
        self.subject = subject
        self.text = text
        self.html = html
    }

    /// What every template may use: the ticket as it is when the mail is written.
    public static let placeholders = [
        "ticket.id", "ticket.subject", "ticket.status", "ticket.priority", "ticket.category", "customer.name", "agent.name", "tenant.name",
    ]
    /// The names of Docket's own mails a pack may word, and what each adds to `placeholders`
    /// (the password links say no ticket: they have only their own).
    public static let reserved: [String: [String]] = [
        "reply": placeholders + ["message.text", "message.author", "quoted"],
        "acknowledgement": placeholders + ["message.text"],
        "assigned": placeholders,
        "sla_warning": placeholders + ["sla.target", "sla.due"],
        "sla_breached": placeholders + ["sla.target", "sla.due"],
        "invitation": ["agent.name", "tenant.name", "link.url", "link.expires"],
        "password_reset": ["agent.name", "tenant.name", "link.url", "link.expires"],
    ]
    /// The placeholders the template called `name` may use.
    public static func placeholders(for name: String) -> [String] { reserved[name] ?? placeholders }
    public static let maxSubject = 200
    public static let maxText = 10_000
    public static let maxHTML = 20_000
    public static let maxTemplates = 50

    /// A template's text cut at its placeholders: literal runs and placeholder names, in order.
    enum Piece: Equatable {
        case literal(Substring)
        case placeholder(String)
    }

    /// The one scanner of `{{ }}`: an opening without its closing stays text.
    static func pieces(_ text: String) -> [Piece] {
        var out: [Piece] = []
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            if open.lowerBound > rest.startIndex { out.append(.literal(rest[..<open.lowerBound])) }
            out.append(.placeholder(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { out.append(.literal(rest)) }
        return out
    }

    /// The names between `{{` and `}}` in `text`, in order.
    static func names(in text: String) -> [String] {
        pieces(text).compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    /// `text` with each placeholder replaced by its value (nothing for one without a value);
    /// `oneLine` turns a line break in a value into a space, so a subject stays one line.
    public static func render(_ text: String, _ values: [String: String], oneLine: Bool = false) -> String {
        var out = ""
        for piece in pieces(text) {
            switch piece {
            case .literal(let literal): out += literal
            case .placeholder(let name):
                let value = values[name] ?? ""
                out += oneLine ? value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ") : value
            }
        }
        return out
    }

    /// Problems with a pack's templates.
    static func problems(_ templates: [String: MailTemplate]) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if templates.count > maxTemplates { problems.append(.init("mailTemplates", "at most \(maxTemplates) templates")) }
        for (name, template) in templates.sorted(by: { $0.key < $1.key }) {
            let field = "mailTemplates.\(name)"
            if !Identifier.isValid(name) { problems.append(.init(field, "'\(name)' must be lowercase letters, digits, - or _")) }
            let subject = template.subject.trimmingCharacters(in: .whitespaces)
            if subject.isEmpty || subject.count > maxSubject || subject.contains(where: \.isNewline) {
                problems.append(.init("\(field).subject", "1 to \(maxSubject) characters on one line"))
            }
            if template.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || template.text.count > maxText {
                problems.append(.init("\(field).text", "1 to \(maxText) characters"))
            }
            if let html = template.html, html.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || html.count > maxHTML {
                problems.append(.init("\(field).html", "1 to \(maxHTML) characters, or no html"))
            }
            let allowed = placeholders(for: name)
            for (part, text) in [("subject", template.subject), ("text", template.text), ("html", template.html ?? "")] {
                for unknown in names(in: text) where !allowed.contains(unknown) {
                    let what = reserved[name] == nil ? "a placeholder" : "a placeholder of '\(name)'"
                    problems.append(.init("\(field).\(part)", "'{{\(unknown)}}' is not \(what) (\(allowed.map { "{{\($0)}}" }.joined(separator: ", ")))"))
                }
            }
        }
        return problems
    }
}

/// A work queue. Agents with one of its skills work it (every agent when it lists none).
public struct QueueDefinition: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var skills: [String]?

    public init(id: String, name: String, skills: [String]? = nil) {
        self.id = id
        self.name = name
        self.skills = skills
    }
}

/// A rule file and the events it handles (`on_ticket_created` for `ticket.created`...).
public struct RuleFileSpec: Codable, Sendable, Equatable {
    /// Path inside the pack, e.g. `rules/triage.lua`.
    public var file: String
    public var events: [String]

    public init(file: String, events: [String]) {
        self.file = file
        self.events = events
    }
}

public struct TicketCategory: Codable, Sendable, Equatable {
    public var id: String
    /// Label in the pack's language.
    public var label: String
    public var labelEn: String?
    public var icon: String?
    public var color: String?
    public var description: String?
    public var active: Bool

    public init(
        id: String, label: String, labelEn: String? = nil, icon: String? = nil, color: String? = nil,
        description: String? = nil, active: Bool = true
    ) {
        self.id = id
        self.label = label
        self.labelEn = labelEn
        self.icon = icon
        self.color = color
        self.description = description
        self.active = active
    }

    enum CodingKeys: String, CodingKey { case id, label, labelEn, icon, color, description, active }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        label = try c.decode(String.self, forKey: .label)
        labelEn = try c.decodeIfPresent(String.self, forKey: .labelEn)
        icon = try c.decodeIfPresent(String.self, forKey: .icon)
        color = try c.decodeIfPresent(String.self, forKey: .color)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        active = try c.decodeIfPresent(Bool.self, forKey: .active) ?? true
    }
}

public struct AssistantConfiguration: Codable, Sendable, Equatable {
    public var assistantName: String
    public var companyName: String
    public var primaryServiceIssue: String
    public var serviceType: String
    public var ticketNoun: String
    public var ticketNounPlural: String
    public var language: String

    public init(
        assistantName: String, companyName: String, primaryServiceIssue: String, serviceType: String, ticketNoun: String,
        ticketNounPlural: String, language: String
    ) {
        self.assistantName = assistantName
        self.companyName = companyName
        self.primaryServiceIssue = primaryServiceIssue
        self.serviceType = serviceType
        self.ticketNoun = ticketNoun
        self.ticketNounPlural = ticketNounPlural
        self.language = language
    }
}

public struct Terminology: Codable, Sendable, Equatable {
    public var ticketSingular: String
    public var ticketPlural: String
    public var createVerb: String
    public var customerNoun: String
    public var agentNoun: String
    public var resolveVerb: String

    public init(
        ticketSingular: String, ticketPlural: String, createVerb: String, customerNoun: String, agentNoun: String, resolveVerb: String
    ) {
        self.ticketSingular = ticketSingular
        self.ticketPlural = ticketPlural
        self.createVerb = createVerb
        self.customerNoun = customerNoun
        self.agentNoun = agentNoun
        self.resolveVerb = resolveVerb
    }
}

/// How human ticket IDs look: `LUX-2026-000001`.
public struct TicketIDFormat: Codable, Sendable, Equatable {
    public var prefix: String
    public var separator: String
    public var includeYear: Bool
    public var padLength: Int
    /// When true the sequence starts again at 1 every year.
    public var resetYearly: Bool

    public init(prefix: String, separator: String, includeYear: Bool, padLength: Int, resetYearly: Bool) {
        self.prefix = prefix
        self.separator = separator
        self.includeYear = includeYear
        self.padLength = padLength
        self.resetYearly = resetYearly
    }

    /// The counter bucket a ticket created in `year` draws its number from.
    public func counterYear(for year: Int) -> Int { resetYearly ? year : 0 }

    public func format(number: Int, year: Int) -> String {
        var digits = String(number)
        if digits.count < padLength {
            digits = String(repeating: "0", count: padLength - digits.count) + digits
        }
        return includeYear ? "\(prefix)\(separator)\(year)\(separator)\(digits)" : "\(prefix)\(separator)\(digits)"
    }

    /// Problems with this format, each naming its field.
    public func problems(fieldPrefix: String) -> [FieldProblem] {
        var out: [FieldProblem] = []
        if prefix.isEmpty || prefix.count > 10 || !prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            out.append(.init("\(fieldPrefix)prefix", "must be 1-10 ASCII letters or digits"))
        }
        if separator.count > 3 || !separator.allSatisfy({ "-_./".contains($0) }) {
            out.append(.init("\(fieldPrefix)separator", "must be up to 3 of the characters - _ . /"))
        }
        if !(1...12).contains(padLength) {
            out.append(.init("\(fieldPrefix)padLength", "must be between 1 and 12"))
        }
        return out
    }
}

/// A status of the workflow and where it may go next.
public struct StatusDefinition: Codable, Sendable, Equatable {
    public var id: String
    public var label: String
    public var labelEn: String?
    public var transitions: [String]
    /// Status the ticket moves to when the customer writes while in this status.
    public var onCustomerReply: String?

    public init(id: String, label: String, labelEn: String?, transitions: [String], onCustomerReply: String?) {
        self.id = id
        self.label = label
        self.labelEn = labelEn
        self.transitions = transitions
        self.onCustomerReply = onCustomerReply
    }
}

/// The status workflow with the statuses that carry meaning for the lifecycle.
public struct Workflow: Codable, Sendable, Equatable {
    /// Status of a new ticket.
    public var initial: String
    /// Status a ticket in `initial` moves to when assigned or claimed.
    public var onAssign: String?
    /// Entering this status records the first response.
    public var firstResponse: String
    public var resolved: String
    public var closed: String
    public var statuses: [StatusDefinition]

    public func status(_ id: String) -> StatusDefinition? { statuses.first { $0.id == id } }

    public func allowedTransitions(from id: String) -> [String] { status(id)?.transitions ?? [] }

    public func canTransition(from: String, to: String) -> Bool { allowedTransitions(from: from).contains(to) }

    public init(
        initial: String, onAssign: String?, firstResponse: String, resolved: String, closed: String, statuses: [StatusDefinition]
    ) {
        self.initial = initial
        self.onAssign = onAssign
        self.firstResponse = firstResponse
        self.resolved = resolved
        self.closed = closed
        self.statuses = statuses
    }
}

/// Response and resolution targets for one priority.
public struct SLATarget: Codable, Sendable, Equatable {
    public var firstResponseSeconds: Int
    public var resolutionSeconds: Int
    /// Each time a customer writes after staff answered: time for the next staff reply.
    public var nextReplySeconds: Int?
    /// Counted around the clock, whatever the calendar says (e.g. urgent tickets).
    public var allDay: Bool?

    public init(firstResponseSeconds: Int, resolutionSeconds: Int, nextReplySeconds: Int? = nil, allDay: Bool? = nil) {
        self.firstResponseSeconds = firstResponseSeconds
        self.resolutionSeconds = resolutionSeconds
        self.nextReplySeconds = nextReplySeconds
        self.allDay = allDay
    }

    enum CodingKeys: String, CodingKey { case firstResponse, resolution, nextReply, allDay }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        firstResponseSeconds = try DurationText.decode(c, .firstResponse)
        resolutionSeconds = try DurationText.decode(c, .resolution)
        nextReplySeconds = c.contains(.nextReply) ? try DurationText.decode(c, .nextReply) : nil
        allDay = try c.decodeIfPresent(Bool.self, forKey: .allDay)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(DurationText.format(firstResponseSeconds), forKey: .firstResponse)
        try c.encode(DurationText.format(resolutionSeconds), forKey: .resolution)
        if let nextReplySeconds { try c.encode(DurationText.format(nextReplySeconds), forKey: .nextReply) }
        try c.encodeIfPresent(allDay, forKey: .allDay)
    }
}

/// When a clock warns: at `percent` of the target elapsed or `minutesBefore` the due time,
/// whichever comes first.
public struct SLAWarning: Codable, Sendable, Equatable {
    public var percent: Int
    public var minutesBefore: Int

    public init(percent: Int = 75, minutesBefore: Int = 15) {
        self.percent = percent
        self.minutesBefore = minutesBefore
    }
}

/// A named set of targets, chosen by category or queue (first match) or by a rule's
/// `set_sla_policy` action.
public struct NamedSLAPolicy: Codable, Sendable, Equatable {
    public struct Match: Codable, Sendable, Equatable {
        public var categories: [String]?
        public var queues: [String]?
    }

    public var name: String
    public var match: Match?
    public var targets: [String: SLATarget]

    public init(name: String, match: Match?, targets: [String: SLATarget]) {
        self.name = name
        self.match = match
        self.targets = targets
    }
}

public struct SLAPolicy: Codable, Sendable, Equatable {
    /// Targets keyed by priority name.
    public var targets: [String: SLATarget]
    /// Business hours the clocks count in; 24/7 in the pack's zone when absent.
    public var calendar: BusinessCalendar?
    /// Statuses that stop the clocks while a ticket is in them (default: `pending_customer`).
    public var pauseStatuses: [String]?
    public var warning: SLAWarning?
    public var policies: [NamedSLAPolicy]?

    public func target(for priority: Priority) -> SLATarget {
        targets[priority.rawValue] ?? SLATarget(firstResponseSeconds: 4 * 3600, resolutionSeconds: 72 * 3600)
    }

    /// The targets for a ticket: its named policy (set by a rule), else the first policy matching
    /// its category or queue, else the pack's targets; then its priority.
    public func target(for priority: Priority, policy: String?, category: String, queue: String?) -> (SLATarget, String?) {
        if let policy, let named = policies?.first(where: { $0.name == policy }), let target = named.targets[priority.rawValue] {
            return (target, named.name)
        }
        for named in policies ?? [] {
            guard let match = named.match else { continue }
            let byCategory = match.categories?.contains(category) ?? false
            let byQueue = queue.map { match.queues?.contains($0) ?? false } ?? false
            if byCategory || byQueue, let target = named.targets[priority.rawValue] { return (target, named.name) }
        }
        return (target(for: priority), nil)
    }

    public var paused: [String] { pauseStatuses ?? ["pending_customer"] }

    public init(targets: [String: SLATarget], calendar: BusinessCalendar? = nil) {
        self.targets = targets
        self.calendar = calendar
    }
}

/// Durations written as `15m`, `4h`, `7d`, `1h30m`, `90s`.
public enum DurationText {
    public static func parse(_ text: String) -> Int? {
        var total = 0
        var digits = ""
        var sawUnit = false
        for ch in text.trimmingCharacters(in: .whitespaces) {
            if ch.isASCII, ch.isNumber {
                digits.append(ch)
                continue
            }
            guard let value = Int(digits) else { return nil }
            let unit: Int
            switch ch {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            case "w": unit = 7 * 86400
            default: return nil
            }
            total += value * unit
            digits = ""
            sawUnit = true
        }
        guard digits.isEmpty, sawUnit, total > 0 else { return nil }
        return total
    }

    public static func format(_ seconds: Int) -> String {
        var rest = seconds
        var out = ""
        for (unit, name) in [(86400, "d"), (3600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            out += "\(rest / unit)\(name)"
            rest %= unit
        }
        return out.isEmpty ? "0s" : out
    }

    static func decode<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> Int {
        let text = try c.decode(String.self, forKey: key)
        guard let seconds = parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c,
                debugDescription: "'\(text)' is not a duration such as 15m, 4h, 7d")
        }
        return seconds
    }
}
