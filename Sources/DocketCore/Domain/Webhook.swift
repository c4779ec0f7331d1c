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
    /// `webhook_disabled` (another endpoint's trouble, with its URL) and `agent_presence` (chatty)
    /// go only to an endpoint that asks for them by name.
    public func wants(_ event: LiveEvent) -> Bool {
        if event.type == .ruleWebhook { return event.endpoint == id }
        if event.type == .webhookDisabled || event.type == .agentPresence || event.type == .ruleMail { return events.contains(event.type.rawValue) }
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
    /// Whether `host` (an IPv4 or IPv6 literal, in any spelling a resolver takes) is loopback,
    /// private, link-local, unique-local, unspecified, reserved or otherwise not a public unicast
    /// address. IPv4 is read as `inet_aton` reads it — `2130706433`, `0x7f000001`, `0177.1` and
    /// `127.1` are all 127.0.0.1 — and a trailing dot is ignored; IPv6 that embeds an IPv4
    /// address (mapped, compatible, NAT64) follows the IPv4 rule.
    public static func isPrivate(_ host: String) -> Bool {
        var text = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        if let v4 = ipv4(text) { return isPrivate(v4: v4) }
        guard let v6 = ipv6(text) else { return false }
        let high = v6.prefix(12)
        let embedded = UInt32(v6[12]) << 24 | UInt32(v6[13]) << 16 | UInt32(v6[14]) << 8 | UInt32(v6[15])
        if high.allSatisfy({ $0 == 0 }) { return embedded <= 1 || isPrivate(v4: embedded) }  // ::, ::1, ::a.b.c.d
        if high.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) { return isPrivate(v4: embedded) }  // ::ffff:a.b.c.d
        if high.elementsEqual([0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) { return isPrivate(v4: embedded) }  // NAT64
        switch (v6[0], v6[1]) {
        case (0xFE, 0x80...0xBF), (0xFC...0xFD, _), (0xFF, _): return true  // link-local, unique-local, multicast
        case (0x20, 0x01) where v6[2] == 0x0D && v6[3] == 0xB8: return true  // documentation
        case (0x01, 0x00) where v6[2...7].allSatisfy({ $0 == 0 }): return true  // discard
        default: return false
        }
    }

    static func isPrivate(v4 address: UInt32) -> Bool {
        let (a, b, c) = (address >> 24, (address >> 16) & 0xFF, (address >> 8) & 0xFF)
        switch (a, b) {
        case (0, _), (10, _), (127, _), (169, 254), (192, 168), (240...255, _): return true
        case (100, 64...127), (172, 16...31), (198, 18...19): return true
        case (224...239, _): return true
        case (192, 0) where c == 0 || c == 2, (198, 51) where c == 100, (203, 0) where c == 113: return true
        default: return false
        }
    }

    /// An IPv4 address as `inet_aton` reads it: one to four parts, each decimal, octal (a
    /// leading 0) or hexadecimal (`0x`), the last filling the bytes left.
    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            let lower = part.lowercased()
            let value: UInt64?
            if lower.hasPrefix("0x") {
                value = lower.count == 2 ? 0 : UInt64(lower.dropFirst(2), radix: 16)
            } else if lower.hasPrefix("0"), lower.count > 1 {
                value = UInt64(lower.dropFirst(), radix: 8)
            } else {
                value = lower.isEmpty ? nil : UInt64(lower, radix: 10)
            }
            guard let value, value <= UInt64(UInt32.max) else { return nil }
            values.append(value)
        }
        let last = values.removeLast()
        guard values.allSatisfy({ $0 <= 255 }), last < (UInt64(1) << (8 * (4 - values.count))) else { return nil }
        var address = UInt32(last)
        for (index, value) in values.enumerated() { address |= UInt32(value) << (24 - 8 * index) }
        return address
    }

    /// An IPv6 literal's 16 bytes (`::` shortening and a trailing dotted IPv4 taken), or nil.
    static func ipv6(_ text: String) -> [UInt8]? {
        guard text.contains(":"), !text.contains("%") || text.split(separator: "%").count == 2 else { return nil }
        let address = text.split(separator: "%").first.map(String.init) ?? text
        let halves = address.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var out: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard piece.split(separator: ".").count == 4, let v4 = ipv4(String(piece)) else { return nil }
                    out += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    out.append(value)
                }
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// A host name that always means this machine or its network.
    public static func isLocalName(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name == "localhost" || name.hasSuffix(".localhost") || name.hasSuffix(".local") || name.hasSuffix(".internal")
    }
}
