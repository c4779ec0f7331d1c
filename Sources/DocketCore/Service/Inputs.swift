import Foundation

/// Explicit size limits on ticket input; each is enforced with a 422 naming the field.
public enum TicketLimits {
    public static let subject = 200
    public static let description = 20_000
    public static let note = 10_000
    public static let reason = 1_000
    public static let resolutionNotes = 10_000
    public static let feedbackComment = 2_000
    public static let tags = 20
    public static let tagLength = 50
    public static let attachments = 20
    public static let url = 2_048
    public static let shortText = 200
    public static let fields = 20
    public static let fieldValue = 500
}

public struct NewAttachment: Codable, Sendable, Equatable {
    public var url: String
    public var type: String?

    public init(url: String, type: String? = nil) {
        self.url = url
        self.type = type
    }
}

/// What a caller supplies to open a ticket.
public struct NewTicket: Codable, Sendable, Equatable {
    public var subject: String
    public var description: String
    public var category: String?
    public var subcategory: String?
    public var priority: Priority?
    public var customerId: String?
    public var conversationId: String?
    public var location: Location?
    public var tags: [String]?
    public var attachments: [NewAttachment]?
    public var source: TicketSource?
    /// Staff only: assign the new ticket to the caller.
    public var assignToSelf: Bool?
    /// Custom fields such as `orderId` or `promisedDate` that rules may read.
    public var fields: [String: String]?

    public init(
        subject: String, description: String, category: String? = nil, subcategory: String? = nil,
        priority: Priority? = nil, customerId: String? = nil, conversationId: String? = nil,
        location: Location? = nil, tags: [String]? = nil, attachments: [NewAttachment]? = nil,
        source: TicketSource? = nil, assignToSelf: Bool? = nil
    ) {
        self.subject = subject
        self.description = description
        self.category = category
        self.subcategory = subcategory
        self.priority = priority
        self.customerId = customerId
        self.conversationId = conversationId
        self.location = location
        self.tags = tags
        self.attachments = attachments
        self.source = source
        self.assignToSelf = assignToSelf
    }
}

/// General fields staff may change with `PUT /tickets/:id`; absent fields stay as they are.
/// Status, assignment and identity have their own operations.
public struct TicketPatch: Codable, Sendable, Equatable {
    public var subject: String?
    public var description: String?
    public var category: String?
    public var subcategory: String?
    public var priority: Priority?
    public var conversationId: String?
    public var location: Location?
    public var tags: [String]?
    public var attachments: [NewAttachment]?

    public init(
        subject: String? = nil, description: String? = nil, category: String? = nil, subcategory: String? = nil,
        priority: Priority? = nil, conversationId: String? = nil, location: Location? = nil, tags: [String]? = nil,
        attachments: [NewAttachment]? = nil
    ) {
        self.subject = subject
        self.description = description
        self.category = category
        self.subcategory = subcategory
        self.priority = priority
        self.conversationId = conversationId
        self.location = location
        self.tags = tags
        self.attachments = attachments
    }
}

public struct NewCustomer: Codable, Sendable, Equatable {
    public var id: String?
    public var phoneNumber: String?
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    /// A service tier such as `vip` (lowercase letters, digits, - or _).
    public var tier: String?
    /// An http(s) picture URL shown next to the customer's messages.
    public var avatarUrl: String?

    public init(
        id: String? = nil, phoneNumber: String? = nil, firstName: String? = nil, lastName: String? = nil, email: String? = nil,
        tier: String? = nil
    ) {
        self.id = id
        self.tier = tier
        self.phoneNumber = phoneNumber
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
    }
}

/// What an admin may change on an agent; absent fields stay as they are.
public struct AgentPatch: Codable, Sendable, Equatable {
    public var name: String?
    public var email: String?
    public var role: AgentRole?
    public var skills: [String]?
    public var capacity: Int?
    public var avatarUrl: String?
    /// False deactivates: the agent's sessions end, sign-in, routing and assignment stop.
    public var active: Bool?

    public init(
        name: String? = nil, email: String? = nil, role: AgentRole? = nil, skills: [String]? = nil, capacity: Int? = nil, active: Bool? = nil
    ) {
        self.name = name
        self.email = email
        self.role = role
        self.skills = skills
        self.capacity = capacity
        self.active = active
    }
}

public struct NewAgent: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var email: String?
    public var role: AgentRole?
    public var skills: [String]?
    public var capacity: Int?
    /// An http(s) picture URL shown next to the agent's messages.
    public var avatarUrl: String?

    public init(id: String? = nil, name: String, email: String? = nil, role: AgentRole? = nil, skills: [String]? = nil, capacity: Int? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.role = role
        self.skills = skills
        self.capacity = capacity
    }
}

enum Check {
    static func text(_ value: String, field: String, max: Int, required: Bool = true) throws -> String {
        let trimmed = value.trimmingWhitespace(newlines: true)
        if required, trimmed.isEmpty { throw DocketError.invalid(field, "must not be empty") }
        // A character is at least one byte: only a text of more bytes than `max` is counted.
        if trimmed.utf8.count > max, trimmed.count > max { throw DocketError.invalid(field, "must be at most \(max) characters") }
        return trimmed
    }

    static func optionalText(_ value: String?, field: String, max: Int) throws -> String? {
        guard let value else { return nil }
        let trimmed = try text(value, field: field, max: max, required: false)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// `value` trimmed and cut to `max` characters (nil when empty): for text a trusted party
    /// vouches for, where refusing would leave a user stuck (a widget customer's name).
    static func shortened(_ value: String?, max: Int) -> String? {
        guard let trimmed = value?.trimmingWhitespace(newlines: true), !trimmed.isEmpty else { return nil }
        return trimmed.count > max ? String(trimmed.prefix(max)).trimmingWhitespace(newlines: true) : trimmed
    }

    static func tags(_ tags: [String]?) throws -> [String] {
        guard let tags else { return [] }
        if tags.count > TicketLimits.tags { throw DocketError.invalid("tags", "at most \(TicketLimits.tags) tags") }
        var out: [String] = []
        for (index, raw) in tags.enumerated() {
            let tag = raw.trimmingWhitespace().lowercased()
            if tag.isEmpty || tag.count > TicketLimits.tagLength {
                throw DocketError.invalid("tags[\(index)]", "must be 1-\(TicketLimits.tagLength) characters")
            }
            if !out.contains(tag) { out.append(tag) }
        }
        return out
    }

    /// Custom fields: at most `TicketLimits.fields`, keys like `orderId` (letters, digits, _ -,
    /// up to 40), values up to `TicketLimits.fieldValue` characters.
    static func fields(_ fields: [String: String]?) throws -> [String: String]? {
        guard let fields, !fields.isEmpty else { return nil }
        if fields.count > TicketLimits.fields { throw DocketError.invalid("fields", "at most \(TicketLimits.fields) fields") }
        for (key, value) in fields {
            guard !key.isEmpty, key.count <= 40, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw DocketError.invalid("fields", "'\(key.prefix(40))' is not a field name (letters, digits, _ or -, up to 40)")
            }
            _ = try text(value, field: "fields.\(key)", max: TicketLimits.fieldValue, required: false)
        }
        return fields
    }

    static func identifier(_ value: String?, field: String) throws -> String? {
        guard let value else { return nil }
        if value.isEmpty || value.count > 64 || !value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:@".contains($0)) }) {
            throw DocketError.invalid(field, "must be 1-64 letters, digits or - _ . : @")
        }
        return value
    }

    static func url(_ value: String?, field: String) throws -> String? {
        guard let value else { return nil }
        guard value.count <= TicketLimits.url, let url = URL(string: value), let scheme = url.scheme?.lowercased(),
            ["http", "https"].contains(scheme), url.host != nil
        else { throw DocketError.invalid(field, "must be an http(s) URL") }
        return value
    }

    static func attachments(_ items: [NewAttachment]?, by: String, at: Date) throws -> [Attachment] {
        guard let items else { return [] }
        if items.count > TicketLimits.attachments {
            throw DocketError.invalid("attachments", "at most \(TicketLimits.attachments) attachments")
        }
        return try items.enumerated().map { index, item in
            _ = try url(item.url, field: "attachments[\(index)].url")
            let type = try optionalText(item.type, field: "attachments[\(index)].type", max: 50) ?? "file"
            return Attachment(url: item.url, type: type, uploadedBy: by, uploadedAt: at)
        }
    }

    static func location(_ location: Location?) throws -> Location? {
        guard var location else { return nil }
        location.address = try optionalText(location.address, field: "location.address", max: 500)
        location.description = try optionalText(location.description, field: "location.description", max: 1000)
        if let c = location.coordinates, !(-90...90).contains(c.latitude) || !(-180...180).contains(c.longitude) {
            throw DocketError.invalid("location.coordinates", "latitude must be within ±90 and longitude within ±180")
        }
        return location
    }

    /// Keeps a leading + and the digits: "+52 55 1234-5678" → "+525512345678". A number
    /// written with `00` or with no `+` but 11 digits or more carries its country code and gets
    /// the `+` ("525512345678" → "+525512345678"), so one number is one customer however it is
    /// written; shorter ones are local numbers and stay as they are.
    static func phone(_ value: String?) throws -> String? {
        guard let value else { return nil }
        var trimmed = value.trimmingWhitespace()
        if trimmed.hasPrefix("00") { trimmed = "+" + trimmed.dropFirst(2) }
        var out = trimmed.hasPrefix("+") ? "+" : ""
        for ch in trimmed where ch.isASCII && ch.isNumber { out.append(ch) }
        let allowed = Set(" -().+/")
        guard trimmed.allSatisfy({ ($0.isASCII && $0.isNumber) || allowed.contains($0) }),
            (7...15).contains(out.filter(\.isNumber).count)
        else { throw DocketError.invalid("phoneNumber", "must be a phone number of 7-15 digits") }
        if !out.hasPrefix("+"), out.count >= 11 { out = "+" + out }
        return out
    }
}
