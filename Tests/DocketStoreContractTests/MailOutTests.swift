import DocketCore
import DocketMail
import DocketWire
import DocketTestSupport
import Foundation
import Testing

/// Mail out, on every store, through a real SMTP server (aiosmtpd): an agent's public reply in a
/// ticket that came by mail reaches the customer once, answering their mail, and their answer
/// to it comes back to the ticket; notes and other channels send nothing; a relay that refuses
/// for now gets the mail again later, in order; one that refuses for good leaves a note.
@Suite("Mail out, on every store")
struct MailOutServiceTests {
    /// A tenant sending through `sink`; without acknowledgements unless asked for, so that the
    /// replies are what a test counts.
    static func desk(_ kind: StoreKind, sink: SMTPSink, acknowledgements: Int = 0, dkim: [DKIMKey]? = nil, notifyStaff: Bool = false, agents: [String] = ["ana", "bea"]) async throws -> Desk {
        let desk = try await Desk(kind, agents: agents)
        _ = try await desk.services.tenants.setMail(
            Desk.admin,
            TenantMail(
                addresses: ["soporte@luxfree.example"], relay: MailRelay(host: "127.0.0.1", port: sink.port, security: .none),
                acknowledgementsPerHour: acknowledgements, dkim: dkim, notifyStaff: notifyStaff))
        return desk
    }

    static func dispatcher(_ desk: Desk, instance: String = "i1") -> MailDispatcher {
        MailDispatcher(core: desk.services.core, sender: SMTPMailSender(submitter: SMTPSubmitter(hostname: "docket.test", timeout: .seconds(30))), instance: instance)
    }

    static func mailIn(_ desk: Desk, id: String, text: String, inReplyTo: [String] = [], from: String = "Ana Pérez <ana.perez@example.mx>") async throws -> MailOutcome {
        var mail = MailServiceTests.mail(from: from, subject: "Corte de energía", text: text, id: id)
        mail.inReplyTo = inReplyTo
        return try await MailServiceTests.receive(desk, mail)
    }

    /// A rule's `send_mail`: the pack's template, filled in with the ticket, reaches the
    /// customer once, marked automatic; a template the pack lacks is refused in the audit.
    @Test(arguments: StoreKind.available) func aRulesTemplatedMailReachesTheCustomerOnce(kind: StoreKind) async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let templates = [
            "recibido": MailTemplate(
                subject: "Recibimos tu {{ticket.category}}: {{ticket.subject}}",
                text: "Hola {{customer.name}}:\n\nTu caso {{ticket.id}} tiene prioridad {{ticket.priority}} en {{tenant.name}}. <b>Gracias</b>.")
        ]
        let desk = try await Desk(kind, rules: [.ticketCreated: [.sendMail(template: "recibido"), .sendMail(template: "no_existe")]], mailTemplates: templates)
        _ = try await desk.services.tenants.setMail(
            Desk.admin,
            TenantMail(addresses: ["soporte@luxfree.example"], relay: MailRelay(host: "127.0.0.1", port: sink.port, security: .none), acknowledgementsPerHour: 0, notifyStaff: false))
        let dispatcher = Self.dispatcher(desk)
        guard case .stored(let ticketId, true) = try await Self.mailIn(desk, id: "rm1@example.mx", text: "Se cayó un poste") else {
            Issue.record("no ticket")
            return
        }
        let ticket = try await desk.services.tickets.ticket(Desk.admin, ticketId)
        #expect(try await dispatcher.runOnce() == 1)
        #expect(try await dispatcher.runOnce() == 0, "sent once")
        let sent = try #require(try await sink.wait(for: 1).first)
        #expect(sent.recipients == ["ana.perez@example.mx"])
        let read = try MIMEParser.parse(sent.message)
        #expect(read.subject == "Recibimos tu \(ticket.category): Corte de energía [\(ticketId)]")
        #expect(read.text.contains("Hola Ana Pérez:"))
        #expect(read.text.contains("Tu caso \(ticketId) tiene prioridad \(ticket.priority.rawValue) en T. <b>Gracias</b>."))
        #expect(read.markers.autoSubmitted == "auto-generated")
        #expect(read.inReplyTo == ["rm1@example.mx"], "it answers the customer's mail")
        #expect(sent.text.contains("&lt;b&gt;Gracias"), "the HTML part escapes the template's text")
        let audit = try await desk.services.tickets.ruleAudit(Desk.admin, ticketId)
        #expect(audit.contains { $0.applied.contains("send_mail(recibido)") && $0.mails == ["recibido"] })
        #expect(audit.contains { $0.rejected.contains { $0.action == "send_mail(no_existe)" && $0.reason.contains("no mail template 'no_existe'") } })
    }

    /// A pack words Docket's own mails under the reserved template names: the acknowledgement,
    /// an agent's reply (with its HTML alternative, the conversation quoted), the notices to
    /// staff and the invitation come out in the pack's words, with Docket's threading, headers
    /// and escaping; a rule cannot send a reserved template.
    @Test(arguments: StoreKind.available) func aPacksTemplatesWordDocketsOwnMails(kind: StoreKind) async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let templates = [
            "acknowledgement": MailTemplate(
                subject: "Recibido: {{ticket.subject}}",
                text: "Hola {{customer.name}}, tu reporte {{ticket.id}} quedó registrado:\n\n{{message.text}}\n\n— {{tenant.name}}"),
            "reply": MailTemplate(
                subject: "Re: {{ticket.subject}}",
                text: "{{message.text}}\n\n{{message.author}} ({{agent.name}}) · {{tenant.name}}\n\nEscribiste:\n{{quoted}}",
                html: #"<div style="font-family:sans-serif">{{message.text}}<p class="firma">{{message.author}} · {{tenant.name}}</p>{{quoted}}</div>"#),
            "assigned": MailTemplate(subject: "Para {{agent.name}}: {{ticket.subject}}", text: "{{agent.name}}, atiende {{ticket.id}} de {{customer.name}}."),
            "sla_breached": MailTemplate(subject: "Vencido {{ticket.id}}", text: "Venció {{sla.target}} ({{sla.due}}) de {{ticket.id}}, prioridad {{ticket.priority}}."),
            "invitation": MailTemplate(
                subject: "Bienvenida a {{tenant.name}}", text: "{{agent.name}}: entra con {{link.url}} antes del {{link.expires}}.",
                html: #"<p>{{agent.name}}: <a href="{{link.url}}">entra</a></p>"#),
        ]
        let desk = try await Desk(
            kind, rules: [.ticketCreated: [.setPriority(.urgent), .sendMail(template: "reply")]], agents: [], mailTemplates: templates)
        _ = try await desk.services.tenants.setMail(
            Desk.admin,
            TenantMail(
                addresses: ["soporte@luxfree.example"], relay: MailRelay(host: "127.0.0.1", port: sink.port, security: .none), acknowledgementsPerHour: 1,
                notifyStaff: true))
        _ = try await desk.services.tenants.createAgent(Desk.admin, NewAgent(id: "carla", name: "Carla Ruiz", email: "carla@luxfree.example", capacity: 5))
        let dispatcher = Self.dispatcher(desk)
        guard case .stored(let ticketId, true) = try await Self.mailIn(desk, id: "w1@example.mx", text: "Se cayó <b>un poste</b>\nfrente a la escuela") else {
            Issue.record("no ticket")
            return
        }
        let audit = try await desk.services.tickets.ruleAudit(Desk.admin, ticketId)
        #expect(audit.contains { $0.rejected.contains { $0.action == "send_mail(reply)" && $0.reason.contains("words Docket's own mail") } })

        // The acknowledgement: the pack's words, Docket's threading and marks, the HTML escaped.
        #expect(try await dispatcher.runOnce() == 1, "the acknowledgement only: the rule's reserved template was refused")
        let ackSent = try #require(try await sink.wait(for: 1).first)
        let ack = try MIMEParser.parse(ackSent.message)
        #expect(ack.subject == "Recibido: Corte de energía [\(ticketId)]")
        #expect(ack.text.trimmingCharacters(in: .whitespacesAndNewlines) == "Hola Ana Pérez, tu reporte \(ticketId) quedó registrado:\n\nSe cayó <b>un poste</b>\nfrente a la escuela\n\n— T")
        #expect(ack.markers.autoSubmitted == "auto-replied")
        #expect(ack.inReplyTo == ["w1@example.mx"])
        #expect(ack.replyTo.map(\.address) == ["soporte+\(ticketId)@luxfree.example"])
        let ackRead = try #require(try await pythonEmail(ackSent.message).json)
        let ackHTML = try #require(ackRead["html"] as? String)
        #expect(ackHTML.contains("Se cayó &lt;b&gt;un poste&lt;/b&gt;<br>frente a la escuela"), "\(ackHTML)")
        #expect(!ackHTML.contains("<b>"))

        // The assignment notice, then the urgent first response missed.
        _ = try await desk.services.tickets.assign(Desk.admin, ticketId, to: "carla")
        #expect(try await dispatcher.runOnce() == 1)
        let notice = try MIMEParser.parse(try await sink.wait(for: 2)[1].message)
        #expect(notice.subject == "[\(ticketId)] Para Carla Ruiz: Corte de energía")
        #expect(notice.text.contains("Carla Ruiz, atiende \(ticketId) de Ana Pérez."))
        #expect(notice.markers.autoSubmitted == "auto-generated")
        var answer = MailServiceTests.mail(from: "carla@luxfree.example", subject: "Re: \(notice.subject)", text: "Voy", id: "carla-1@luxfree.example")
        answer.inReplyTo = [try #require(notice.messageId)]
        #expect(
            try await MailServiceTests.receive(desk, answer) == .ignored("an answer to a notice Docket sent to staff: it goes to no customer's ticket"),
            "still known as a notice, not taken for a customer's mail")
        desk.clock.advance(by: 16 * 60)
        #expect(try await desk.services.tickets.fireDueTimers() >= 1)
        #expect(try await dispatcher.runOnce() >= 1)
        let breach = try MIMEParser.parse(try #require(sink.received().last).message)
        #expect(breach.subject == "[\(ticketId)] Vencido \(ticketId)")
        #expect(breach.text.contains("Venció la primera respuesta (2026-11-18 "), "\(breach.text)")
        #expect(breach.text.contains("de \(ticketId), prioridad urgent."))

        // Carla's reply: her words, her name, the customer's mail quoted; the template's HTML
        // as written around values that are escaped.
        let before = sink.received().count
        _ = try await desk.services.conversations.postMessage(Desk.agent("carla"), ticketId, NewMessage(content: "Hola Ana:\nYa va <i>la cuadrilla</i>."))
        #expect(try await dispatcher.runOnce() == 1)
        let replySent = try #require(try await sink.wait(for: before + 1).last)
        let reply = try MIMEParser.parse(replySent.message)
        #expect(reply.subject == "Re: Corte de energía [\(ticketId)]")
        #expect(reply.inReplyTo == ["w1@example.mx"])
        #expect(reply.markers.docketOrigin == "t")
        #expect(reply.text.contains("Hola Ana:\nYa va <i>la cuadrilla</i>.\n\nCarla Ruiz (Carla Ruiz) · T\n\nEscribiste:\n> Se cayó <b>un poste</b>\n> frente a la escuela"), "\(reply.text)")
        let replyRead = try #require(try await pythonEmail(replySent.message).json)
        let replyHTML = try #require(replyRead["html"] as? String)
        #expect(replyHTML.contains(#"<div style="font-family:sans-serif"><p>Hola Ana:<br>Ya va &lt;i&gt;la cuadrilla&lt;/i&gt;.</p><p class="firma">Carla Ruiz · T</p>"#), "\(replyHTML)")
        #expect(replyHTML.contains("<blockquote><p>Se cayó &lt;b&gt;un poste&lt;/b&gt;<br>frente a la escuela</p></blockquote></div>"))
        #expect((replyRead["types"] as? [String]) == ["multipart/alternative", "text/plain", "text/html"])

        // The invitation, through the same relay: the link in the pack's words, in the HTML an
        // escaped address inside the pack's anchor.
        let sending = DocketServices(
            store: desk.store, wire: DocketWireFormat(), clock: desk.clock, tenantCacheSeconds: 0, rules: ScriptedRules(actions: [:]),
            packInspector: ManifestInspector(), mailSender: SMTPMailSender(submitter: SMTPSubmitter(hostname: "docket.test", timeout: .seconds(30))))
        let accounts = AccountService(core: sending.core, hasher: UnusedHasher())
        let link = try await accounts.createPasswordLink(Desk.admin, agentId: "carla", id: "l1")
        #expect(try await accounts.mailPasswordLink(link, url: "https://desk.example/#/password/s3cr3t?a=1&b=2") == .mailed)
        let invitationSent = try #require(sink.received().last)
        let invitation = try MIMEParser.parse(invitationSent.message)
        #expect(invitationSent.recipients == ["carla@luxfree.example"])
        #expect(invitation.subject == "Bienvenida a T")
        #expect(invitation.text.hasPrefix("Carla Ruiz: entra con https://desk.example/#/password/s3cr3t?a=1&b=2 antes del 2026-11-"))
        #expect(invitation.markers.autoSubmitted == "auto-generated")
        let invitationHTML = try #require(try await pythonEmail(invitationSent.message).json?["html"] as? String)
        #expect(invitationHTML.contains(#"<p>Carla Ruiz: <a href="https://desk.example/#/password/s3cr3t?a=1&amp;b=2">entra</a></p>"#))
    }

    @Test(arguments: StoreKind.available) func anAgentsReplyReachesTheCustomerOnceAndTheirAnswerComesBack(kind: StoreKind) async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let desk = try await Self.desk(kind, sink: sink)
        let dispatcher = Self.dispatcher(desk)
        guard case .stored(let ticketId, true) = try await Self.mailIn(desk, id: "m1@example.mx", text: "Sigue sin luz en la colonia") else {
            Issue.record("no ticket")
            return
        }
        let ana = Desk.agent("ana")
        _ = try await desk.services.tickets.claim(ana, ticketId)
        _ = try await desk.services.tickets.addNote(ana, ticketId, content: "Nota interna: revisar transformador", isInternal: true)
        _ = try await desk.services.conversations.postMessage(ana, ticketId, NewMessage(content: "Hola Ana:\n\nYa va una cuadrilla <b>hoy</b>."))
        // A reply in a ticket that did not come by mail sends nothing.
        let web = try await desk.open()
        _ = try await desk.services.conversations.postMessage(ana, web.ticketId, NewMessage(content: "Respuesta por la web"))
        #expect(try await dispatcher.runOnce() == 1)
        #expect(try await dispatcher.runOnce() == 0, "sent once")
        let mail = try #require(try await sink.wait(for: 1).first)
        #expect(mail.mailFrom == "soporte@luxfree.example")
        #expect(mail.recipients == ["ana.perez@example.mx"])
        let read = try MIMEParser.parse(mail.message)
        #expect(read.subject == "Re: Corte de energía [\(ticketId)]")
        #expect(read.from?.address == "soporte@luxfree.example")
        #expect(read.from?.name == "T")
        #expect(read.replyTo.map(\.address) == ["soporte+\(ticketId)@luxfree.example"])
        #expect(read.inReplyTo == ["m1@example.mx"], "it answers the customer's mail")
        #expect(read.markers.docketOrigin == "t")
        #expect(read.text.contains("Ya va una cuadrilla <b>hoy</b>."), "the agent's words as written, in the text part")
        #expect(read.text.contains("> Sigue sin luz en la colonia"), "the customer's message quoted")
        #expect(read.text.contains("Responde a este correo"), "in the tenant's language")
        #expect(!mail.text.contains("Nota interna"), "notes stay inside")
        #expect(mail.text.contains("&lt;b&gt;hoy"), "the HTML part escapes what the agent wrote")
        let ours = try #require(read.messageId)
        // The customer answers that mail: it joins the ticket, even from a mail program that
        // dropped the tag from the address.
        let answer = try await Self.mailIn(desk, id: "m2@example.mx", text: "Gracias, aquí los espero", inReplyTo: [ours])
        #expect(answer == .stored(ticketId: ticketId, created: false))
        // Docket's own mail coming back is not taken as the customer's.
        var bounced = read
        bounced.messageId = "back-1@example.mx"
        #expect(try await MailServiceTests.receive(desk, bounced) == .ignored("it is a mail Docket sent (X-Docket-Origin) coming back"))
        // The next reply answers the customer's latest mail.
        _ = try await desk.services.conversations.postMessage(ana, ticketId, NewMessage(content: "Ya llegamos"))
        #expect(try await dispatcher.runOnce() == 1)
        let second = try MIMEParser.parse(try await sink.wait(for: 2)[1].message)
        #expect(second.inReplyTo == ["m2@example.mx"])
        #expect(second.messageId != ours)
        let outlet = try #require(try await desk.store.mailOutlet(tenantId: "t"))
        #expect(outlet.sent == 2 && outlet.failed == 0 && outlet.retry == nil)
    }

    @Test(arguments: StoreKind.available) func aNewTicketIsAcknowledgedOnceAndAnAutoResponderStartsNoLoop(kind: StoreKind) async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let desk = try await Self.desk(kind, sink: sink, acknowledgements: 2)
        let dispatcher = Self.dispatcher(desk)
        guard case .stored(let ticketId, true) = try await Self.mailIn(desk, id: "a1@example.mx", text: "Sigue sin luz\nen la colonia") else {
            Issue.record("no ticket")
            return
        }
        #expect(try await dispatcher.runOnce() == 1)
        let ack = try MIMEParser.parse(try #require(try await sink.wait(for: 1).first).message)
        #expect(ack.markers.autoSubmitted == "auto-replied", "marked as automatic: no machine answers it")
        #expect(ack.markers.autoResponseSuppress == "All")
        #expect(ack.inReplyTo == ["a1@example.mx"])
        #expect(ack.subject == "Re: Corte de energía [\(ticketId)]")
        #expect(ack.replyTo.map(\.address) == ["soporte+\(ticketId)@luxfree.example"])
        #expect(ack.text.contains("Hemos recibido tu mensaje. Tu reporte es \(ticketId)"), "in the tenant's language and words, with the number")
        #expect(ack.text.contains("> Sigue sin luz\n> en la colonia"), "what the customer wrote, quoted")

        // Ana's mail server answers every mail it gets: one auto-responder says what it is, the
        // other says nothing of the kind, changes the subject and drops the thread's headers.
        // Neither opens a ticket, and nothing more goes out: no loop.
        for round in 0..<6 {
            let got = sink.received()
            let last = try MIMEParser.parse(try #require(got.last).message)
            var answer = MailServiceTests.mail(
                from: "Ana Pérez <ana.perez@example.mx>", subject: round % 2 == 0 ? "Respuesta automática: \(last.subject)" : "Fuera de la oficina",
                text: "Estoy de vacaciones hasta el lunes.", id: "auto-\(round)@example.mx")
            if round % 2 == 0 {
                answer.markers.autoSubmitted = "auto-replied"
                answer.inReplyTo = [try #require(last.messageId)]
            }
            let outcome = try await MailServiceTests.receive(desk, answer, to: last.replyTo.first?.address ?? "soporte@luxfree.example")
            if round % 2 == 0 {
                #expect(outcome == .ignored("Auto-Submitted: auto-replied"))
            } else {
                #expect(outcome == .stored(ticketId: ticketId, created: false), "a machine that hides what it is still lands in the customer's ticket")
            }
            #expect(try await dispatcher.runOnce() == 0, "round \(round): nothing answers it")
        }
        #expect(sink.received().count == 1, "one acknowledgement, no loop")
        var mine = TicketQuery()
        mine.source = .email
        #expect(try await desk.services.tickets.listTickets(Desk.admin, mine).items.count == 1)

        // A sender whose tickets keep being closed (say, a monitoring system): at most two
        // acknowledgements an hour, then again the next hour.
        let agent = Desk.agent("ana")
        var acknowledged = 0
        for index in 0..<4 {
            guard case .stored(let opened, true) = try await Self.mailIn(desk, id: "alarm-\(index)@example.mx", text: "Alarma \(index)", from: "monitor@example.mx")
            else {
                Issue.record("mail \(index) opened no ticket")
                return
            }
            acknowledged += try await dispatcher.runOnce()
            _ = try await desk.services.tickets.changeStatus(agent, opened, to: "closed", reason: nil)
        }
        #expect(acknowledged == 2, "two an hour")
        desk.clock.advance(by: 3_600)
        _ = try await Self.mailIn(desk, id: "alarm-next@example.mx", text: "Alarma", from: "monitor@example.mx")
        #expect(try await dispatcher.runOnce() == 1, "the next hour's first")
        #expect(sink.received().filter { $0.recipients == ["monitor@example.mx"] }.count == 3)
    }

    @Test(arguments: StoreKind.available) func mailOutIsSignedWithTheDomainsKeyAndAnIndependentVerifierAgrees(kind: StoreKind) async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let desk = try await Self.desk(kind, sink: sink, acknowledgements: 1, dkim: [DKIMKey(domain: "LuxFree.example", selector: "docket")])
        let shown = try #require(try await desk.services.tenants.tenant(id: "t")?.overrides.mail?.shown.dkim?.first)
        #expect(shown.privateKey == nil, "never shown")
        #expect(shown.dnsName == "docket._domainkey.luxfree.example")
        let record = try #require(shown.dnsRecord)
        // Set again as an answer shows it (no private key): the key is kept, not made anew.
        var again = try #require(try await desk.services.tenants.tenant(id: "t")?.overrides.mail?.shown)
        again.relay?.password = nil
        _ = try await desk.services.tenants.setMail(Desk.admin, again)
        #expect(try await desk.services.tenants.tenant(id: "t")?.overrides.mail?.shown.dkim?.first?.dnsRecord == record)

        guard case .stored(let ticketId, true) = try await Self.mailIn(desk, id: "k1@example.mx", text: "Sin luz") else {
            Issue.record("no ticket")
            return
        }
        _ = try await desk.services.tickets.claim(Desk.agent("ana"), ticketId)
        _ = try await desk.services.conversations.postMessage(Desk.agent("ana"), ticketId, NewMessage(content: "Vamos en camino, Ana."))
        #expect(try await Self.dispatcher(desk).runOnce() == 2, "the acknowledgement and the reply")
        for mail in try await sink.wait(for: 2) {
            #expect(mail.text.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=luxfree.example; s=docket;"))
            let check = try await DKIMCheck.verify(mail.message, dnsName: "docket._domainkey.luxfree.example", record: record)
            #expect(check.valid, "\(check.output)")
        }
    }

    /// A delivery report as Postfix writes one: the reason in words, the verdict per recipient,
    /// and the returned mail's headers.
    static func report(for address: String, action: String, status: String, returning messageId: String?) -> [UInt8] {
        let text = """
            From: MAILER-DAEMON@mx.example.mx (Mail Delivery System)\r
            To: soporte@luxfree.example\r
            Subject: Undelivered Mail Returned to Sender\r
            Message-ID: <dsn-\(UUID().uuidString)@mx.example.mx>\r
            Auto-Submitted: auto-replied\r
            MIME-Version: 1.0\r
            Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r
            \r
            --B\r
            Content-Type: text/plain; charset=us-ascii\r
            \r
            I'm sorry to have to inform you that your message could not be delivered.\r
            \r
            --B\r
            Content-Type: message/delivery-status\r
            \r
            Reporting-MTA: dns; mx.example.mx\r
            Arrival-Date: Wed, 18 Nov 2026 16:00:00 +0000\r
            \r
            Final-Recipient: rfc822; \(address)\r
            Original-Recipient: rfc822;\(address)\r
            Action: \(action)\r
            Status: \(status)\r
            Remote-MTA: dns; mx.example.mx\r
            Diagnostic-Code: smtp; 550 \(status) <\(address)>: Recipient address rejected:\r
             User unknown in virtual mailbox table\r
            \r
            --B\r
            Content-Type: text/rfc822-headers\r
            \r
            From: T <soporte@luxfree.example>\r
            Subject: Re: Corte\r
            \(messageId.map { "Message-ID: <\($0)>\r\n" } ?? "")\r
            --B--\r
            """
        return Array(text.utf8)
    }

    @Test(arguments: StoreKind.available) func aBounceMarksTheAddressTellsTheTicketAndStopsMailUntilTheCustomerWritesAgain(kind: StoreKind) async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let desk = try await Self.desk(kind, sink: sink)
        let dispatcher = Self.dispatcher(desk)
        guard case .stored(let ticketId, true) = try await Self.mailIn(desk, id: "b1@example.mx", text: "Sin luz") else {
            Issue.record("no ticket")
            return
        }
        let ana = Desk.agent("ana")
        _ = try await desk.services.tickets.claim(ana, ticketId)
        _ = try await desk.services.conversations.postMessage(ana, ticketId, NewMessage(content: "¿Desde cuándo?"))
        #expect(try await dispatcher.runOnce() == 1)
        let sent = try MIMEParser.parse(try await sink.wait(for: 1)[0].message)
        // A server that is still trying says so: nothing changes.
        let delayed = try MIMEParser.parse(Self.report(for: "ana.perez@example.mx", action: "delayed", status: "4.4.1", returning: sent.messageId))
        #expect(try await MailServiceTests.receive(desk, delayed, sender: "") == .ignored("a delivery report (delayed 4.4.1) about ana.perez@example.mx: nothing to mark"))
        #expect(try await desk.store.customer(tenantId: "t", email: "ana.perez@example.mx")?.emailBounce == nil)
        // It gave up: the address is marked and the ticket's staff are told.
        let failed = try MIMEParser.parse(Self.report(for: "ana.perez@example.mx", action: "failed", status: "5.1.1", returning: sent.messageId))
        #expect(MailBounce.read(failed).first?.docketIds == [try #require(sent.messageId)])
        #expect(try await MailServiceTests.receive(desk, failed, sender: "") == .bounced(["ana.perez@example.mx"]))
        let mark = try #require(try await desk.store.customer(tenantId: "t", email: "ana.perez@example.mx")?.emailBounce)
        #expect(mark.status == "5.1.1")
        #expect(mark.reason == "550 5.1.1 <ana.perez@example.mx>: Recipient address rejected: User unknown in virtual mailbox table")
        var notes = try await desk.services.tickets.ticket(Desk.admin, ticketId).notes
        #expect(notes.contains { $0.isInternal && $0.content.contains("ana.perez@example.mx fue devuelto (5.1.1 550") })
        // The next reply is not sent: counted as failed, and said in a note.
        _ = try await desk.services.conversations.postMessage(ana, ticketId, NewMessage(content: "¿Sigue sin luz?"))
        #expect(try await dispatcher.runOnce() == 1)
        #expect(sink.received().count == 1, "nothing more to a dead address")
        notes = try await desk.services.tickets.ticket(Desk.admin, ticketId).notes
        #expect(notes.contains { $0.content.contains("No se pudo enviar el correo a ana.perez@example.mx") && $0.content.contains("bounced") })
        #expect(try await desk.store.mailOutlet(tenantId: "t")?.failed == 1)
        // Ana writes from it again: the mark goes, and mail to her goes again.
        _ = try await Self.mailIn(desk, id: "b2@example.mx", text: "Ya funciona mi correo")
        #expect(try await desk.store.customer(tenantId: "t", email: "ana.perez@example.mx")?.emailBounce == nil)
        _ = try await desk.services.conversations.postMessage(ana, ticketId, NewMessage(content: "Perfecto, vamos para allá."))
        #expect(try await dispatcher.runOnce() == 1)
        #expect(try await sink.wait(for: 2).count == 2)
        // A report about an address nobody has, or without a verdict, marks nothing.
        let stranger = try MIMEParser.parse(Self.report(for: "nadie@example.mx", action: "failed", status: "5.1.1", returning: nil))
        #expect(try await MailServiceTests.receive(desk, stranger, sender: "") == .ignored("a delivery report (failed 5.1.1) about nadie@example.mx: nothing to mark"))
    }

    @Test(arguments: StoreKind.available) func staffAreToldOfAssignmentsAndOfSLATargetsNearOrMissed(kind: StoreKind) async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let desk = try await Self.desk(kind, sink: sink, notifyStaff: true, agents: [])
        for (id, email, role) in [("carla", "carla@luxfree.example", AgentRole.agent), ("sofia", "sofia@luxfree.example", .supervisor), ("pablo", nil, .supervisor), ("dario", "dario@luxfree.example", .agent)] {
            _ = try await desk.services.tenants.createAgent(Desk.admin, NewAgent(id: id, name: id.capitalized, email: email, role: role, capacity: 5))
        }
        let dispatcher = Self.dispatcher(desk)
        let ticket = try await desk.open("Poste caído", priority: .urgent)
        _ = try await desk.services.tickets.assign(Desk.admin, ticket.ticketId, to: "carla")
        #expect(try await dispatcher.runOnce() == 1, "the assignment, to the one assigned")
        let assigned = try #require(try await sink.wait(for: 1).first)
        #expect(assigned.recipients == ["carla@luxfree.example"])
        let notice = try MIMEParser.parse(assigned.message)
        #expect(notice.subject == "[\(ticket.ticketId)] Asignado a ti: Poste caído")
        #expect(notice.markers.autoSubmitted == "auto-generated")
        #expect(notice.text.contains("Se te asignó el reporte \(ticket.ticketId)"))
        #expect(notice.text.contains("Prioridad: urgent"))
        // A claim is the agent's own doing: no mail.
        let other = try await desk.open("Cable suelto")
        _ = try await desk.services.tickets.claim(Desk.agent("dario"), other.ticketId)
        #expect(try await dispatcher.runOnce() == 0)
        // The urgent ticket's first response is missed: the assignee and the supervisors with
        // an address hear of it (the one named in the mail, the others only on the envelope).
        desk.clock.advance(by: 16 * 60)
        #expect(try await desk.services.tickets.fireDueTimers() >= 1)
        #expect(try await dispatcher.runOnce() >= 1)
        let breach = try #require(sink.received().last)
        #expect(breach.recipients == ["carla@luxfree.example", "sofia@luxfree.example"])
        let read = try MIMEParser.parse(breach.message)
        #expect(read.subject == "[\(ticket.ticketId)] SLA incumplido: Poste caído")
        #expect(read.to.map(\.address) == ["carla@luxfree.example"], "the supervisors are not named in it")
        #expect(read.text.contains("El plazo de la primera respuesta del reporte \(ticket.ticketId)"))
        #expect(read.text.contains("venció el 2026-11-18"), "the due time in the tenant's time zone: \(read.text)")
        // An agent answering a notice by mail opens no ticket as if they were a customer.
        var answer = MailServiceTests.mail(from: "carla@luxfree.example", subject: "Re: \(read.subject)", text: "Voy", id: "carla-1@luxfree.example")
        answer.inReplyTo = [try #require(read.messageId)]
        #expect(try await MailServiceTests.receive(desk, answer) == .ignored("an answer to a notice Docket sent to staff: it goes to no customer's ticket"))
    }

    @Test(arguments: StoreKind.available) func aRelayThatRefusesForNowGetsTheMailAgainInOrderAndOneThatRefusesForGoodLeavesANote(kind: StoreKind) async throws {
        let sink = try await SMTPSink(failFirst: 2, refuse: ["nadie@example.mx"])
        defer { sink.stop() }
        let desk = try await Self.desk(kind, sink: sink)
        let dispatcher = Self.dispatcher(desk)
        guard case .stored(let ticketId, true) = try await Self.mailIn(desk, id: "r1@example.mx", text: "Medidor dañado") else {
            Issue.record("no ticket")
            return
        }
        let ana = Desk.agent("ana")
        _ = try await desk.services.tickets.claim(ana, ticketId)
        for text in ["Primera respuesta", "Segunda respuesta"] {
            _ = try await desk.services.conversations.postMessage(ana, ticketId, NewMessage(content: text))
        }
        #expect(try await dispatcher.runOnce() == 0, "451: nothing went")
        var outlet = try #require(try await desk.store.mailOutlet(tenantId: "t"))
        #expect(outlet.retry?.attempts == 1)
        #expect(outlet.retry?.lastError.contains("451") == true)
        #expect(try await dispatcher.runOnce() == 0, "not before its time")
        desk.clock.advance(by: 31)
        #expect(try await dispatcher.runOnce() == 0, "451 again")
        #expect(try await desk.store.mailOutlet(tenantId: "t")?.retry?.attempts == 2)
        desk.clock.advance(by: 61)
        #expect(try await dispatcher.runOnce() == 2)
        let texts = try await sink.wait(for: 2).map { try MIMEParser.parse($0.message).text }
        #expect(texts[0].hasPrefix("Primera respuesta") && texts[1].hasPrefix("Segunda respuesta"), "in order")
        #expect(sink.refusals() == 2)
        // A customer whose address the relay refuses: given up at once, and staff are told.
        guard case .stored(let other, true) = try await Self.mailIn(desk, id: "r2@example.mx", text: "Hola", from: "nadie@example.mx") else {
            Issue.record("no ticket")
            return
        }
        _ = try await desk.services.tickets.claim(ana, other)
        _ = try await desk.services.conversations.postMessage(ana, other, NewMessage(content: "¿Sigue el problema?"))
        #expect(try await dispatcher.runOnce() == 1)
        outlet = try #require(try await desk.store.mailOutlet(tenantId: "t"))
        #expect(outlet.failed == 1 && outlet.retry == nil && outlet.lastError?.contains("550") == true)
        let notes = try await desk.services.tickets.ticket(Desk.admin, other).notes
        #expect(notes.contains { $0.isInternal && $0.content.contains("nadie@example.mx") && $0.content.contains("550") })
        #expect(sink.received().count == 2)
    }

    @Test(arguments: StoreKind.available) func instancesSendingAtOnceSendEachReplyOnce(kind: StoreKind) async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let desk = try await Self.desk(kind, sink: sink)
        guard case .stored(let ticketId, true) = try await Self.mailIn(desk, id: "c1@example.mx", text: "Sin luz") else {
            Issue.record("no ticket")
            return
        }
        let ana = Desk.agent("ana")
        _ = try await desk.services.tickets.claim(ana, ticketId)
        for index in 0..<6 { _ = try await desk.services.conversations.postMessage(ana, ticketId, NewMessage(content: "Respuesta \(index)")) }
        let dispatchers = (0..<3).map { Self.dispatcher(desk, instance: "i\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for dispatcher in dispatchers {
                group.addTask {
                    for _ in 0..<5 { _ = try await dispatcher.runOnce() }
                }
            }
            try await group.waitForAll()
        }
        // The lease holder may still have been mid-round for the others: finish with one.
        desk.clock.advance(by: 61)
        while try await dispatchers[0].runOnce() > 0 {}
        let texts = try await sink.wait(for: 6).map { try MIMEParser.parse($0.message).text }
        #expect(texts.count == 6)
        #expect(texts.map { String($0.prefix(11)) } == (0..<6).map { "Respuesta \($0)" })
    }
}

/// Password links are made and mailed without hashing anything: a hasher that is called fails
/// the test.
struct UnusedHasher: PasswordHasher {
    struct Called: Error {}
    func hash(_ password: String) async throws -> String { throw Called() }
    func verify(_ password: String, hash: String) async throws -> Bool { throw Called() }
    var decoyHash: String { "" }
}
