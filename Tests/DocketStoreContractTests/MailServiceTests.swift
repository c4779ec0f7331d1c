import DocketCore
import DocketWire
import DocketMail
import DocketTestSupport
import Foundation
import Testing

/// Mail in, on every store: a mail to a tenant's address becomes its sender's message, in the
/// ticket it answers or a new one; machines' mail opens nothing; a mail delivered twice is
/// stored once; two customers are never merged.
@Suite("Mail in, on every store")
struct MailServiceTests {
    static func mail(
        from: String = "Ana Pérez <ANA.perez@Example.MX>", subject: String = "RE: Corte de energía", text: String = "Sigue sin luz en la colonia",
        id: String? = UUID().uuidString + "@mail.example.mx", markers: MailMarkers = .init()
    ) -> InboundMail {
        let address = from.contains("<") ? String(from.split(separator: "<").last!.dropLast()) : from
        let name = from.contains("<") ? String(from.split(separator: "<")[0]).trimmingCharacters(in: .whitespaces) : nil
        return InboundMail(messageId: id, subject: subject, from: MailAddress(name: name, address: address), to: [MailAddress(address: "soporte@luxfree.example")],
            markers: markers, text: text)
    }

    static func receive(_ desk: Desk, _ mail: InboundMail, to recipient: String = "soporte@luxfree.example", sender: String? = "ana.perez@example.mx") async throws -> MailOutcome {
        try await desk.services.mail.receive(mail, tenantId: "t", recipient: recipient, envelopeSender: sender)
    }

    /// A new address writing to several instances at once (each with its own services and
    /// turns, one store between them, as processes on one database): one customer, whom every
    /// mail belongs to.
    @Test(arguments: StoreKind.available) func aNewAddressWritingToSeveralInstancesAtOnceMakesOneCustomer(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let instances = (0..<3).map { _ in
            DocketServices(
                store: desk.store, wire: DocketWireFormat(), clock: desk.clock, tenantCacheSeconds: 0, rules: ScriptedRules(actions: [:]),
                packInspector: ManifestInspector(), dkimKeys: DKIMSigner(), mailReader: LenientMailReader())
        }
        for round in 0..<6 {
            let address = "nuevo\(round)@example.mx"
            let outcomes = try await withThrowingTaskGroup(of: MailOutcome.self) { group in
                for index in 0..<6 {
                    let mail = Self.mail(from: "Nuevo \(round) <\(address)>", subject: "Asunto \(index)", text: "Mensaje \(index)", id: "n\(round).\(index)@example.mx")
                    let instance = instances[index % 3]
                    group.addTask { try await instance.mail.receive(mail, tenantId: "t", recipient: "soporte@luxfree.example", envelopeSender: address) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var owners: Set<String> = []
            for case .stored(let ticketId, _) in outcomes {
                owners.insert(try await desk.services.tickets.ticket(Desk.admin, ticketId).customerId)
            }
            #expect(outcomes.count == 6 && owners.count == 1, "round \(round): \(outcomes) by \(owners)")
        }
        let customers = try await desk.services.tenants.listCustomers(Desk.admin, page: 1, limit: 100).items
        #expect(customers.filter { $0.email?.hasPrefix("nuevo") == true }.count == 6, "one customer per address")
    }

    @Test(arguments: StoreKind.available) func aNewAddressMakesACustomerAndATicketAndLaterMailJoinsIt(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let first = try await Self.receive(desk, Self.mail())
        guard case .stored(let ticketId, let created) = first else { Issue.record("\(first)"); return }
        #expect(created)
        let ticket = try await desk.services.tickets.ticket(Desk.admin, ticketId)
        #expect(ticket.subject == "Corte de energía", "the reply's prefix is not the subject")
        #expect(ticket.source == .email)
        let customer = try #require(try await desk.store.customer(tenantId: "t", email: "ana.perez@example.mx"))
        #expect(ticket.customerId == customer.id)
        #expect(customer.firstName == "Ana")
        #expect(customer.lastName == "Pérez")
        #expect(customer.email == "ANA.perez@example.mx", "the local part as written, the domain lower-cased")
        // A new subject from the same customer stays in the open ticket.
        let second = try await Self.receive(desk, Self.mail(from: "ana.perez@example.mx", subject: "Otra cosa: la factura", text: "Y la factura llegó doble"))
        #expect(second == .stored(ticketId: ticketId, created: false))
        let messages = try await desk.services.conversations.messages(Desk.admin, ticketId, after: 0, limit: 50).messages
        #expect(messages.map(\.content) == ["Sigue sin luz en la colonia", "Y la factura llegó doble"])
        #expect(messages.allSatisfy { $0.senderId == customer.id })
        // Each keeps the mail it came as: sender, recipients, subject, files.
        #expect(messages[0].mail?.from == "Ana Pérez <ANA.perez@example.mx>")
        #expect(messages[0].mail?.to == ["soporte@luxfree.example"])
        #expect(messages[0].mail?.subject == "RE: Corte de energía")
        #expect(messages[1].mail?.subject == "Otra cosa: la factura")
        #expect(messages[1].mail?.files == [])
        // A message written in the console has none.
        let typed = try await desk.services.conversations.postMessage(Desk.agent("ana"), ticketId, NewMessage(content: "Lo revisamos"))
        #expect(typed.message.mail == nil)
    }

    /// A mail's files are kept whole (up to the limits), named in the message's envelope, and
    /// fetched by the tenant's staff and the customer who sent them, nobody else; the same mail
    /// delivered again keeps them once.
    @Test(arguments: StoreKind.available) func aMailsFilesAreKeptForStaffAndTheirSender(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        var mail = Self.mail(id: "files-1@mail.example.mx")
        let photo = (0..<5_000).map { UInt8(truncatingIfNeeded: $0) }
        mail.attachments = [
            MailAttachment(filename: "../../medidor.jpg", contentType: "image/jpeg", contentId: nil, data: photo, truncated: false),
            MailAttachment(filename: "<script>alert(1)</script>.html", contentType: "text/html", contentId: nil, data: Array("<script>alert(1)</script>".utf8), truncated: false),
            MailAttachment(filename: "enorme.zip", contentType: "application/zip", contentId: nil, data: [UInt8](repeating: 0, count: StoredFile.maxBytes + 1), truncated: false),
            MailAttachment(filename: "cortado.pdf", contentType: "application/pdf", contentId: nil, data: [1, 2, 3], truncated: true),
            MailAttachment(filename: nil, contentType: "text/plain", contentId: nil, data: Array("nota".utf8), truncated: false),
        ]
        guard case .stored(let ticketId, true) = try await Self.receive(desk, mail) else { Issue.record("not stored"); return }
        let message = try #require(try await desk.services.conversations.messages(Desk.admin, ticketId, after: 0, limit: 5).messages.first)
        let kept = try #require(message.mail?.attachments)
        #expect(kept.map(\.name) == ["medidor.jpg", "script>.html", "file-5"], "no folder in a name (what comes before a slash is dropped); the too large and the cut ones are not kept")
        #expect(kept.map(\.size) == [5_000, 25, 4])
        #expect(message.mail?.files.count == 5, "every file is still named")
        let customer = Principal(tenantId: "t", role: .customer, subject: try #require(try await desk.services.tickets.ticket(Desk.admin, ticketId).customerId))
        for principal in [Desk.admin, Desk.agent("ana"), customer] {
            let file = try await desk.services.mail.file(principal, id: kept[0].id)
            #expect(file.data == Data(photo) && file.contentType == "image/jpeg" && file.name == "medidor.jpg")
        }
        await #expect(throws: DocketError.self, "another customer is told there is no such file") {
            _ = try await desk.services.mail.file(Desk.customer, id: kept[0].id)
        }
        await #expect(throws: DocketError.self) { _ = try await desk.services.mail.file(Desk.admin, id: "missing") }
        // Delivered again: the same message, the same files, none stored twice.
        #expect(try await Self.receive(desk, mail) == .stored(ticketId: ticketId, created: false))
        #expect(try await desk.store.insertFile(
            StoredFile(tenantId: "t", id: kept[0].id, customerId: "x", name: "x", contentType: "x", size: 0, createdAt: Fixtures.epoch, data: Data()),
            quotaBytes: .max) == .existing,
            "the file's id comes from the mail's Message-ID")
    }

    /// Past the tenant's quota a mail's files are named in its message but not kept; the mail
    /// itself is stored as always.
    @Test(arguments: StoreKind.available) func filesPastTheTenantsQuotaAreNamedButNotKept(kind: StoreKind) async throws {
        let desk = try await Desk(kind, fileQuotaBytes: 5_027)
        var mail = Self.mail(id: "quota-1@mail.example.mx")
        mail.attachments = [
            MailAttachment(filename: "medidor.jpg", contentType: "image/jpeg", contentId: nil, data: [UInt8](repeating: 1, count: 5_000), truncated: false),
            MailAttachment(filename: "recibo.pdf", contentType: "application/pdf", contentId: nil, data: [UInt8](repeating: 2, count: 25), truncated: false),
            MailAttachment(filename: "nota.txt", contentType: "text/plain", contentId: nil, data: Array("nota".utf8), truncated: false),
        ]
        guard case .stored(let ticketId, true) = try await Self.receive(desk, mail) else { Issue.record("not stored"); return }
        let message = try #require(try await desk.services.conversations.messages(Desk.admin, ticketId, after: 0, limit: 5).messages.first)
        #expect(message.mail?.attachments?.map(\.name) == ["medidor.jpg", "recibo.pdf"], "the third would pass the quota")
        #expect(message.mail?.files == ["medidor.jpg", "recibo.pdf", "nota.txt"], "every file is still named")
        #expect(try await desk.store.fileBytes(tenantId: "t") == 5_025)
        var next = Self.mail(id: "quota-2@mail.example.mx")
        next.attachments = [MailAttachment(filename: "dos.txt", contentType: "text/plain", contentId: nil, data: [1, 2], truncated: false)]
        guard case .stored(let nextId, _) = try await Self.receive(desk, next) else { Issue.record("not stored"); return }
        let last = try #require(try await desk.services.conversations.messages(Desk.admin, nextId, after: 0, limit: 10).messages.last)
        #expect(last.mail?.attachments?.map(\.name) == ["dos.txt"], "what fits still does")
    }

    @Test(arguments: StoreKind.available) func theSameMailDeliveredTwiceIsStoredOnce(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let mail = Self.mail(id: "CAF1234.abc@mail.example.mx")
        let first = try await Self.receive(desk, mail)
        let again = try await Self.receive(desk, mail)
        guard case .stored(let ticketId, true) = first else { Issue.record("\(first)"); return }
        #expect(again == .stored(ticketId: ticketId, created: false))
        #expect(try await desk.services.conversations.messages(Desk.admin, ticketId, after: 0, limit: 50).messages.count == 1)
    }

    /// A delivery that died after claiming a mail: within `abandonedClaimSeconds` the same mail
    /// is "busy" (the server tries it later); after it, a mail the dead delivery had written is
    /// not written again, and one it had not written is.
    @Test(arguments: StoreKind.available) func aMailWhoseDeliveryDiedIsStoredOnceWhenItComesAgain(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let first = Self.mail(text: "Primera entrega", id: "died-1@mail.example.mx")
        // The dead delivery: it claimed the mail and wrote it, but never said which ticket.
        #expect(try await desk.store.claimToolCall(tenantId: "t", callId: MailService.claimKey("died-1@mail.example.mx"), at: desk.clock.now()) == nil)
        var written = first
        written.messageId = nil
        guard case .stored(let ticketId, true) = try await Self.receive(desk, written) else { Issue.record("not written"); return }
        #expect(try await Self.receive(desk, first) == .busy, "it may still be running")
        desk.clock.advance(by: MailService.abandonedClaimSeconds + 1)
        #expect(try await Self.receive(desk, first) == .stored(ticketId: ticketId, created: false))
        #expect(try await Self.receive(desk, first) == .stored(ticketId: ticketId, created: false))
        #expect(try await desk.services.conversations.messages(Desk.admin, ticketId, after: 0, limit: 50).messages.map(\.content) == ["Primera entrega"])
        // One that died before writing: the mail is written when it comes again.
        let second = Self.mail(text: "Segunda entrega", id: "died-2@mail.example.mx")
        #expect(try await desk.store.claimToolCall(tenantId: "t", callId: MailService.claimKey("died-2@mail.example.mx"), at: desk.clock.now()) == nil)
        desk.clock.advance(by: MailService.abandonedClaimSeconds + 1)
        #expect(try await Self.receive(desk, second) == .stored(ticketId: ticketId, created: false))
        #expect(try await desk.services.conversations.messages(Desk.admin, ticketId, after: 0, limit: 50).messages.map(\.content) == ["Primera entrega", "Segunda entrega"])
    }

    /// A mail past the parser's limits is kept with its reason; accepted anyway it is read with
    /// the limits raised and becomes its sender's message; one that still cannot be read comes
    /// in as its first bytes, as text, from the envelope's sender; a discarded one is gone.
    @Test(arguments: StoreKind.available) func quarantinedMailIsAcceptedAnywayOrDiscarded(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        func manyParts(_ count: Int) -> [UInt8] {
            var text = "From: Ana Pérez <ana.perez@example.mx>\r\nTo: soporte@luxfree.example\r\nSubject: Fotos del poste\r\nMessage-ID: <parts-\(count)@example.mx>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            text += "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nEl poste sigue caído.\r\n"
            for index in 0..<count { text += "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f\(index).bin\"\r\n\r\nx\r\n" }
            return Array((text + "--b--\r\n").utf8)
        }
        let readable = manyParts(520)
        let reason: String
        do {
            _ = try MIMEParser.parse(readable)
            Issue.record("520 parts should pass the parser's limit")
            return
        } catch { reason = "\(error)" }
        #expect(try await desk.services.mail.quarantine(readable, tenantId: "t", recipient: "soporte@luxfree.example", envelopeSender: "ana.perez@example.mx", reason: reason, kind: "too_many_parts"))
        desk.clock.advance(by: 1)
        #expect(try await desk.services.mail.quarantine(Array("not a mail at all \u{1B}[31m<b>x</b>".utf8), tenantId: "t", recipient: "soporte@luxfree.example", envelopeSender: "", reason: "malformed", kind: "malformed"))
        desk.clock.advance(by: 1)
        #expect(try await desk.services.mail.quarantine(manyParts(6_000), tenantId: "t", recipient: "soporte@luxfree.example", envelopeSender: "bot@example.mx", reason: "the mail has more than 500 parts", kind: "too_many_parts"))
        await #expect(throws: DocketError.self) { try await desk.services.mail.quarantined(Desk.agent("ana")) }
        let (kept, total) = try await desk.services.mail.quarantined(Desk.admin)
        #expect(total == 3)
        let (huge, junk, ana) = (kept[0], kept[1], kept[2])
        #expect(ana.reason == reason && ana.size == readable.count && !ana.rawTruncated)
        // Read with raised limits: Ana's text, her ticket, her subject.
        guard case .stored(let ticketId, true) = try await desk.services.mail.acceptQuarantined(Desk.admin, id: ana.id) else {
            Issue.record("not stored")
            return
        }
        let ticket = try await desk.services.tickets.ticket(Desk.admin, ticketId)
        #expect(ticket.subject == "Fotos del poste")
        let messages = try await desk.services.conversations.messages(Desk.admin, ticketId, after: 0, limit: 10).messages
        #expect(messages.first?.content.hasPrefix("El poste sigue caído.") == true)
        // Still unreadable: the first bytes, as text, from the envelope's sender.
        guard case .stored(let botTicket, true) = try await desk.services.mail.acceptQuarantined(Desk.admin, id: huge.id) else {
            Issue.record("not stored")
            return
        }
        let botMessage = try #require(try await desk.services.conversations.messages(Desk.admin, botTicket, after: 0, limit: 1).messages.first)
        #expect(botMessage.content.hasPrefix("(the mail has more than 500 parts)\n\nFrom: Ana Pérez"))
        #expect(try await desk.store.customer(tenantId: "t", email: "bot@example.mx") != nil)
        // No sender to write it as: refused; then discarded.
        await #expect(throws: DocketError.self) { try await desk.services.mail.acceptQuarantined(Desk.admin, id: junk.id) }
        try await desk.services.mail.discardQuarantined(Desk.admin, id: junk.id)
        #expect(try await desk.services.mail.quarantined(Desk.admin).total == 0)
        await #expect(throws: DocketError.self) { try await desk.services.mail.discardQuarantined(Desk.admin, id: junk.id) }
    }

    @Test(arguments: StoreKind.available) func machinesMailOpensNothing(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let away = try await Self.receive(desk, Self.mail(markers: MailMarkers(autoSubmitted: "auto-replied")))
        #expect(away == .ignored("Auto-Submitted: auto-replied"))
        let bounce = try await Self.receive(desk, Self.mail(), sender: "")
        #expect(bounce == .ignored("the null sender (a bounce or an auto-reply)"))
        #expect(try await desk.store.customer(tenantId: "t", email: "ana.perez@example.mx") == nil, "no customer was made")
        #expect(try await desk.services.tickets.listTickets(Desk.admin, TicketQuery()).items.isEmpty)
    }

    @Test(arguments: StoreKind.available) func aTagFollowsTheSendersOwnTicketButNeverAnothersCustomers(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        guard case .stored(let anas, _) = try await Self.receive(desk, Self.mail()) else { Issue.record("no ticket"); return }
        // Ana's ticket, resolved: her reply to its tagged address goes back into it.
        _ = try await desk.services.tickets.claim(Desk.agent("ana"), anas)
        _ = try await desk.services.tickets.changeStatus(Desk.agent("ana"), anas, to: "resolved", reason: nil)
        let reply = try await Self.receive(desk, Self.mail(subject: "Re: hola", text: "Volvió a fallar"), to: "soporte+\(anas.lowercased())@luxfree.example")
        #expect(reply == .stored(ticketId: anas, created: false))
        #expect(try await desk.services.tickets.ticket(Desk.admin, anas).status != "resolved", "a customer's reply reopens it")
        // Someone else writing to Ana's tag gets a ticket of their own.
        let stranger = try await Self.receive(
            desk, Self.mail(from: "otro@example.mx", text: "Quiero ver este ticket"), to: "soporte+\(anas)@luxfree.example", sender: "otro@example.mx")
        guard case .stored(let theirs, true) = stranger else { Issue.record("\(stranger)"); return }
        #expect(theirs != anas)
        let written = try await desk.services.conversations.messages(Desk.admin, anas, after: 0, limit: 50).messages.filter { $0.senderType == .customer }
        #expect(written.map(\.content) == ["Sigue sin luz en la colonia", "Volvió a fallar"])
    }

    @Test(arguments: StoreKind.available) func aReplyJoinsTheTicketOfTheMailItAnswersNeverAnotherCustomersNorAClosedOne(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let agent = Desk.agent("ana")
        func reply(_ text: String, inReplyTo: [String] = [], references: [String] = [], from: String = "ana.perez@example.mx") -> InboundMail {
            var mail = Self.mail(from: from, subject: "RE: algo", text: text)
            mail.inReplyTo = inReplyTo
            mail.references = references
            return mail
        }
        guard case .stored(let first, true) = try await Self.receive(desk, Self.mail(id: "m1@example.mx")) else { Issue.record("no ticket"); return }
        _ = try await desk.services.tickets.claim(agent, first)
        _ = try await desk.services.tickets.changeStatus(agent, first, to: "resolved", reason: nil)
        // A new mail while the first ticket is resolved opens a second one.
        guard case .stored(let second, true) = try await Self.receive(desk, Self.mail(subject: "Factura doble", text: "La factura llegó doble", id: "m2@example.mx"))
        else { Issue.record("no second ticket"); return }
        #expect(second != first)
        // Her answer to the first mail goes to the first ticket and reopens it, though the second
        // is her open conversation.
        #expect(try await Self.receive(desk, reply("Volvió a fallar", inReplyTo: ["m1@example.mx"])) == .stored(ticketId: first, created: false))
        #expect(try await desk.services.tickets.ticket(Desk.admin, first).status != "resolved")
        // Outlook's way: no In-Reply-To, the references kept; the newest one Docket stored decides.
        #expect(try await Self.receive(desk, reply("Sobre la factura", references: ["m1@example.mx", "m2@example.mx", "unknown@elsewhere"])) == .stored(ticketId: second, created: false))
        #expect(try await Self.receive(desk, reply("Sobre la luz", references: ["m2@example.mx", "m1@example.mx"])) == .stored(ticketId: first, created: false))
        // Another customer answering Ana's mail gets a ticket of their own.
        let luis = try await Self.receive(desk, reply("Yo tampoco tengo luz", inReplyTo: ["m1@example.mx"], from: "luis@example.mx"), sender: "luis@example.mx")
        guard case .stored(let luisTicket, true) = luis else { Issue.record("\(luis)"); return }
        #expect(![first, second].contains(luisTicket))
        // A closed ticket takes nothing: the answer goes where a new mail of hers would.
        _ = try await desk.services.tickets.changeStatus(agent, first, to: "resolved", reason: nil)
        _ = try await desk.services.tickets.changeStatus(agent, first, to: "closed", reason: nil)
        #expect(try await Self.receive(desk, reply("¿Siguen ahí?", inReplyTo: ["m1@example.mx"])) == .stored(ticketId: second, created: false))
        let texts = { (ticketId: String) in
            try await desk.services.conversations.messages(Desk.admin, ticketId, after: 0, limit: 50).messages.filter { $0.senderType == .customer }.map(\.content)
        }
        #expect(try await texts(first) == ["Sigue sin luz en la colonia", "Volvió a fallar", "Sobre la luz"])
        #expect(try await texts(second) == ["La factura llegó doble", "Sobre la factura", "¿Siguen ahí?"])
        #expect(try await texts(luisTicket) == ["Yo tampoco tengo luz"])
    }

    @Test(arguments: StoreKind.available) func aNewSendersMailsAtOnceMakeOneCustomerAndOneTicket(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let outcomes = try await withThrowingTaskGroup(of: MailOutcome.self) { group in
            for index in 0..<8 { group.addTask { try await Self.receive(desk, Self.mail(from: "nuevo@example.mx", text: "Mensaje \(index)")) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let tickets = Set(outcomes.compactMap { outcome -> String? in if case .stored(let id, _) = outcome { return id } else { return nil } })
        #expect(tickets.count == 1, "\(outcomes)")
        let customers = try await desk.store.listCustomers(tenantId: "t", page: 1, limit: 100).items.filter { $0.email == "nuevo@example.mx" }
        #expect(customers.count == 1)
        #expect(try await desk.services.conversations.messages(Desk.admin, tickets.first!, after: 0, limit: 50).messages.count == 8)
    }

    @Test(arguments: StoreKind.available) func addressesAreOneTenantsAndFoundWithTheirTags(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        _ = try await desk.services.tenants.provisionTenant(id: "u", name: "U", pack: desk.services.tenants.configuration(Desk.admin).pack)
        let tenant = try await desk.services.tenants.setMail(Desk.admin, TenantMail(addresses: [" Soporte@LuxFree.example ", "ventas@luxfree.example"]))
        #expect(tenant.overrides.mail?.addresses == ["soporte@luxfree.example", "ventas@luxfree.example"])
        let taken = await #expect(throws: DocketError.self) {
            try await desk.services.tenants.setMail(Principal(tenantId: "u", role: .admin, subject: "x"), TenantMail(addresses: ["ventas@luxfree.example"]))
        }
        #expect(taken?.code == .conflict)
        for bad in ["soporte+x@luxfree.example", "sin-arroba", "a@localhost", "a b@luxfree.example"] {
            let refused = await #expect(throws: DocketError.self) { try await desk.services.tenants.setMail(Desk.admin, TenantMail(addresses: [bad])) }
            #expect(refused?.code == .validation, "\(bad)")
        }
        let store = desk.store
        let book = MailAddressBook(freshFor: 0) { try await store.listTenants(page: 1, limit: 100).items }
        #expect(try await book.tenant(receiving: "SOPORTE+LUX-2026-000001@luxfree.example") == "t")
        #expect(try await book.tenant(receiving: "ventas@luxfree.example") == "t")
        #expect(try await book.tenant(receiving: "nadie@luxfree.example") == nil)
    }
}
