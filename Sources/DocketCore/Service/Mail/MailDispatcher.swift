import Foundation

/// Why a mail did not leave, and whether trying again may help.
public struct MailSendFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var permanent: Bool
    public var reason: String
    public var description: String { reason }

    public init(permanent: Bool, _ reason: String) {
        self.permanent = permanent
        self.reason = reason
    }
}

/// Sends a mail through a relay (DocketMail's SMTP submitter in production), signed with
/// `signing` when there is a key for its domain. Throws `MailSendFailure`; any other error
/// counts as one worth trying again.
public protocol MailSender: Sendable {
    func send(_ mail: OutgoingMail, envelopeFrom: String, via relay: MailRelay, signing: DKIMKey?) async throws
}

/// Mail out, from the event log (the transactional outbox): an agent's public reply in a ticket
/// that came by mail goes to its customer as a mail. Each tenant with a relay has an outlet — its
/// place in the log, leased by one instance at a time — so every reply is sent once, in order,
/// after the write that made it committed, and a crash sends the one in flight again (under the
/// same `Message-ID`, so the customer's mail program shows it once). A relay that refuses for
/// now is tried again after 30 s, 1, 5, 15 and 60 minutes and 3 hours, holding the tenant's later
/// replies back (they stay in order); a refusal for good, or the last try, gives the mail up
/// and tells the ticket's staff in an internal note.
public struct MailDispatcher: Sendable {
    let core: ServiceCore
    let sender: any MailSender
    /// This instance, for the lease.
    let instance: String
    let batch: Int
    let lease: TimeInterval = 60
    static let retryDelays: [TimeInterval] = [30, 60, 300, 900, 3_600, 10_800]

    public init(core: ServiceCore, sender: any MailSender, instance: String, batch: Int = 50) {
        self.core = core
        self.sender = sender
        self.instance = instance
        self.batch = batch
    }

    /// One round over every tenant that sends mail; answers how many mails were sent or given up.
    @discardableResult
    public func runOnce() async throws -> Int {
        var handled = 0
        var page = 1
        while true {
            let tenants = try await core.stores.tenants.listTenants(page: page, limit: 100)
            for tenant in tenants.items where tenant.overrides.mail?.sender != nil {
                handled += try await work(tenant)
            }
            if tenants.items.count < 100 { break }
            page += 1
        }
        return handled
    }

    func work(_ tenant: Tenant) async throws -> Int {
        guard let config = tenant.overrides.mail, let relay = config.relay, let from = config.sender else { return 0 }
        let outlets = core.stores.mailOutlets
        let now = core.clock.now()
        var outlet: MailOutlet
        if let found = try await outlets.mailOutlet(tenantId: tenant.id) {
            outlet = found
        } else {
            // Mail out starts when the relay is set: the replies written before are not sent.
            let fresh = MailOutlet(tenantId: tenant.id, cursor: try await core.live.latestId(tenantId: tenant.id))
            guard try await outlets.saveMailOutlet(fresh, expectedVersion: nil) else { return 0 }
            outlet = fresh
        }
        if let retry = outlet.retry, retry.nextAttemptAt > now { return 0 }
        if let owner = outlet.leaseOwner, owner != instance, let until = outlet.leaseUntil, until > now { return 0 }
        outlet.leaseOwner = instance
        outlet.leaseUntil = now.addingTimeInterval(lease)
        guard try await save(&outlet) else { return 0 }
        var handled = 0
        let events = try await core.stores.liveEvents.liveEvents(tenantId: tenant.id, after: outlet.cursor, limit: batch)
        for event in events {
            guard let mail = try await mail(for: event, tenant: tenant, config: config, from: from) else {
                outlet.cursor = event.id
                continue
            }
            do {
                if let bounce = mail.bounce {
                    let why = [bounce.status, bounce.reason].compactMap { $0 }.joined(separator: " ")
                    throw MailSendFailure(permanent: true, "not sent: mail to this address bounced on \(ISO8601DateFormatter().string(from: bounce.at)) (\(why))")
                }
                try await sender.send(mail.mail, envelopeFrom: from, via: relay, signing: config.signingKey(for: from))
                // The customer's answer to it names its Message-ID: that finds the ticket.
                let key = MailService.claimKey(mail.mail.messageId)
                _ = try await core.stores.toolCalls.claimToolCall(tenantId: tenant.id, callId: key, at: core.clock.now())
                try await core.stores.toolCalls.completeToolCall(tenantId: tenant.id, callId: key, output: mail.ticketId)
                outlet.sent += 1
                outlet.lastSentAt = core.clock.now()
                outlet.retry = nil
                outlet.cursor = event.id
            } catch {
                let failure = error as? MailSendFailure ?? MailSendFailure(permanent: false, "\(error)")
                let reason = String(failure.reason.prefix(300))
                let attempts = (outlet.retry?.eventId == event.id ? outlet.retry?.attempts ?? 0 : 0) + 1
                outlet.lastError = reason
                if !failure.permanent, attempts <= Self.retryDelays.count {
                    outlet.retry = MailOutlet.Retry(
                        eventId: event.id, attempts: attempts, nextAttemptAt: core.clock.now().addingTimeInterval(Self.retryDelays[attempts - 1]),
                        lastError: reason)
                    _ = try await save(&outlet)
                    return handled
                }
                outlet.failed += 1
                outlet.retry = nil
                outlet.cursor = event.id
                try await tellStaff(tenant, ticketId: mail.ticketId, to: mail.mail.to.address, reason: reason, attempts: attempts)
            }
            handled += 1
            outlet.leaseUntil = core.clock.now().addingTimeInterval(lease)
            guard try await save(&outlet) else { return handled }
        }
        if !events.isEmpty { _ = try await save(&outlet) }
        return handled
    }

    /// Stores the outlet if nobody changed it since it was read (its version moves on).
    func save(_ outlet: inout MailOutlet) async throws -> Bool {
        let expected = outlet.version
        outlet.version = expected + 1
        return try await core.stores.mailOutlets.saveMailOutlet(outlet, expectedVersion: expected)
    }

    /// The mail an event makes: a staff member's public message in a ticket that came by mail
    /// becomes a reply to its customer; a ticket a customer's mail opened is acknowledged, as
    /// often as the tenant allows per sender and hour.
    func mail(for event: LiveEvent, tenant: Tenant, config: TenantMail, from: String) async throws -> (mail: OutgoingMail, ticketId: String, bounce: EmailBounce?)? {
        switch event.type {
        case .newMessage: return try await reply(for: event, tenant: tenant, config: config, from: from)
        case .ticketCreated: return try await acknowledgement(for: event, tenant: tenant, config: config, from: from)
        case .ticketAssigned, .slaWarning, .slaBreached:
            guard config.notifyStaff ?? true else { return nil }
            return try await staffNotice(for: event, tenant: tenant, from: from)
        case .ruleMail: return try await ruleMail(for: event, tenant: tenant, config: config, from: from)
        default: return nil
        }
    }

    /// The ticket of an event, if it came by mail (or from any channel, `byMailOnly` false), and
    /// its customer's address (and the bounce that stopped mail to it, if one did).
    func mailedTicket(_ event: LiveEvent, tenant: Tenant, byMailOnly: Bool = true) async throws -> (ticket: Ticket, to: MailAddress, bounce: EmailBounce?)? {
        guard let ticketId = event.ticketId,
            let ticket = try await core.stores.tickets.ticket(tenantId: tenant.id, ticketId: ticketId), ticket.source == .email || !byMailOnly,
            let customer = try await core.stores.people.customer(tenantId: tenant.id, id: ticket.customerId),
            let address = customer.email, address.contains("@")
        else { return nil }
        let name = [customer.firstName, customer.lastName].compactMap { $0 }.joined(separator: " ")
        return (ticket, MailAddress(name: name.isEmpty ? nil : name, address: address), customer.emailBounce)
    }

    func reply(for event: LiveEvent, tenant: Tenant, config: TenantMail, from: String) async throws -> (mail: OutgoingMail, ticketId: String, bounce: EmailBounce?)? {
        guard let data = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any],
            let message = data["message"] as? [String: Any], message["senderType"] as? String == MessageSender.staff.rawValue,
            let seq = message["seq"] as? Int,
            let (ticket, to, bounce) = try await mailedTicket(event, tenant: tenant)
        else { return nil }

        let ticketId = ticket.ticketId
        let recent = try await core.stores.tickets.messages(tenantId: tenant.id, ticketId: ticketId, after: max(0, seq - 20), limit: 20)
        guard let written = recent.first(where: { $0.seq == seq }) else { return nil }
        let quoted = recent.last { $0.seq < seq && $0.senderType == .customer }
        let answered = try await core.stores.toolCalls.toolCall(tenantId: tenant.id, callId: MailService.threadKey(ticketId))?.output
        var mail = MailWriting.reply(
            tenant: tenant, from: from, replyTo: config.addresses.first ?? from, ticket: ticket, message: written, quoted: quoted,
            to: to, answering: answered, texts: AssistantTexts(tenant))
        if let template = tenant.pack.mailTemplates?["reply"] {
            var values = try await ticketValues(ticket, tenant: tenant, customer: to)
            values["message.text"] = written.content
            values["message.author"] = written.senderName ?? ""
            values["quoted"] = quoted.map { MailWriting.quote($0.content) } ?? ""
            let html = [
                "message.text": MailWriting.paragraphs(written.content),
                "quoted": quoted.map { "<blockquote>" + MailWriting.paragraphs($0.content) + "</blockquote>" } ?? "",
            ]
            mail = MailWriting.worded(mail, by: template, values: values, html: html) { "\($0) [\(ticketId)]" }
        }
        return (mail, ticketId, bounce)
    }

    /// The acknowledgement of a ticket a customer's mail opened, unless the sender had their
    /// hour's share: each one takes one of the hour's numbered slots of the address, claimed in
    /// the store, so instances and restarts count together.
    func acknowledgement(for event: LiveEvent, tenant: Tenant, config: TenantMail, from: String) async throws -> (mail: OutgoingMail, ticketId: String, bounce: EmailBounce?)? {
        guard config.acknowledgements > 0, let (ticket, to, bounce) = try await mailedTicket(event, tenant: tenant), bounce == nil,
            let first = try await core.stores.tickets.messages(tenantId: tenant.id, ticketId: ticket.ticketId, after: 0, limit: 1).first,
            first.senderType == .customer
        else { return nil }
        let hour = Int(core.clock.now().timeIntervalSince1970 / 3_600)
        var granted = false
        for slot in 0..<config.acknowledgements {
            let key = "mailack:\(to.key.prefix(200)):\(hour):\(slot)"
            if try await core.stores.toolCalls.claimToolCall(tenantId: tenant.id, callId: key, at: core.clock.now()) == nil {
                try await core.stores.toolCalls.completeToolCall(tenantId: tenant.id, callId: key, output: ticket.ticketId)
                granted = true
                break
            }
        }
        guard granted else { return nil }
        let answered = try await core.stores.toolCalls.toolCall(tenantId: tenant.id, callId: MailService.threadKey(ticket.ticketId))?.output
        var mail = MailWriting.acknowledgement(
            tenant: tenant, from: from, replyTo: config.addresses.first ?? from, ticket: ticket, message: first, to: to,
            answering: answered, texts: AssistantTexts(tenant))
        if let template = tenant.pack.mailTemplates?["acknowledgement"] {
            var values = try await ticketValues(ticket, tenant: tenant, customer: to)
            values["message.text"] = first.content
            mail = MailWriting.worded(mail, by: template, values: values, html: ["message.text": MailWriting.paragraphs(first.content)]) {
                "\($0) [\(ticket.ticketId)]"
            }
        }
        return (mail, ticket.ticketId, nil)
    }

    /// A rule's `send_mail`: the pack's template, filled in with the ticket as it is now, to the
    /// ticket's customer (whatever channel the ticket came by, when they have an address).
    func ruleMail(for event: LiveEvent, tenant: Tenant, config: TenantMail, from: String) async throws -> (mail: OutgoingMail, ticketId: String, bounce: EmailBounce?)? {
        guard let data = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any],
            let name = data["template"] as? String, let template = tenant.pack.mailTemplates?[name],
            let (ticket, to, bounce) = try await mailedTicket(event, tenant: tenant, byMailOnly: false)
        else { return nil }
        let values = try await ticketValues(ticket, tenant: tenant, customer: to)
        let answered = try await core.stores.toolCalls.toolCall(tenantId: tenant.id, callId: MailService.threadKey(ticket.ticketId))?.output
        let mail = MailWriting.templated(
            template, values: values, tenant: tenant, from: from, replyTo: config.addresses.first ?? from, ticket: ticket, to: to, answering: answered,
            id: "r\(event.id)", at: event.at)
        return (mail, ticket.ticketId, bounce)
    }

    /// What every template may say of a ticket (`MailTemplate.placeholders`), as it is now.
    func ticketValues(_ ticket: Ticket, tenant: Tenant, customer: MailAddress?) async throws -> [String: String] {
        var agent: Agent?
        if let assignee = ticket.assignedAgent { agent = try await core.stores.people.agent(tenantId: tenant.id, id: assignee) }
        var customerName = customer.map { $0.name ?? $0.address }
        if customerName == nil, let found = try await core.stores.people.customer(tenantId: tenant.id, id: ticket.customerId) {
            let name = [found.firstName, found.lastName].compactMap { $0 }.joined(separator: " ")
            customerName = name.isEmpty ? found.email ?? "" : name
        }
        return [
            "ticket.id": ticket.ticketId, "ticket.subject": ticket.subject, "ticket.status": ticket.status, "ticket.priority": ticket.priority.rawValue,
            "ticket.category": ticket.category, "customer.name": customerName ?? "", "agent.name": agent?.name ?? "", "tenant.name": tenant.name,
        ]
    }

    /// The most supervisors (and admins) an SLA notice goes to.
    static let maxSupervisors = 20

    /// A notice to staff: a ticket assigned to an agent goes to that agent; an SLA target near
    /// or missed goes to the ticket's assignee and the tenant's supervisors and admins. Only
    /// active agents with an address get it.
    func staffNotice(for event: LiveEvent, tenant: Tenant, from: String) async throws -> (mail: OutgoingMail, ticketId: String, bounce: EmailBounce?)? {
        guard let ticketId = event.ticketId, let ticket = try await core.stores.tickets.ticket(tenantId: tenant.id, ticketId: ticketId),
            let data = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
        else { return nil }
        var recipients: [Agent] = []
        func add(_ agent: Agent?) {
            guard let agent, agent.isActive, let email = agent.email, email.contains("@"), !recipients.contains(where: { $0.id == agent.id }) else { return }
            recipients.append(agent)
        }
        if event.type == .ticketAssigned {
            guard let agentId = data["agentId"] as? String else { return nil }
            add(try await core.stores.people.agent(tenantId: tenant.id, id: agentId))
        } else {
            if let assignee = ticket.assignedAgent { add(try await core.stores.people.agent(tenantId: tenant.id, id: assignee)) }
            var page = 1
            while recipients.count <= Self.maxSupervisors {
                let agents = try await core.stores.people.listAgents(tenantId: tenant.id, page: page, limit: 100)
                for agent in agents.items where agent.role != .agent && recipients.count <= Self.maxSupervisors { add(agent) }
                if agents.items.count < 100 { break }
                page += 1
            }
        }
        guard let first = recipients.first, let address = first.email else { return nil }
        let texts = AssistantTexts(tenant)
        let target = data["target"] as? String
        let dueAt = (data["dueAt"] as? String).flatMap(MailWriting.date)
        var mail = MailWriting.staffNotice(
            event.type, tenant: tenant, from: from, ticket: ticket, to: MailAddress(name: first.name, address: address),
            target: target, dueAt: dueAt, eventId: event.id, at: event.at, texts: texts)
        let name = event.type == .ticketAssigned ? "assigned" : event.type == .slaWarning ? "sla_warning" : "sla_breached"
        if let template = tenant.pack.mailTemplates?[name] {
            var values = try await ticketValues(ticket, tenant: tenant, customer: nil)
            values["sla.target"] = MailWriting.targetWords(target, texts)
            values["sla.due"] = dueAt.map { MailWriting.time($0, tenant) } ?? ""
            mail = MailWriting.worded(mail, by: template, values: values) { "[\(ticketId)] \($0)" }
        }
        mail.bcc = recipients.dropFirst().compactMap(\.email)
        return (mail, ticketId, nil)
    }

    /// An internal note on the ticket: the mail did not reach the customer, and why.
    func tellStaff(_ tenant: Tenant, ticketId: String, to address: String, reason: String, attempts: Int) async throws {
        let texts = AssistantTexts(tenant)
        let note = texts.pick(
            es: "No se pudo enviar el correo a \(address) (\(attempts) intentos): \(reason)",
            vi: "Không gửi được thư tới \(address) (\(attempts) lần thử): \(reason)",
            en: "The mail to \(address) could not be sent (\(attempts) attempts): \(reason)")
        let mailer = Principal(tenantId: tenant.id, role: .admin, subject: "mail")
        do {
            _ = try await TicketService(core: core).addNote(mailer, ticketId, content: String(note.prefix(TicketLimits.note)), isInternal: true)
        } catch let error as DocketError where error.code == .notFound || error.code == .conflict {
            // The ticket is gone or full of notes: the outlet's lastError still says it.
        }
    }
}

/// The words and shape of the mails Docket writes.
enum MailWriting {
    /// A staff member's reply as a mail: their words, their name and the tenant's, how to answer
    /// (in the tenant's language), and the customer's last message quoted; text and HTML.
    static func reply(
        tenant: Tenant, from: String, replyTo: String, ticket: Ticket, message: TicketMessage, quoted: TicketMessage?, to: MailAddress,
        answering: String?, texts: AssistantTexts
    ) -> OutgoingMail {
        let ticketId = ticket.ticketId
        let signature = "— " + [message.senderName, tenant.name].compactMap { $0 }.joined(separator: ", ")
        let footer = texts.pick(
            es: "Responde a este correo para seguir con tu \(texts.terms.ticketSingular) \(ticketId).",
            vi: "Hãy trả lời thư này để tiếp tục \(texts.terms.ticketSingular) \(ticketId).",
            en: "Reply to this mail to continue your \(texts.terms.ticketSingular) \(ticketId).")
        let wrote = texts.pick(es: "Escribiste:", vi: "Bạn đã viết:", en: "You wrote:")
        var text = message.content + "\n\n" + signature + "\n\n" + footer + "\n"
        var html = "<div>" + paragraphs(message.content) + "</div>\n<p>" + escape(signature) + "</p>\n<p><small>" + escape(footer) + "</small></p>\n"
        if let quoted {
            text += "\n" + wrote + "\n" + quote(quoted.content) + "\n"
            html += "<p>" + escape(wrote) + "</p>\n<blockquote>" + paragraphs(quoted.content) + "</blockquote>\n"
        }
        return envelope(
            tenant: tenant, from: from, replyTo: replyTo, ticket: ticket, to: to, answering: answering, id: String(message.seq), date: message.createdAt,
            text: text, html: html, headers: [("X-Docket-Origin", ticket.tenantId)])
    }

    /// A new ticket acknowledged: its number, what the customer wrote, how to add to it; marked
    /// as automatic (RFC 3834), so that no machine answers it, and asking Exchange not to.
    static func acknowledgement(
        tenant: Tenant, from: String, replyTo: String, ticket: Ticket, message: TicketMessage, to: MailAddress, answering: String?,
        texts: AssistantTexts
    ) -> OutgoingMail {
        let ticketId = ticket.ticketId
        let noun = texts.terms.ticketSingular
        let received = texts.pick(
            es: "Hemos recibido tu mensaje. Tu \(noun) es \(ticketId): «\(ticket.subject)».",
            vi: "Chúng tôi đã nhận được thư của bạn. Mã \(noun) của bạn là \(ticketId): «\(ticket.subject)».",
            en: "We have received your message. Your \(noun) is \(ticketId): “\(ticket.subject)”.")
        let next = texts.pick(
            es: "Te responderemos por correo. Para añadir algo, responde a este correo; no hace falta escribir de nuevo.",
            vi: "Chúng tôi sẽ trả lời qua thư. Muốn bổ sung, hãy trả lời thư này; không cần viết lại.",
            en: "We will answer by mail. To add something, reply to this mail; there is no need to write again.")
        let wrote = texts.pick(es: "Escribiste:", vi: "Bạn đã viết:", en: "You wrote:")
        let signature = "— " + tenant.name
        let text = received + "\n\n" + next + "\n\n" + signature + "\n\n" + wrote + "\n"
            + quote(message.content) + "\n"
        let html = "<p>" + escape(received) + "</p>\n<p>" + escape(next) + "</p>\n<p>" + escape(signature) + "</p>\n<p>" + escape(wrote)
            + "</p>\n<blockquote>" + paragraphs(message.content) + "</blockquote>\n"
        return envelope(
            tenant: tenant, from: from, replyTo: replyTo, ticket: ticket, to: to, answering: answering, id: "ack", date: ticket.createdAt,
            text: text, html: html,
            headers: [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All"), ("X-Docket-Origin", ticket.tenantId)])
    }

    /// A pack's template filled in (`worded`): its subject with the ticket's id, its text and
    /// HTML as the pack wrote them; automatic (`Auto-Submitted: auto-generated`).
    static func templated(
        _ template: MailTemplate, values: [String: String], tenant: Tenant, from: String, replyTo: String, ticket: Ticket, to: MailAddress,
        answering: String?, id: String, at: Date
    ) -> OutgoingMail {
        let mail = envelope(
            tenant: tenant, from: from, replyTo: replyTo, ticket: ticket, to: to, answering: answering, id: id, date: at, text: "", html: "",
            headers: [("Auto-Submitted", "auto-generated"), ("X-Docket-Origin", ticket.tenantId)])
        return worded(mail, by: template, values: values) { "\($0) [\(ticket.ticketId)]" }
    }

    /// A notice to staff about a ticket: assigned to them, or an SLA target near or missed.
    /// Automatic (`Auto-Submitted: auto-generated`); its answer goes nowhere a customer sees.
    static func staffNotice(
        _ type: LiveEventType, tenant: Tenant, from: String, ticket: Ticket, to: MailAddress, target: String?, dueAt: Date?, eventId: Int,
        at: Date, texts: AssistantTexts
    ) -> OutgoingMail {
        let ticketId = ticket.ticketId
        let noun = texts.terms.ticketSingular
        let what = targetWords(target, texts)
        let when = dueAt.map { time($0, tenant) } ?? "?"
        let (subject, lead): (String, String)
        switch type {
        case .ticketAssigned:
            subject = texts.pick(es: "Asignado a ti", vi: "Được giao cho bạn", en: "Assigned to you")
            lead = texts.pick(
                es: "Se te asignó el \(noun) \(ticketId): «\(ticket.subject)».", vi: "Bạn được giao \(noun) \(ticketId): «\(ticket.subject)».",
                en: "The \(noun) \(ticketId) was assigned to you: “\(ticket.subject)”.")
        case .slaWarning:
            subject = texts.pick(es: "SLA por vencer", vi: "SLA sắp hết hạn", en: "SLA due soon")
            lead = texts.pick(
                es: "El plazo de \(what) del \(noun) \(ticketId) («\(ticket.subject)») vence el \(when).",
                vi: "Hạn \(what) của \(noun) \(ticketId) («\(ticket.subject)») là \(when).",
                en: "The target for \(what) of \(noun) \(ticketId) (“\(ticket.subject)”) is due at \(when).")
        default:
            subject = texts.pick(es: "SLA incumplido", vi: "SLA bị vi phạm", en: "SLA breached")
            lead = texts.pick(
                es: "El plazo de \(what) del \(noun) \(ticketId) («\(ticket.subject)») venció el \(when).",
                vi: "Hạn \(what) của \(noun) \(ticketId) («\(ticket.subject)») đã quá lúc \(when).",
                en: "The target for \(what) of \(noun) \(ticketId) (“\(ticket.subject)”) was missed at \(when).")
        }
        let facts = texts.pick(es: "Prioridad", vi: "Mức ưu tiên", en: "Priority") + ": \(ticket.priority.rawValue) · "
            + texts.pick(es: "Estado", vi: "Trạng thái", en: "Status") + ": \(ticket.status) · "
            + texts.pick(es: "Asignado a", vi: "Người phụ trách", en: "Assignee") + ": \(ticket.assignedAgent ?? "—")"
        let footer = texts.pick(
            es: "Aviso automático de \(tenant.name). Atiéndelo en la consola; una respuesta a este correo no llega al cliente.",
            vi: "Thông báo tự động từ \(tenant.name). Hãy xử lý trong bảng điều khiển; trả lời thư này không tới khách hàng.",
            en: "An automatic notice from \(tenant.name). Work it in the console; a reply to this mail does not reach the customer.")
        let text = lead + "\n\n" + facts + "\n\n" + footer + "\n"
        let html = "<p>" + escape(lead) + "</p>\n<p>" + escape(facts) + "</p>\n<p><small>" + escape(footer) + "</small></p>\n"
        let safeTenant = ticket.tenantId.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        let safeTicket = ticketId.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        return OutgoingMail(
            from: MailAddress(name: tenant.name, address: from), to: to, subject: "[\(ticketId)] \(subject): \(ticket.subject)",
            messageId: "docket.\(safeTicket).n\(eventId).\(safeTenant)@\(split(from).domain)", date: at, text: text,
            html: "<!DOCTYPE html>\n<html><body>\n" + html + "</body></html>\n",
            headers: [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All"), ("X-Docket-Origin", ticket.tenantId)])
    }

    /// A one-time password link for an agent: an invitation or a reset, how long it works, and
    /// what to do when it was not asked for.
    static func passwordLink(_ link: PasswordLink, url: String, tenant: Tenant, from: String, name: String?, texts: AssistantTexts, at: Date) -> OutgoingMail {
        let until = time(link.expiresAt, tenant)
        let invite = link.purpose == .invite
        let subject = invite
            ? texts.pick(es: "Tu acceso a \(tenant.name)", vi: "Tài khoản của bạn tại \(tenant.name)", en: "Your access to \(tenant.name)")
            : texts.pick(es: "Cambia tu contraseña de \(tenant.name)", vi: "Đổi mật khẩu tại \(tenant.name)", en: "Change your \(tenant.name) password")
        let lead = invite
            ? texts.pick(
                es: "Te invitaron a la consola de \(tenant.name). Elige tu contraseña con este enlace:",
                vi: "Bạn được mời vào bảng điều khiển của \(tenant.name). Hãy chọn mật khẩu bằng liên kết này:",
                en: "You were invited to the \(tenant.name) console. Choose your password with this link:")
            : texts.pick(
                es: "Para cambiar tu contraseña de \(tenant.name), abre este enlace:",
                vi: "Để đổi mật khẩu tại \(tenant.name), hãy mở liên kết này:",
                en: "To change your \(tenant.name) password, open this link:")
        let rule = texts.pick(
            es: "Sirve una vez, hasta el \(until). Si no lo pediste, no hagas nada: tu acceso no cambia.",
            vi: "Liên kết chỉ dùng được một lần, đến \(until). Nếu bạn không yêu cầu, hãy bỏ qua thư này.",
            en: "It works once, until \(until). If you did not ask for it, do nothing: your access does not change.")
        let greeting = name.map { "\($0):\n\n" } ?? ""
        let text = greeting + lead + "\n\n" + url + "\n\n" + rule + "\n"
        let html = (name.map { "<p>" + escape($0) + ":</p>\n" } ?? "") + "<p>" + escape(lead) + "</p>\n<p><a href=\"" + escape(url) + "\">" + escape(url)
            + "</a></p>\n<p><small>" + escape(rule) + "</small></p>\n"
        let safeTenant = link.tenantId.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        return OutgoingMail(
            from: MailAddress(name: tenant.name, address: from), to: MailAddress(name: name, address: link.email), subject: subject,
            messageId: "docket.account.l\(Int(at.timeIntervalSince1970 * 1000)).\(safeTenant)@\(split(from).domain)", date: at, text: text,
            html: "<!DOCTYPE html>\n<html><body>\n" + html + "</body></html>\n",
            headers: [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All"), ("X-Docket-Origin", link.tenantId)])
    }

    /// An SLA target in the tenant's words ("the first response"...).
    static func targetWords(_ target: String?, _ texts: AssistantTexts) -> String {
        switch target {
        case "firstResponse": texts.pick(es: "la primera respuesta", vi: "phản hồi đầu tiên", en: "the first response")
        case "nextReply": texts.pick(es: "la siguiente respuesta", vi: "phản hồi tiếp theo", en: "the next reply")
        default: texts.pick(es: "la resolución", vi: "việc giải quyết", en: "the resolution")
        }
    }

    /// A moment in the tenant's time zone, to the minute, with the zone named.
    static func time(_ date: Date, _ tenant: Tenant) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = tenant.timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        return formatter.string(from: date)
    }

    /// `mail` in the words of the pack's `template`: its subject (`subject` adds the ticket's
    /// tag), text and HTML; the envelope, threading and headers stay Docket's. `values` fill the
    /// text and subject; in the template's HTML each value is escaped, or taken from `html`
    /// (already HTML) when it has one there. Without HTML in the template, the text is escaped.
    static func worded(
        _ mail: OutgoingMail, by template: MailTemplate, values: [String: String], html: [String: String] = [:], subject: (String) -> String
    ) -> OutgoingMail {
        var mail = mail
        mail.subject = subject(String(MailTemplate.render(template.subject, values, oneLine: true).prefix(MailTemplate.maxSubject)))
        let text = MailTemplate.render(template.text, values)
        mail.text = text.hasSuffix("\n") ? text : text + "\n"
        guard let page = template.html else {
            mail.html = "<!DOCTYPE html>\n<html><body>\n" + paragraphs(text) + "\n</body></html>\n"
            return mail
        }
        let body = MailTemplate.render(page, values.mapValues(escape).merging(html) { $1 })
        mail.html = body.range(of: "<html", options: .caseInsensitive) != nil ? body : "<!DOCTYPE html>\n<html><body>\n" + body + "\n</body></html>\n"
        return mail
    }

    /// A message quoted for a text mail: each line after "> ".
    static func quote(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "> " + $0 }.joined(separator: "\n")
    }

    /// A date as the event data writes it (ISO 8601, UTC, perhaps with fractions of a second).
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// Whether `messageId` is one of Docket's notices to staff (`docket.<ticket>.n<event>.…`).
    static func isStaffNotice(_ messageId: String) -> Bool {
        let parts = messageId.split(separator: ".")
        guard parts.count >= 4, parts[0] == "docket", parts[2].first == "n" else { return false }
        return parts[2].dropFirst().allSatisfy(\.isNumber) && parts[2].count > 1
    }

    /// A mail about `ticket`: from the tenant, answered to the ticket's tagged address, its
    /// subject naming the ticket, its `Message-ID` made of the ticket and `id`.
    static func envelope(
        tenant: Tenant, from: String, replyTo: String, ticket: Ticket, to: MailAddress, answering: String?, id: String, date: Date, text: String,
        html: String, headers: [(String, String)]
    ) -> OutgoingMail {
        let ticketId = ticket.ticketId
        let (local, domain) = split(replyTo)
        let safeTenant = ticket.tenantId.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        let safeTicket = ticketId.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        let subject = ticket.subject.hasPrefix("Re:") ? ticket.subject : "Re: \(ticket.subject)"
        return OutgoingMail(
            from: MailAddress(name: tenant.name, address: from), to: to, replyTo: "\(local)+\(ticketId)@\(domain)",
            subject: "\(subject) [\(ticketId)]",
            messageId: "docket.\(safeTicket).\(id).\(safeTenant)@\(split(from).domain)", inReplyTo: answering,
            references: answering.map { [$0] } ?? [], date: date, text: text, html: "<!DOCTYPE html>\n<html><body>\n" + html + "</body></html>\n",
            headers: headers)
    }

    static func split(_ address: String) -> (local: String, domain: String) {
        guard let at = address.lastIndex(of: "@") else { return (address, "localhost") }
        return (String(address[..<at]), String(address[address.index(after: at)...]))
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func paragraphs(_ text: String) -> String {
        text.components(separatedBy: "\n\n").map { "<p>" + escape($0).replacingOccurrences(of: "\n", with: "<br>") + "</p>" }.joined()
    }
}
