import Foundation

/// An endpoint a tenant admin registered: Docket POSTs the tenant's events to it, signed with
/// its secret, in event order, each until it is taken (2xx) or 24 hours have passed.
public struct Webhook: Codable, Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var url: String
    /// Event types wanted (`ticket_created`, `new_message`…); empty: every stored event.
    public var events: [String]
    /// Signs every delivery (`Docket-Signature`); shown once, when the webhook is created.
    public var secret: String
    public var active: Bool
    /// Why it was disabled, when the server disabled it (it kept failing).
    public var disabledReason: String?
    /// The last event id this endpoint is done with (taken, or not among its events).
    public var cursor: Int
    /// The event being retried, when the last attempt failed.
    public var retry: WebhookRetry?
    /// The instance delivering to it now, and until when (several servers share the work).
    public var leaseOwner: String?
    public var leaseUntil: Date?
    public var createdAt: Date
    public var createdBy: String
    public var updatedAt: Date
    public var version: Int

    public init(
        id: String, tenantId: String, url: String, events: [String], secret: String, active: Bool = true, cursor: Int,
        createdAt: Date, createdBy: String
    ) {
        self.id = id
        self.tenantId = tenantId
        self.url = url
        self.events = events
        self.secret = secret
        self.active = active
        self.cursor = cursor
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.updatedAt = createdAt
        self.version = 1
    }

    /// Whether it takes `event`: one of the types it asked for (all when none), or a rule's
    /// `webhook` action addressed to it (whatever it asked for; never one for another endpoint).
    public func wants(_ event: LiveEvent) -> Bool {
        if event.type == .ruleWebhook { return event.endpoint == id }
        return !event.type.isEphemeral && (events.isEmpty || events.contains(event.type.rawValue))
    }

    /// The event types an endpoint may ask for.
    public static var subscribable: [String] {
        LiveEventType.allCases.filter { !$0.isEphemeral && $0 != .ruleWebhook }.map(\.rawValue)
    }

    /// What the API shows: never the secret.
    public var view: WebhookView {
        WebhookView(
            id: id, url: url, events: events, active: active, disabledReason: disabledReason, cursor: cursor,
            retrying: retry.map { WebhookView.Retrying(eventId: $0.eventId, attempts: $0.attempts, nextAttemptAt: $0.nextAttemptAt, lastError: $0.lastError) },
            createdAt: createdAt, createdBy: createdBy, updatedAt: updatedAt)
    }

    /// Retries of one event go on for this long; then the endpoint is disabled.
    public static let retryWindow: TimeInterval = 24 * 3600
    /// Backoff after attempt n: 2^n seconds (from 2 s), at most an hour, with ±20 % jitter.
    public static func backoff(after attempts: Int, jitter: Double) -> TimeInterval {
        min(3600, pow(2, Double(min(attempts, 20)))) * (0.8 + 0.4 * min(max(jitter, 0), 1))
    }
    /// Deliveries kept per endpoint in its log.
    public static let deliveriesKept = 200
    public static let maxPerTenant = 20
    public static let maxURLLength = 2048
}

public struct WebhookRetry: Codable, Sendable, Equatable {
    public var eventId: Int
    public var attempts: Int
    public var firstAttemptAt: Date
    public var nextAttemptAt: Date
    public var lastError: String

    public init(eventId: Int, attempts: Int, firstAttemptAt: Date, nextAttemptAt: Date, lastError: String) {
        self.eventId = eventId
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}

/// A webhook as the API shows it.
public struct WebhookView: Codable, Sendable, Equatable {
    public struct Retrying: Codable, Sendable, Equatable {
        public var eventId: Int
        public var attempts: Int
        public var nextAttemptAt: Date
        public var lastError: String
    }

    public var id: String
    public var url: String
    public var events: [String]
    public var active: Bool
    public var disabledReason: String?
    public var cursor: Int
    public var retrying: Retrying?
    public var createdAt: Date
    public var createdBy: String
    public var updatedAt: Date
}

/// One event sent (or being sent) to one endpoint: its log entry. The id is the delivery id
/// the receiver sees (`Docket-Delivery`), the same on every attempt and redelivery.
public struct WebhookDelivery: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Taken (2xx).
        case delivered
        /// Failed; it will be tried again.
        case retrying
        /// Failed for 24 hours: the endpoint was disabled.
        case failed
    }

    public var id: String
    public var tenantId: String
    public var webhookId: String
    public var eventId: Int
    public var event: String
    public var status: Status
    public var attempts: Int
    /// The last attempt: its HTTP status, or why there was none.
    public var statusCode: Int?
    public var error: String?
    public var durationMs: Int?
    public var lastAttemptAt: Date
    public var deliveredAt: Date?
    public var nextAttemptAt: Date?

    public static func id(webhook: String, event: Int) -> String { "\(webhook)-\(event)" }
}

/// The outcome of one POST to an endpoint.
public struct WebhookAttempt: Sendable, Equatable {
    public var statusCode: Int?
    public var error: String?
    public var durationMs: Int

    public init(statusCode: Int?, error: String?, durationMs: Int) {
        self.statusCode = statusCode
        self.error = error
        self.durationMs = durationMs
    }

    public var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
    /// One line for the log and the retry state.
    public var summary: String { error ?? statusCode.map { "answered \($0)" } ?? "no answer" }
}

/// What a tenant admin sends to register or change an endpoint.
public struct WebhookInput: Codable, Sendable, Equatable {
    public var url: String?
    public var events: [String]?
    public var active: Bool?

    public init(url: String? = nil, events: [String]? = nil, active: Bool? = nil) {
        self.url = url
        self.events = events
        self.active = active
    }
}

/// Which hosts a webhook may name: public addresses only, unless the setting allows private
/// and loopback ones (tests). Checked on the URL as written when it is registered, and on the
/// addresses its host resolves to before every delivery.
public enum WebhookAddressRule {
    /// Whether `host` (an IPv4 or IPv6 literal) is loopback, private, link-local, unique-local,
    /// unspecified or otherwise not a public unicast address.
    public static func isPrivate(_ host: String) -> Bool {
        let trimmed = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        let v4 = trimmed.split(separator: ".").compactMap { UInt8($0) }
        if v4.count == 4, trimmed.split(separator: ".").count == 4 {
            switch (v4[0], v4[1]) {
            case (0, _), (10, _), (127, _), (169, 254), (192, 168), (255, _): return true
            case (100, 64...127), (172, 16...31), (198, 18...19): return true
            case (224...239, _): return true
            default: return false
            }
        }
        guard trimmed.contains(":") else { return false }
        if trimmed == "::" || trimmed == "::1" { return true }
        if trimmed.hasPrefix("fe8") || trimmed.hasPrefix("fe9") || trimmed.hasPrefix("fea") || trimmed.hasPrefix("feb") { return true }
        if trimmed.hasPrefix("fc") || trimmed.hasPrefix("fd") || trimmed.hasPrefix("ff") { return true }
        // IPv4-mapped (::ffff:a.b.c.d) follows the IPv4 rule.
        if trimmed.hasPrefix("::ffff:") { return isPrivate(String(trimmed.dropFirst(7))) }
        return false
    }

    /// A host name that always means this machine or its network.
    public static func isLocalName(_ host: String) -> Bool {
        let name = host.lowercased()
        return name == "localhost" || name.hasSuffix(".localhost") || name.hasSuffix(".local") || name.hasSuffix(".internal")
    }
}
