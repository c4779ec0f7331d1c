import Foundation

/// The configuration keys a tenant may override on top of its pack.
public enum ConfigKey: String, Sendable, CaseIterable {
    case ticketCategories = "ticket_categories"
    case assistant = "assistant_configuration"
    case terminology = "ticket_terminology"
    case ticketIdFormat = "ticket_id_format"
    case businessHours = "business_hours"
    case mail

    /// Accepts both the plan's setting keys and the route names (`ticket-categories`...).
    public init?(name: String) {
        switch name {
        case "ticket_categories", "ticket-categories": self = .ticketCategories
        case "assistant_configuration", "assistant": self = .assistant
        case "ticket_terminology", "terminology": self = .terminology
        case "ticket_id_format", "ticket-id-format": self = .ticketIdFormat
        case "business_hours", "business-hours": self = .businessHours
        case "mail": self = .mail
        default: return nil
        }
    }
}

/// What a tenant changed on top of its pack. Nil means "use the pack's value".
public struct ConfigOverrides: Codable, Sendable, Equatable {
    public var categories: [TicketCategory]?
    public var assistant: AssistantConfiguration?
    public var terminology: Terminology?
    public var ticketIdFormat: TicketIDFormat?
    /// Business hours replacing the pack's SLA calendar.
    public var calendar: BusinessCalendar?
    /// Where the tenant receives mail (no pack sets it: without it the tenant takes no mail).
    public var mail: TenantMail?
    /// Who last changed each key, and when.
    public var changes: [String: ConfigChange]

    public init() { changes = [:] }
}

public struct ConfigChange: Codable, Sendable, Equatable {
    public var updatedBy: String
    public var updatedAt: Date
}

/// One switch of a tenant's active pack version.
public struct PackActivation: Codable, Sendable, Equatable {
    public var packId: String
    public var version: String
    public var previous: String?
    public var by: String
    public var at: Date
    /// `activated`, `rollback`, `shipped_upgrade`, `created`.
    public var reason: String

    public init(packId: String, version: String, previous: String?, by: String, at: Date, reason: String) {
        self.packId = packId
        self.version = version
        self.previous = previous
        self.by = by
        self.at = at
        self.reason = reason
    }
}

/// A tenant: its pack (the defaults) and its overrides.
public struct Tenant: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// The manifest of the active pack version (`pack.id`, `pack.version`).
    public var pack: PackManifest
    public var overrides: ConfigOverrides
    /// Set once an admin chose a version: newer shipped versions then no longer replace it.
    public var packPinned: Bool?
    /// The latest pack switches, newest last (at most 50).
    public var packHistory: [PackActivation]?
    /// The staged rollout running now, if any (its record: `RolloutStore`).
    public var rollout: RolloutPlan?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public init(id: String, name: String, pack: PackManifest, createdAt: Date) {
        self.id = id
        self.name = name
        self.pack = pack
        self.overrides = ConfigOverrides()
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.version = 1
    }

    public var categories: [TicketCategory] { overrides.categories ?? pack.categories }
    public var assistant: AssistantConfiguration { overrides.assistant ?? pack.assistant }
    public var terminology: Terminology { overrides.terminology ?? pack.terminology }
    public var ticketIdFormat: TicketIDFormat { overrides.ticketIdFormat ?? pack.ticketIdFormat }
    /// The SLA calendar in force: the tenant's, else the pack's, else 24/7 in the pack's zone.
    public var businessHours: BusinessCalendar { overrides.calendar ?? pack.sla.calendar ?? .allDay(pack.timeZone) }
    public var workflow: Workflow { pack.workflow }
    public var sla: SLAPolicy { pack.sla }
    public var queues: [QueueDefinition] { pack.queues ?? [] }
    public var timeZone: TimeZone { TimeZones.named(pack.timeZone) ?? .gmt }

    /// Active categories tickets may be filed under.
    public func category(_ id: String) -> TicketCategory? { categories.first { $0.id == id && $0.active } }
}
