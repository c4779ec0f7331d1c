import Foundation

/// A mailbox as a mail names it: the display name (decoded), and the address.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public var name: String?
    /// As written, but for the domain, which is lower-cased (domains are case-insensitive; a
    /// local part is the receiving system's to interpret, so it is kept).
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name.flatMap { $0.isEmpty ? nil : $0 }
        if let at = address.lastIndex(of: "@") {
            self.address = String(address[..<at]) + "@" + address[address.index(after: at)...].lowercased()
        } else {
            self.address = address
        }
    }

    /// The address compared as a customer's identity: lower-cased whole.
    public var key: String { address.lowercased() }

    public var description: String { name.map { "\($0) <\(address)>" } ?? address }
}

/// Where a tenant receives mail: the addresses its mail server delivers to Docket. A mail to one
/// of them, or to one with a `+tag` (`soporte+LUX-2026-000042@…`), is the tenant's.
public struct TenantMail: Codable, Sendable, Equatable {
    public var addresses: [String]
    /// The address mail out is sent from (the first of `addresses` when nil).
    public var from: String?
    /// Where mail out leaves; nil: Docket sends no mail for the tenant.
    public var relay: MailRelay?
    /// At most this many acknowledgements of a new ticket go to one sender in an hour (nil:
    /// `defaultAcknowledgements`; 0: none). An acknowledgement is never sent for a machine's
    /// mail, and its `Auto-Submitted: auto-replied` tells the other side's machines not to answer.
    public var acknowledgementsPerHour: Int?
    /// The keys mail out is signed with, one per sending domain (DKIM).
    public var dkim: [DKIMKey]?
    /// Whether staff are told by mail when a ticket is assigned to them and when an SLA target
    /// is near or missed (the assignee and the supervisors); nil: yes.
    public var notifyStaff: Bool?
    /// Mailboxes Docket fetches over IMAP, for a team whose mail lives at a provider.
    public var mailboxes: [MailMailbox]?

    public init(
        addresses: [String], from: String? = nil, relay: MailRelay? = nil, acknowledgementsPerHour: Int? = nil, dkim: [DKIMKey]? = nil,
        notifyStaff: Bool? = nil, mailboxes: [MailMailbox]? = nil
    ) {
        self.notifyStaff = notifyStaff
        self.mailboxes = mailboxes
        self.addresses = addresses
        self.from = from
        self.relay = relay
        self.acknowledgementsPerHour = acknowledgementsPerHour
        self.dkim = dkim
    }

    /// The key that signs mail from `address`'s domain, if there is one.
    public func signingKey(for address: String) -> DKIMKey? {
        let domain = address.split(separator: "@").last.map { $0.lowercased() } ?? ""
        return dkim?.first { $0.domain == domain && $0.privateKey != nil }
    }

    public static let defaultAcknowledgements = 3
    public static let maxAcknowledgements = 20

    /// How many acknowledgements one sender may get in an hour.
    public var acknowledgements: Int { acknowledgementsPerHour ?? Self.defaultAcknowledgements }

    /// The address mail out comes from, if the tenant sends any.
    public var sender: String? { relay == nil ? nil : from ?? addresses.first }

    /// As an API answer shows it: the relay's password and the DKIM private keys left out
    /// (`passwordSet` says there is a password; each key shows the DNS record to publish).
    public var shown: TenantMail {
        var copy = self
        copy.dkim = dkim?.map(\.shown)
        copy.mailboxes = mailboxes?.map { mailbox in
            var shown = mailbox
            shown.passwordSet = mailbox.password != nil
            shown.password = nil
            return shown
        }
        if let relay {
            copy.relay?.passwordSet = relay.password != nil
            copy.relay?.password = nil
        }
        return copy
    }

    /// This configuration checked and normalised, as an admin's PUT stores it: a relay that
    /// names the same host and user as `previous`'s, without a password, keeps the stored one.
    public func validated(keeping previous: TenantMail?) throws -> TenantMail {
        var out = TenantMail(addresses: try Self.normalized(addresses))
        out.notifyStaff = notifyStaff
        if let acknowledgementsPerHour {
            guard (0...Self.maxAcknowledgements).contains(acknowledgementsPerHour) else {
                throw DocketError.invalid("acknowledgementsPerHour", "from 0 (none) to \(Self.maxAcknowledgements) acknowledgements per sender per hour")
            }
            out.acknowledgementsPerHour = acknowledgementsPerHour
        }
        if let from {
            out.from = try Self.normalized([from], field: "from").first
        }
        if let dkim {
            guard dkim.count <= Self.maxDKIMKeys else { throw DocketError.invalid("dkim", "at most \(Self.maxDKIMKeys) keys, one per sending domain") }
            var domains = Set<String>()
            out.dkim = try dkim.enumerated().map { index, key in
                var checked = try key.validated(field: "dkim[\(index)]")
                guard domains.insert(checked.domain).inserted else { throw DocketError.invalid("dkim[\(index)].domain", "one key per domain: '\(checked.domain)' is listed twice") }
                if checked.privateKey == nil, let old = previous?.dkim?.first(where: { $0.domain == checked.domain && $0.selector == checked.selector }) {
                    checked.privateKey = old.privateKey
                    checked.publicKey = old.publicKey
                }
                return checked
            }
        }
        if var relay {
            relay.passwordSet = nil
            let host = try Self.host(relay.host, field: "relay.host")
            relay.host = host
            guard (1...65_535).contains(relay.port) else { throw DocketError.invalid("relay.port", "a port from 1 to 65535") }
            if let username = relay.username {
                guard (1...256).contains(username.utf8.count), !username.contains(where: \.isNewline) else {
                    throw DocketError.invalid("relay.username", "1 to 256 bytes, on one line")
                }
            }
            if let password = relay.password {
                guard relay.username != nil else { throw DocketError.invalid("relay.password", "a password goes with a username") }
                guard (1...256).contains(password.utf8.count), !password.contains(where: \.isNewline) else {
                    throw DocketError.invalid("relay.password", "1 to 256 bytes, on one line")
                }
            } else if let old = previous?.relay, old.host == relay.host, old.username == relay.username {
                relay.password = old.password
            }
            if relay.username != nil, relay.password == nil { throw DocketError.invalid("relay.password", "a username needs its password") }
            if relay.username != nil, relay.security == .none, !Self.isLoopback(host) {
                throw DocketError.invalid("relay.security", "a password is only sent over TLS: starttls or tls (none only for a relay on this machine)")
            }
            guard !out.addresses.isEmpty || out.from != nil else {
                throw DocketError.invalid("from", "mail out needs an address to come from: set from, or addresses")
            }
            out.relay = relay
        }
        if let mailboxes {
            guard mailboxes.count <= MailMailbox.maxPerTenant else { throw DocketError.invalid("mailboxes", "at most \(MailMailbox.maxPerTenant) mailboxes") }
            var ids = Set<String>()
            out.mailboxes = try mailboxes.enumerated().map { index, mailbox in
                let checked = try mailbox.validated(
                    field: "mailboxes[\(index)]", addresses: out.addresses, keeping: previous?.mailboxes?.first { $0.id == mailbox.id })
                guard ids.insert(checked.id).inserted else { throw DocketError.invalid("mailboxes[\(index)].id", "'\(checked.id)' is listed twice") }
                return checked
            }
        }
        return out
    }

    /// A host name or address as kept (trimmed, lower-cased), or the problem with it.
    static func host(_ raw: String, field: String) throws -> String {
        let host = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard (1...253).contains(host.utf8.count), host.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || ".-:[]".unicodeScalars.contains($0) })
        else { throw DocketError.invalid(field, "a host name or address (letters, digits, '.', '-', ':'), at most 253 characters") }
        return host
    }

    /// Whether `host` is this machine (where a password may travel without TLS).
    public static func isLoopback(_ host: String) -> Bool { ["localhost", "::1"].contains(host.lowercased()) || host.hasPrefix("127.") }

    public static let maxAddresses = 20
    public static let maxDKIMKeys = 10

    /// The addresses as kept: trimmed and lower-cased; or the first problem with them.
    public static func normalized(_ addresses: [String], field: String = "addresses") throws -> [String] {
        guard addresses.count <= maxAddresses else { throw DocketError.invalid(field, "at most \(maxAddresses) addresses") }
        var seen: Set<String> = []
        var out: [String] = []
        for (index, raw) in addresses.enumerated() {
            let address = raw.trimmingCharacters(in: .whitespaces).lowercased()
            let parts = address.split(separator: "@", omittingEmptySubsequences: false)
            guard address.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
                !parts[1].hasSuffix("."), !address.contains("+"),
                address.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !"<>()[]\\,;:\"".unicodeScalars.contains($0) })
            else {
                throw DocketError.invalid(field == "addresses" ? "addresses[\(index)]" : field, "'\(raw.prefix(254))' is not an address mail can be sent to (local@domain, without a +tag)")
            }
            guard seen.insert(address).inserted else { throw DocketError.invalid("\(field)[\(index)]", "'\(address)' is listed twice") }
            out.append(address)
        }
        return out
    }

    /// `address` without its `+tag`, lower-cased, and the tag as written (nil when there is none).
    public static func split(_ address: String) -> (base: String, tag: String?) {
        guard let at = address.lastIndex(of: "@"), let plus = address[..<at].firstIndex(of: "+") else { return (address.lowercased(), nil) }
        return ((address[..<plus] + address[at...]).lowercased(), String(address[address.index(after: plus)..<at]))
    }
}

/// A file a mail carried (or an inline image). `data` is the decoded content, cut at the
/// parser's per-part limit (`truncated`).
public struct MailAttachment: Sendable, Hashable {
    public var filename: String?
    public var contentType: String
    public var contentId: String?
    public var data: [UInt8]
    public var truncated: Bool

    public init(filename: String?, contentType: String, contentId: String?, data: [UInt8], truncated: Bool) {
        self.filename = filename
        self.contentType = contentType
        self.contentId = contentId
        self.data = data
        self.truncated = truncated
    }
}

/// The headers that say whether a mail was sent by a machine, and whether it may be answered.
public struct MailMarkers: Sendable, Hashable {
    public var autoSubmitted: String?
    public var precedence: String?
    public var listId: String?
    public var autoResponseSuppress: String?
    /// X-Autoreply / X-Autorespond: older responders' own marks.
    public var autoreply: String?
    /// Docket's own mark on every mail it sends (`X-Docket-Origin`): a mail that comes back is recognised by it.
    public var docketOrigin: String?
    public var contentType: String?

    public init(
        autoSubmitted: String? = nil, precedence: String? = nil, listId: String? = nil, autoResponseSuppress: String? = nil,
        autoreply: String? = nil, docketOrigin: String? = nil, contentType: String? = nil
    ) {
        self.autoSubmitted = autoSubmitted
        self.precedence = precedence
        self.listId = listId
        self.autoResponseSuppress = autoResponseSuppress
        self.autoreply = autoreply
        self.docketOrigin = docketOrigin
        self.contentType = contentType
    }
}

/// A mail as it arrived, parsed: who wrote it to whom, what it answers, what it says (as text
/// safe to show: HTML is turned into text, never kept as markup) and what it carried.
public struct InboundMail: Sendable, Hashable {
    /// Without the angle brackets.
    public var messageId: String?
    public var inReplyTo: [String]
    public var references: [String]
    public var subject: String
    public var from: MailAddress?
    public var sender: MailAddress?
    public var replyTo: [MailAddress]
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var date: Date?
    public var markers: MailMarkers
    /// The body as plain text: the mail's text/plain part, or its HTML part made text.
    public var text: String
    /// The text came from HTML (there was no plain alternative).
    public var textFromHTML: Bool
    /// The body was longer than the parser's limit and was cut.
    public var textTruncated: Bool
    public var attachments: [MailAttachment]

    public init(
        messageId: String? = nil, inReplyTo: [String] = [], references: [String] = [], subject: String = "", from: MailAddress? = nil,
        sender: MailAddress? = nil, replyTo: [MailAddress] = [], to: [MailAddress] = [], cc: [MailAddress] = [], date: Date? = nil,
        markers: MailMarkers = .init(), text: String = "", textFromHTML: Bool = false, textTruncated: Bool = false, attachments: [MailAttachment] = []
    ) {
        self.messageId = messageId
        self.inReplyTo = inReplyTo
        self.references = references
        self.subject = subject
        self.from = from
        self.sender = sender
        self.replyTo = replyTo
        self.to = to
        self.cc = cc
        self.date = date
        self.markers = markers
        self.text = text
        self.textFromHTML = textFromHTML
        self.textTruncated = textTruncated
        self.attachments = attachments
    }
}

/// A mail Docket sends: the envelope and the message, before it is written as MIME.
public struct OutgoingMail: Sendable, Hashable {
    public var from: MailAddress
    public var to: MailAddress
    public var replyTo: String?
    public var subject: String
    /// Without the angle brackets.
    public var messageId: String
    public var inReplyTo: String?
    public var references: [String]
    public var date: Date
    public var text: String
    /// The HTML alternative, or nil for a text-only mail.
    public var html: String?
    /// Further headers, in order (`X-Docket-Origin`, `Auto-Submitted`...).
    public var headers: [(String, String)]
    /// Further recipients that get the mail without being named in it (the envelope's only).
    public var bcc: [String] = []

    public init(
        from: MailAddress, to: MailAddress, replyTo: String? = nil, subject: String, messageId: String, inReplyTo: String? = nil,
        references: [String] = [], date: Date, text: String, html: String? = nil, headers: [(String, String)] = []
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.messageId = messageId
        self.inReplyTo = inReplyTo
        self.references = references
        self.date = date
        self.text = text
        self.html = html
        self.headers = headers
    }

    public static func == (a: OutgoingMail, b: OutgoingMail) -> Bool {
        a.from == b.from && a.to == b.to && a.replyTo == b.replyTo && a.subject == b.subject && a.messageId == b.messageId
            && a.inReplyTo == b.inReplyTo && a.references == b.references && a.date == b.date && a.text == b.text && a.html == b.html
            && a.headers.map(\.0) == b.headers.map(\.0) && a.headers.map(\.1) == b.headers.map(\.1)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(messageId) }
}

/// A DKIM key (RFC 6376, rsa-sha256) that signs a tenant's mail from one domain: the receiving
/// side finds its public half in DNS at `<selector>._domainkey.<domain>`. The private key is kept
/// to sign with and never shown again; an admin gets the DNS record to publish.
public struct DKIMKey: Codable, Sendable, Equatable {
    public var domain: String
    public var selector: String
    /// PEM, written by an admin or made by Docket when left out; never shown.
    public var privateKey: String?
    /// The public key, base64 of its DER (what the DNS record's `p=` holds); made from the private one.
    public var publicKey: String?
    /// Where the record goes, and what it says (answers only).
    public var dnsName: String?
    public var dnsRecord: String?

    public init(domain: String, selector: String, privateKey: String? = nil, publicKey: String? = nil) {
        self.domain = domain
        self.selector = selector
        self.privateKey = privateKey
        self.publicKey = publicKey
    }

    /// As an answer shows it: no private key; the DNS record to publish.
    public var shown: DKIMKey {
        var copy = self
        copy.privateKey = nil
        copy.dnsName = "\(selector)._domainkey.\(domain)"
        copy.dnsRecord = publicKey.map { "v=DKIM1; k=rsa; p=\($0)" }
        return copy
    }

    /// The largest private key (PEM) taken: a 4096-bit RSA key is ~3.3 KB.
    public static let maxPrivateKeyBytes = 8_192

    func validated(field: String) throws -> DKIMKey {
        let domain = domain.trimmingCharacters(in: .whitespaces).lowercased()
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard (3...253).contains(domain.utf8.count), labels.count >= 2,
            labels.allSatisfy({ (1...63).contains($0.utf8.count) && !$0.hasPrefix("-") && !$0.hasSuffix("-")
                && $0.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") } })
        else { throw DocketError.invalid("\(field).domain", "a domain name (letters, digits, '-', labels joined by '.')") }
        let selector = selector.trimmingCharacters(in: .whitespaces).lowercased()
        guard (1...63).contains(selector.utf8.count),
            selector.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") })
        else { throw DocketError.invalid("\(field).selector", "1 to 63 letters, digits or '-'") }
        var out = DKIMKey(domain: domain, selector: selector)
        if let privateKey {
            guard privateKey.utf8.count <= Self.maxPrivateKeyBytes, privateKey.contains("-----BEGIN") else {
                throw DocketError.invalid("\(field).privateKey", "an RSA private key in PEM, at most \(Self.maxPrivateKeyBytes) bytes")
            }
            out.privateKey = privateKey
        }
        return out
    }
}

/// Makes and reads DKIM keys (DocketMail's signer in production): the core holds no cryptography.
public protocol DKIMKeyMaker: Sendable {
    /// A new 2048-bit RSA private key, in PEM (made off Swift's cooperative pool: it takes
    /// a good part of a second).
    func makePrivateKey() async throws -> String
    /// The public half of `privateKey` as base64 DER; throws when it is not an RSA key of 1024 to
    /// 4096 bits in PEM.
    func publicKey(of privateKey: String) throws -> String
}

/// The SMTP server a tenant's mail leaves through (its provider's submission port, or its own
/// relay). The password is kept to log in with and never shown again.
public struct MailRelay: Codable, Sendable, Equatable {
    /// `starttls`: plain connection upgraded before anything else is said (port 587); `tls`:
    /// TLS from the first byte (465); `none`: a relay on a trusted network (25 on localhost).
    public enum Security: String, Codable, Sendable, CaseIterable { case starttls, tls, none }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    /// Written by an admin, never shown: answers carry `passwordSet` instead.
    public var password: String?
    public var passwordSet: Bool?

    public init(host: String, port: Int, security: Security, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
    }
}

/// A mailbox Docket fetches over IMAP (IDLE when the server offers it, polling otherwise): each
/// new message in `folder` is read like a mail delivered to `address`, then flagged `\\Seen`.
/// Mail is never deleted from the mailbox.
public struct MailMailbox: Codable, Sendable, Equatable {
    /// Names it in the tenant's configuration and in its state: 1-40 of a-z, 0-9 and '-'.
    public var id: String
    public var host: String
    public var port: Int
    public var security: MailRelay.Security
    public var username: String
    /// Written by an admin, never shown: answers carry `passwordSet` instead.
    public var password: String?
    public var passwordSet: Bool?
    /// The folder fetched (nil: `INBOX`).
    public var folder: String?
    /// Which of the tenant's addresses the mailbox receives for (nil: the first): its mail is
    /// threaded and answered as mail to that address.
    public var address: String?
    /// How often the mailbox is looked at when the server does not offer IDLE (nil: 60 s).
    public var pollSeconds: Int?

    public init(
        id: String, host: String, port: Int, security: MailRelay.Security, username: String, password: String? = nil, folder: String? = nil,
        address: String? = nil, pollSeconds: Int? = nil
    ) {
        self.id = id
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.folder = folder
        self.address = address
        self.pollSeconds = pollSeconds
    }

    public static let maxPerTenant = 5
    public static let defaultPollSeconds = 60
    public static let pollRange = 5...3_600

    public var folderName: String { folder ?? "INBOX" }
    public var poll: Int { pollSeconds ?? Self.defaultPollSeconds }

    /// Checked and normalised; without a password, the stored mailbox's (same id, host and
    /// username) is kept.
    func validated(field: String, addresses: [String], keeping previous: MailMailbox?) throws -> MailMailbox {
        var out = self
        out.passwordSet = nil
        guard (1...40).contains(id.utf8.count), id.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw DocketError.invalid("\(field).id", "1 to 40 of a-z, 0-9 and '-'")
        }
        out.host = try TenantMail.host(host, field: "\(field).host")
        guard (1...65_535).contains(port) else { throw DocketError.invalid("\(field).port", "a port from 1 to 65535") }
        guard (1...256).contains(username.utf8.count), !username.contains(where: \.isNewline) else {
            throw DocketError.invalid("\(field).username", "1 to 256 bytes, on one line")
        }
        if let password {
            guard (1...256).contains(password.utf8.count), !password.contains(where: \.isNewline) else {
                throw DocketError.invalid("\(field).password", "1 to 256 bytes, on one line")
            }
        } else if let previous, previous.host == out.host, previous.username == username {
            out.password = previous.password
        }
        guard out.password != nil else { throw DocketError.invalid("\(field).password", "the mailbox's password is needed") }
        if security == .none, !TenantMail.isLoopback(out.host) {
            throw DocketError.invalid("\(field).security", "a password is only sent over TLS: starttls or tls (none only for a server on this machine)")
        }
        if let folder {
            guard (1...200).contains(folder.utf8.count), !folder.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "\\" }) else {
                throw DocketError.invalid("\(field).folder", "1 to 200 bytes, without control characters, quotes or backslashes")
            }
        }
        if let address {
            let normalized = try TenantMail.normalized([address], field: "\(field).address")[0]
            guard addresses.contains(normalized) else { throw DocketError.invalid("\(field).address", "'\(normalized)' is not one of the tenant's addresses") }
            out.address = normalized
        } else if addresses.isEmpty {
            throw DocketError.invalid("\(field).address", "a mailbox receives for one of the tenant's addresses: set addresses")
        }
        if let pollSeconds, !Self.pollRange.contains(pollSeconds) {
            throw DocketError.invalid("\(field).pollSeconds", "from \(Self.pollRange.lowerBound) to \(Self.pollRange.upperBound) seconds")
        }
        return out
    }
}

/// Where a mailbox's fetch stands (`MailboxStateStore`): the folder's `UIDVALIDITY` and the last
/// message handed on under it, the lease of the instance fetching it, and its figures.
public struct MailboxState: Codable, Sendable, Equatable {
    public var tenantId: String
    public var mailboxId: String
    public var version: Int
    public var uidValidity: Int?
    /// The highest UID handed on (stored, ignored as a machine's, or quarantined).
    public var lastUid: Int
    public var leaseOwner: String?
    public var leaseUntil: Date?
    public var fetched: Int
    public var quarantined: Int
    public var lastError: String?
    public var lastFetchAt: Date?
    /// Whether the server offered IDLE at the last connection (new mail arrives at once).
    public var idle: Bool?

    public init(tenantId: String, mailboxId: String) {
        self.tenantId = tenantId
        self.mailboxId = mailboxId
        version = 1
        lastUid = 0
        fetched = 0
        quarantined = 0
    }
}

/// A tenant's mail out (`MailDispatcher`): its position in the tenant's event log, the lease of
/// the instance sending for it, the mail waiting to be tried again, and what it did so far.
public struct MailOutlet: Codable, Sendable, Equatable {
    public struct Retry: Codable, Sendable, Equatable {
        public var eventId: Int
        public var attempts: Int
        public var nextAttemptAt: Date
        public var lastError: String
    }

    public var tenantId: String
    /// The last event handled (sent, skipped, or given up on).
    public var cursor: Int
    public var version: Int
    public var leaseOwner: String?
    public var leaseUntil: Date?
    public var retry: Retry?
    public var sent: Int
    public var failed: Int
    public var lastError: String?
    public var lastSentAt: Date?

    public init(tenantId: String, cursor: Int) {
        self.tenantId = tenantId
        self.cursor = cursor
        version = 1
        sent = 0
        failed = 0
    }
}

/// One recipient's verdict in a delivery status notification (RFC 3464): a mail a server could
/// not deliver (`failed`, a `5.x.x` status) or is still trying (`delayed`, `4.x.x`).
public struct MailBounce: Sendable, Equatable {
    public var recipient: String
    public var action: String
    public var status: String
    public var diagnostic: String?
    /// Docket's own `Message-ID`s the report names (the returned mail's headers), if any.
    public var docketIds: [String]

    /// For good: the address is not there, or refuses.
    public var permanent: Bool { action == "failed" || status.hasPrefix("5") }

    /// The verdicts of a report mail: read from its `message/delivery-status` part; none when
    /// it has none (an ordinary mail, or an out-of-office reply).
    public static func read(_ mail: InboundMail) -> [MailBounce] {
        guard let report = mail.attachments.first(where: { $0.contentType == "message/delivery-status" || $0.contentType == "message/global-delivery-status" })
        else { return [] }
        let text = String(decoding: report.data.prefix(64 * 1024), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        // The returned mail's headers, or its words: where Docket's Message-IDs are named.
        var returned = mail.text
        for part in mail.attachments where part.contentType == "text/rfc822-headers" || part.contentType == "message/rfc822-headers" {
            returned += "\n" + String(decoding: part.data.prefix(64 * 1024), as: UTF8.self)
        }
        let docketIds = ids(in: returned)
        var out: [MailBounce] = []
        // Blocks separated by blank lines: the first is about the message, each next one a recipient.
        for block in text.components(separatedBy: "\n\n").dropFirst() {
            var fields: [String: String] = [:]
            var last: String?
            for line in block.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.first == " " || line.first == "\t", let key = last {
                    fields[key, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
                } else if let colon = line.firstIndex(of: ":") {
                    let key = line[..<colon].lowercased().trimmingCharacters(in: .whitespaces)
                    fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    last = key
                }
            }
            guard let final = fields["final-recipient"] ?? fields["original-recipient"], let action = fields["action"]?.lowercased() else { continue }
            // "rfc822; ana@example.mx"
            let address = (final.split(separator: ";", maxSplits: 1).last.map(String.init) ?? final)
                .trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "<>")))
            guard address.contains("@"), address.utf8.count <= 254 else { continue }
            let status = (fields["status"] ?? "").split(separator: " ").first.map(String.init) ?? ""
            let diagnostic = fields["diagnostic-code"].map { code in
                String((code.split(separator: ";", maxSplits: 1).last.map(String.init) ?? code).trimmingCharacters(in: .whitespaces).prefix(300))
            }
            out.append(MailBounce(recipient: address, action: action, status: status, diagnostic: diagnostic, docketIds: docketIds))
        }
        return out
    }

    /// The `docket.…@…` message ids in `text` (at most 10).
    static func ids(in text: String) -> [String] {
        var out: [String] = []
        var rest = text[...]
        while out.count < 10, let start = rest.range(of: "<docket.") {
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: ">"), rest.distance(from: rest.startIndex, to: end) < 300 else { break }
            let id = "docket." + rest[..<end]
            if !out.contains(id) { out.append(id) }
            rest = rest[end...]
        }
        return out
    }
}

/// A mail that could not be read, kept with the reason (`MailService.quarantine`): the
/// receiving server was answered 250, nothing was written to a ticket, and an admin may accept
/// it anyway (it becomes a message of its sender, with what could be read) or discard it.
public struct QuarantinedMail: Codable, Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var receivedAt: Date
    /// The SMTP `MAIL FROM` (empty for the null sender).
    public var envelopeFrom: String
    public var recipient: String
    /// Why it was not read, and the limit's name (`too_many_parts`...).
    public var reason: String
    public var kind: String
    /// Bytes received; `raw` keeps at most `maxKeptBytes` of them (base64), nil in lists.
    public var size: Int
    public var raw: String?
    public var rawTruncated: Bool

    public init(
        id: String, tenantId: String, receivedAt: Date, envelopeFrom: String, recipient: String, reason: String, kind: String, size: Int,
        raw: String?, rawTruncated: Bool
    ) {
        self.id = id
        self.tenantId = tenantId
        self.receivedAt = receivedAt
        self.envelopeFrom = envelopeFrom
        self.recipient = recipient
        self.reason = reason
        self.kind = kind
        self.size = size
        self.raw = raw
        self.rawTruncated = rawTruncated
    }

    /// The most bytes of a mail kept in the quarantine.
    public static let maxKeptBytes = 512 * 1024
    /// The most mails a tenant's quarantine holds; past it, unreadable mail is refused (554).
    public static let maxPerTenant = 1_000
}

/// Reads a quarantined mail again when an admin accepts it (DocketMail's parser, with limits
/// raised): what could be read, or nil when it still cannot be.
public protocol MailReader: Sendable {
    /// Read off Swift's cooperative pool (a large mail keeps a thread busy).
    func readAnyway(_ bytes: [UInt8]) async -> InboundMail?
}
