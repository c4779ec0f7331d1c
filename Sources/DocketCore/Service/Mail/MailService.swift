import Foundation
import Synchronization

/// What became of a mail that arrived for a tenant.
public enum MailOutcome: Sendable, Equatable {
    /// Written into a ticket's conversation (`created`: the mail opened the ticket); also the
    /// answer for a mail stored before (the same `Message-ID` delivered again).
    case stored(ticketId: String, created: Bool)
    /// A machine's mail (`AutomaticMail`): not answered, and it opens nothing.
    case ignored(String)
    /// The same mail is being stored by another delivery right now: the sender tries again later.
    case busy
    /// A report that mail to these customers' addresses came back for good: each is marked, and
    /// the staff of the ticket the mail was about are told in an internal note.
    case bounced([String])
}

/// Mail in: a mail to a tenant's address becomes a message of its customer, in the ticket it
/// answers or a new one. The customer is the sender's address (a new address makes a new
/// customer); the ticket is, in order, the one named by the `+tag` of the address it was sent
/// to, when it is the sender's and not closed; else the one of the stored mail it answers
/// (`In-Reply-To`, then `References`), on the same terms; else the sender's open conversation (a new
/// subject from the same customer stays in it: the subject does not split a thread); else a
/// new ticket with the mail's subject. Two customers are never merged: a tag naming another
/// customer's ticket is not followed. Each `Message-ID` is stored once.
public struct MailService: UseCase {
    let core: ServiceCore

    public init(core: ServiceCore) { self.core = core }

    /// Receives `mail`, sent to `recipient` (one of `tenantId`'s addresses, perhaps with a tag).
    public func receive(_ mail: InboundMail, tenantId: String, recipient: String, envelopeSender: String?) async throws -> MailOutcome {
        let bounces = MailBounce.read(mail)
        if !bounces.isEmpty { return try await bounced(bounces, tenantId: tenantId) }
        if let reason = AutomaticMail.reason(mail, envelopeSender: envelopeSender) { return .ignored(reason) }
        if (mail.inReplyTo + mail.references).contains(where: MailWriting.isStaffNotice) {
            return .ignored("an answer to a notice Docket sent to staff: it goes to no customer's ticket")
        }
        guard let from = mail.from ?? mail.replyTo.first ?? mail.sender else { return .ignored("the mail names no sender") }
        guard try await tenants.tenant(tenantId) != nil else { throw DocketError(.unauthorized, "unknown tenant '\(tenantId)'") }
        let claim = mail.messageId.map(Self.claimKey)
        var abandonedAt: Date?
        if let claim, let record = try await stores.toolCalls.claimToolCall(tenantId: tenantId, callId: claim, at: clock.now()) {
            if let ticketId = record.output { return .stored(ticketId: ticketId, created: false) }
            if clock.now().timeIntervalSince(record.createdAt) < Self.abandonedClaimSeconds { return .busy }
            abandonedAt = record.createdAt
        }
        // One sender's mails take turns: a new address makes one customer, not two.
        let customer: Customer = try await core.turns.withTurn("\(tenantId)/mail/\(from.key)") {
            try await self.customer(for: from, tenantId: tenantId)
        }
        let principal = Principal(tenantId: tenantId, role: .customer, subject: customer.id)
        if customer.emailBounce != nil {
            // They write from it: the address works again.
            var working = customer
            working.emailBounce = nil
            _ = try await stores.people.replaceCustomer(working)
        }
        let input = NewMessage(content: Self.content(mail))
        let envelope = Self.envelope(mail, attachments: try await keepFiles(mail, claim: claim, tenantId: tenantId, customerId: customer.id))
        // A delivery that claimed this mail and stopped (the process died) may have written it
        // before it could say so: then it is not written again.
        if let claim, let since = abandonedAt,
            let ticketId = try await writtenBefore(input.content, customerId: customer.id, tenantId: tenantId, since: since)
        {
            try await stores.toolCalls.completeToolCall(tenantId: tenantId, callId: claim, output: ticketId)
            return .stored(ticketId: ticketId, created: false)
        }
        var outcome: MailOutcome?
        let closed = try await tenant(for: principal).workflow.closed
        if let ticket = try await answeredTicket(mail, recipient: recipient, tenantId: tenantId, customerId: customer.id, closed: closed) {
            do {
                let (written, _) = try await conversations.postMessage(principal, ticket.ticketId, input, mail: envelope)
                outcome = .stored(ticketId: written.ticketId, created: false)
            } catch let error as DocketError where error.code == .conflict {
                // Closed between the lookup and the write: the mail goes where a new one would.
            }
        }
        if outcome == nil {
            let (ticket, _, created) = try await conversations.postCustomerMessage(
                principal, input, subject: Self.subject(mail), source: .email, mail: envelope)
            outcome = .stored(ticketId: ticket.ticketId, created: created)
        }
        if let claim, case .stored(let ticketId, _) = outcome {
            try await stores.toolCalls.completeToolCall(tenantId: tenantId, callId: claim, output: ticketId)
            // The latest mail of the customer in the ticket: the one a reply answers.
            if let messageId = mail.messageId {
                _ = try await stores.toolCalls.claimToolCall(tenantId: tenantId, callId: Self.threadKey(ticketId), at: clock.now())
                try await stores.toolCalls.completeToolCall(tenantId: tenantId, callId: Self.threadKey(ticketId), output: messageId)
            }
        }
        return outcome!
    }

    /// The ticket a mail answers, if it is the customer's and not closed: the one the `+tag` of
    /// its address names, else the ticket of the mail its `In-Reply-To` names, else of the latest
    /// mail its `References` name that Docket stored (Outlook rewrites `In-Reply-To`; the
    /// references stay). At most `threadLookups` ids are looked up.
    func answeredTicket(_ mail: InboundMail, recipient: String, tenantId: String, customerId: String, closed: String) async throws -> Ticket? {
        func usable(_ ticket: Ticket?) -> Ticket? {
            guard let ticket, ticket.customerId == customerId, ticket.status != closed else { return nil }
            return ticket
        }
        if let ticket = usable(try await taggedTicket(recipient, tenantId: tenantId)) { return ticket }
        var seen = Set<String>()
        let answered = (mail.inReplyTo + mail.references.reversed()).filter { seen.insert($0).inserted }
        for messageId in answered.prefix(Self.threadLookups) where messageId != mail.messageId {
            guard let ticketId = try await stores.toolCalls.toolCall(tenantId: tenantId, callId: Self.claimKey(messageId))?.output else { continue }
            // The latest mail of the thread that Docket knows decides: an older one is not tried.
            return usable(try await stores.tickets.ticket(tenantId: tenantId, ticketId: ticketId))
        }
        return nil
    }

    /// A delivery report: each address that failed for good is marked on its customer (mail out
    /// stops writing to it) and the ticket the returned mail was about — the one its Docket
    /// `Message-ID` names, else the customer's latest ticket by mail — gets an internal note.
    /// A delay ("still trying") changes nothing.
    func bounced(_ bounces: [MailBounce], tenantId: String) async throws -> MailOutcome {
        var marked: [String] = []
        let tenant = try await tenant(for: Principal(tenantId: tenantId, role: .admin, subject: "mail"))
        for bounce in bounces.prefix(20) where bounce.permanent {
            guard var customer = try await stores.people.customer(tenantId: tenantId, email: bounce.recipient.lowercased()) else { continue }
            customer.emailBounce = EmailBounce(at: clock.now(), status: bounce.status, reason: bounce.diagnostic)
            guard try await stores.people.replaceCustomer(customer) else { continue }
            marked.append(bounce.recipient)
            var ticketId: String?
            for id in bounce.docketIds {
                if let found = try await stores.toolCalls.toolCall(tenantId: tenantId, callId: Self.claimKey(id))?.output { ticketId = found; break }
            }
            if ticketId == nil {
                var query = TicketQuery()
                query.customerId = customer.id
                query.source = .email
                query.sortBy = .updatedAt
                query.limit = 1
                ticketId = try await stores.tickets.listTickets(tenantId: tenantId, query: query).items.first?.ticketId
            }
            guard let ticketId else { continue }
            let texts = AssistantTexts(tenant)
            let why = [bounce.status, bounce.diagnostic].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            let note = texts.pick(
                es: "El correo a \(bounce.recipient) fue devuelto (\(why)). No se enviarán más correos a esa dirección hasta que el cliente escriba desde ella.",
                vi: "Thư gửi tới \(bounce.recipient) bị trả lại (\(why)). Sẽ không gửi thư tới địa chỉ này cho tới khi khách hàng viết từ đó.",
                en: "Mail to \(bounce.recipient) bounced (\(why)). No more mail goes to that address until the customer writes from it.")
            do {
                _ = try await TicketService(core: core).addNote(
                    Principal(tenantId: tenantId, role: .admin, subject: "mail"), ticketId, content: String(note.prefix(TicketLimits.note)), isInternal: true)
            } catch let error as DocketError where error.code == .notFound || error.code == .conflict {
                // The ticket is gone or full of notes: the customer's mark still says it.
            }
        }
        if marked.isEmpty {
            let first = bounces[0]
            return .ignored("a delivery report (\(first.action) \(first.status)) about \(first.recipient): nothing to mark")
        }
        return .bounced(marked)
    }

    /// A claim on a `Message-ID` older than this without its ticket belongs to a delivery that
    /// stopped: a later one of the same mail goes on (storing one takes milliseconds; a mail
    /// server tries a mail again after minutes).
    public static let abandonedClaimSeconds: TimeInterval = 30

    /// The ticket where the customer's message `content` was written at or after `since` (within
    /// the last 20 messages of their 5 latest tickets), if it was.
    func writtenBefore(_ content: String, customerId: String, tenantId: String, since: Date) async throws -> String? {
        var query = TicketQuery()
        query.customerId = customerId
        query.sortBy = .updatedAt
        query.limit = 5
        for ticket in try await stores.tickets.listTickets(tenantId: tenantId, query: query).items {
            let count = ticket.chat?.messageCount ?? 0
            guard count > 0, ticket.updatedAt >= since.addingTimeInterval(-1) else { continue }
            let recent = try await stores.tickets.messages(tenantId: tenantId, ticketId: ticket.ticketId, after: max(0, count - 20), limit: 20)
            if recent.contains(where: { $0.senderType == .customer && $0.content == content && $0.createdAt >= since.addingTimeInterval(-1) }) {
                return ticket.ticketId
            }
        }
        return nil
    }

    /// How many of a mail's `In-Reply-To` and `References` ids are looked up, newest first.
    static let threadLookups = 20

    /// The ticket the `+tag` of the address names (a ticket id, in any case).
    func taggedTicket(_ recipient: String, tenantId: String) async throws -> Ticket? {
        guard let tag = TenantMail.split(recipient).tag, !tag.isEmpty, tag.count <= 64 else { return nil }
        if let ticket = try await stores.tickets.ticket(tenantId: tenantId, ticketId: tag.uppercased()) { return ticket }
        return try await stores.tickets.ticket(tenantId: tenantId, ticketId: tag)
    }

    /// The customer with this address, or a new one named from the mail's display name.
    ///
    /// The new customer's id is made from the address, so instances that take a new address's
    /// first mails at the same moment (their turns are their own) insert the same customer: one
    /// insert wins, the others find it. When that id is already another address's (a customer
    /// whose address changed, or two addresses whose hashes meet), a random id is used.
    func customer(for address: MailAddress, tenantId: String) async throws -> Customer {
        if let known = try await stores.people.customer(tenantId: tenantId, email: address.key) { return known }
        let words = (address.name ?? "").split(separator: " ").map(String.init)
        var customer = Customer(
            id: "m" + Self.hash(tenantId + "/" + address.key), tenantId: tenantId, phoneNumber: nil,
            firstName: words.first.map { String($0.prefix(100)) }, lastName: words.count > 1 ? String(words.dropFirst().joined(separator: " ").prefix(100)) : nil,
            email: address.address, createdAt: clock.now())
        do {
            try await stores.people.insertCustomer(customer)
        } catch let error as DocketError where error.code == .conflict {
            guard let made = try await stores.people.customer(tenantId: tenantId, id: customer.id) else { throw error }
            if made.email?.lowercased() == address.key { return made }
            customer.id = IdentifierGenerator.make()
            try await stores.people.insertCustomer(customer)
        }
        return customer
    }

    /// What the ticket view shows of a mail: sender, recipients, subject, files (each list cut
    /// at `MessageMail.maxListed`, each text at 300 characters), and the files kept.
    static func envelope(_ mail: InboundMail, attachments: [MessageFile] = []) -> MessageMail {
        func cut(_ text: String) -> String { String(text.prefix(300)) }
        var envelope = MessageMail(
            from: cut(mail.from?.description ?? ""), to: mail.to.prefix(MessageMail.maxListed).map { cut($0.description) },
            cc: mail.cc.prefix(MessageMail.maxListed).map { cut($0.description) }, subject: cut(mail.subject), messageId: mail.messageId.map(cut),
            files: mail.attachments.prefix(MessageMail.maxListed).map { cut($0.filename ?? $0.contentType) })
        envelope.attachments = attachments.isEmpty ? nil : attachments
        return envelope
    }

    /// Keeps the mail's files whole (the first `StoredFile.maxPerMessage` that the parser read
    /// whole and that are at most `StoredFile.maxBytes`, while the tenant's files stay within
    /// `ServiceCore.fileQuotaBytes`), before the message that names them is written. Their ids come from the mail's `Message-ID`: a mail delivered again stores them once.
    func keepFiles(_ mail: InboundMail, claim: String?, tenantId: String, customerId: String) async throws -> [MessageFile] {
        var kept: [MessageFile] = []
        for (index, attachment) in mail.attachments.prefix(StoredFile.maxPerMessage).enumerated()
        where !attachment.truncated && attachment.data.count <= StoredFile.maxBytes {
            let id = claim.map { "f" + Self.hash($0 + "/" + String(index)) } ?? IdentifierGenerator.make()
            let name = Self.fileName(attachment.filename, index: index)
            let type = String(attachment.contentType.prefix(100))
            let outcome = try await stores.files.insertFile(
                StoredFile(
                    tenantId: tenantId, id: id, customerId: customerId, name: name, contentType: type, size: attachment.data.count,
                    createdAt: clock.now(), data: Data(attachment.data)),
                quotaBytes: core.fileQuotaBytes)
            // Past the tenant's quota the file is named in the message but not kept.
            guard outcome != .overQuota else { continue }
            kept.append(MessageFile(id: id, name: name, contentType: type, size: attachment.data.count))
        }
        return kept
    }

    /// A file's name as kept: its own without any folder, control characters or quotes, at most
    /// 200 characters; `file-<n>` when it has none.
    static func fileName(_ given: String?, index: Int) -> String {
        let base = (given ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = String(base.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && $0 != "\"" }.prefix(200).map(Character.init))
            .trimmingCharacters(in: .whitespaces)
        return clean.isEmpty || clean == "." || clean == ".." ? "file-\(index + 1)" : clean
    }

    /// A kept file with its bytes, for the tenant's staff or the customer who sent it (anyone
    /// else is told there is no such file).
    public func file(_ principal: Principal, id: String) async throws -> StoredFile {
        guard principal.isStaff || principal.role == .customer, id.utf8.count <= 64,
            let file = try await stores.files.file(tenantId: principal.tenantId, id: id),
            principal.isStaff || file.customerId == principal.subject
        else { throw DocketError.notFound("file", id) }
        return file
    }

    /// FNV-1a of `text`, in hex.
    static func hash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The key under which a ticket's latest customer mail id is kept (mail out answers it).
    static func threadKey(_ ticketId: String) -> String { "mailthread:" + ticketId }

    /// The key a mail is stored once by: its `Message-ID` (long ids are cut, with a hash of the whole).
    public static func claimKey(_ messageId: String) -> String {
        "mail:" + messageId.prefix(96) + ":" + hash(messageId)
    }

    /// A new ticket's subject: the mail's, without the `Re:`/`Fwd:` a reply puts before it.
    static func subject(_ mail: InboundMail) -> String? {
        var subject = mail.subject.trimmingCharacters(in: .whitespacesAndNewlines)
        let prefixes = ["re:", "fw:", "fwd:", "rv:", "tr:", "aw:", "wg:", "sv:", "vs:", "tl:", "phúc đáp:", "chuyển tiếp:"]
        var stripped = true
        while stripped {
            stripped = false
            for prefix in prefixes where subject.lowercased().hasPrefix(prefix) {
                subject = subject.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
                stripped = true
            }
        }
        return subject.isEmpty ? nil : subject
    }

    /// The message a mail becomes: its text (cut to what a message holds), and the names of
    /// the files it carried (the files themselves are kept apart: `keepFiles`).
    static func content(_ mail: InboundMail) -> String {
        var text = mail.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { text = mail.subject.trimmingCharacters(in: .whitespacesAndNewlines) }
        if text.isEmpty { text = "(empty mail)" }
        var files = ""
        if !mail.attachments.isEmpty {
            let names = mail.attachments.prefix(10).map { attachment in
                "\(attachment.filename ?? attachment.contentType) (\(max(1, attachment.data.count / 1024)) KB)"
            }
            files = "\n\n📎 " + names.joined(separator: ", ") + (mail.attachments.count > 10 ? ", …" : "")
        }
        let room = MessageLimits.content - files.count
        if text.count > room || mail.textTruncated { text = String(text.prefix(max(0, room - 1))) + "…" }
        return text + files
    }
}

/// The quarantine: mail that could not be read, kept with its reason for an admin to accept
/// anyway or discard.
extension MailService {
    /// Keeps `bytes` (at most `QuarantinedMail.maxKeptBytes`) for `tenantId`; false when the
    /// tenant's quarantine is full (the mail is then refused).
    public func quarantine(
        _ bytes: [UInt8], tenantId: String, recipient: String, envelopeSender: String, reason: String, kind: String
    ) async throws -> Bool {
        guard try await stores.quarantine.countQuarantined(tenantId: tenantId) < QuarantinedMail.maxPerTenant else { return false }
        let kept = bytes.prefix(QuarantinedMail.maxKeptBytes)
        try await stores.quarantine.insertQuarantined(QuarantinedMail(
            id: IdentifierGenerator.make(), tenantId: tenantId, receivedAt: clock.now(), envelopeFrom: String(envelopeSender.prefix(254)),
            recipient: String(recipient.prefix(254)), reason: String(reason.prefix(300)), kind: kind, size: bytes.count,
            raw: Data(kept).base64EncodedString(), rawTruncated: kept.count < bytes.count))
        return true
    }

    /// The tenant's quarantined mails, newest first (an admin's).
    public func quarantined(_ principal: Principal, limit: Int = 100) async throws -> (mails: [QuarantinedMail], total: Int) {
        guard principal.role.isAdmin else { throw DocketError.forbidden("the mail quarantine is for admins") }
        guard (1...200).contains(limit) else { throw DocketError(.badRequest, "limit must be between 1 and 200", field: "limit") }
        _ = try await tenant(for: principal)
        return (
            try await stores.quarantine.quarantined(tenantId: principal.tenantId, limit: limit),
            try await stores.quarantine.countQuarantined(tenantId: principal.tenantId)
        )
    }

    /// Accepts a quarantined mail anyway: read again with raised limits (or, when it still
    /// cannot be, its first bytes as text, from its envelope sender), then received like any
    /// mail — a machine's mail is still ignored — and taken out of the quarantine.
    public func acceptQuarantined(_ principal: Principal, id: String) async throws -> MailOutcome {
        guard principal.role.isAdmin else { throw DocketError.forbidden("the mail quarantine is for admins") }
        guard let kept = try await stores.quarantine.quarantinedMail(tenantId: principal.tenantId, id: id) else {
            throw DocketError.notFound("quarantined mail", id)
        }
        let bytes = kept.raw.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? []
        var mail = await core.mailReader?.readAnyway(bytes)
        if mail == nil {
            guard kept.envelopeFrom.contains("@") else {
                throw DocketError.invalid("id", "the mail cannot be read and its envelope names no sender to write it as")
            }
            let printable = String(decoding: bytes.prefix(4_000), as: UTF8.self).unicodeScalars
                .filter { $0 == "\n" || $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) }
            mail = InboundMail(
                messageId: nil, subject: "", from: MailAddress(address: kept.envelopeFrom), to: [MailAddress(address: kept.recipient)],
                text: "(" + kept.reason + ")\n\n" + String(String.UnicodeScalarView(printable)))
        }
        let outcome = try await receive(mail!, tenantId: principal.tenantId, recipient: kept.recipient, envelopeSender: nil)
        if outcome != .busy { _ = try await stores.quarantine.deleteQuarantined(tenantId: principal.tenantId, id: id) }
        return outcome
    }

    /// Discards a quarantined mail.
    public func discardQuarantined(_ principal: Principal, id: String) async throws {
        guard principal.role.isAdmin else { throw DocketError.forbidden("the mail quarantine is for admins") }
        guard try await stores.quarantine.deleteQuarantined(tenantId: principal.tenantId, id: id) else {
            throw DocketError.notFound("quarantined mail", id)
        }
    }
}

/// Which tenant receives mail at an address: every tenant's addresses, read again when older
/// than `freshFor` (an address an admin adds reaches every instance within it).
public final class MailAddressBook: Sendable {
    private let list: @Sendable () async throws -> [Tenant]
    private let freshFor: TimeInterval
    private let state = Mutex<(addresses: [String: String], readAt: Date?)>(([:], nil))

    public init(freshFor: TimeInterval = 5, list: @escaping @Sendable () async throws -> [Tenant]) {
        self.list = list
        self.freshFor = freshFor
    }

    /// The tenant receiving mail at `address` (its `+tag` aside), or nil.
    public func tenant(receiving address: String) async throws -> String? {
        let base = TenantMail.split(address).base
        let (known, readAt) = state.withLock { ($0.addresses, $0.readAt) }
        if let readAt, Date().timeIntervalSince(readAt) < freshFor { return known[base] }
        var addresses: [String: String] = [:]
        for tenant in try await list() {
            for address in tenant.overrides.mail?.addresses ?? [] { addresses[address] = tenant.id }
        }
        let now = Date()
        state.withLock { $0 = (addresses, now) }
        return addresses[base]
    }
}
