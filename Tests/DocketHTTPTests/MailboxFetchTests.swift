import DocketTestSupport
import Foundation
import Testing

/// Mail that lives at a provider: the real `docket serve` fetching a mailbox from Debian's
/// Dovecot over IMAP, while customers' mail lands in it (put there with Python's `imaplib`).
@Suite("Mail from an IMAP mailbox")
struct MailboxFetchTests {
    typealias Server = DurabilityTests
    typealias Flow = MailThroughPostfixTests

    static func mailbox(_ port: Int, poll: Int) -> String {
        #"{"addresses":["soporte@luxfree.example"],"mailboxes":[{"id":"buzon","host":"127.0.0.1","port":\#(port),"security":"none","username":"soporte","password":"s3cret","pollSeconds":\#(poll)}]}"#
    }

    static func figures(_ base: String, _ admin: String) async throws -> [String: Any] {
        let (_, body) = try await Server.request("GET", "\(base)/config/mail", token: admin)
        return (Flow.json(body)["mailboxes"] as? [[String: Any]])?.first ?? [:]
    }

    @Test func aMailboxsMailBecomesTicketsThreadedAndFlaggedReadAndNewMailComesByIdle() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Server.binary.path), "build the docket product first")
        let dovecot = try await DovecotInstance(users: ["soporte": "s3cret"])
        defer { dovecot.stopNow() }
        // Before Docket looks: mail a person already read there, and one nobody has.
        try await dovecot.append(
            [
                ["From": "viejo@example.mx", "To": "soporte@luxfree.example", "Subject": "Ya atendido", "Message-ID": "<old@example.mx>", "text": "Antiguo.", "seen": "1"],
                ["From": "Ana Pérez <ana@example.mx>", "To": "soporte@luxfree.example", "Subject": "Corte de energía", "Message-ID": "<imap-1@example.mx>", "text": "Sigue sin luz."],
            ], user: "soporte")
        let dataDir = try Scratch.directory("imap-flow")
        let admin = try await Server.token(dataDir: dataDir, role: "admin", subject: "boss")
        let (server, port) = try await Server.serve(dataDir: dataDir)
        defer { server.stopInBackground() }
        let base = "http://127.0.0.1:\(port)/api/v2"
        // A poll of an hour: within the test, only IDLE can bring the later mail in.
        let (status, body) = try await Server.request("PUT", "\(base)/config/mail", token: admin, body: Self.mailbox(dovecot.port, poll: 3_600))
        #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
        let shown = try #require(((Flow.json(body)["mail"] as? [String: Any])?["mailboxes"] as? [[String: Any]])?.first)
        #expect(shown["password"] == nil && shown["passwordSet"] as? Bool == true, "the password is never shown")
        // What an admin may not set, each refused with the field named.
        let refused: [(String, String)] = [
            (#""host":"imap.example.mx","port":143,"security":"none","username":"s","password":"p""#, "mailboxes[0].security"),
            (#""host":"127.0.0.1","port":143,"security":"none","username":"s","password":"p","address":"otra@example.mx""#, "mailboxes[0].address"),
            (#""host":"127.0.0.1","port":143,"security":"none","username":"s","password":"p","pollSeconds":1"#, "mailboxes[0].pollSeconds"),
            (#""host":"127.0.0.1","port":143,"security":"none","username":"nuevo""#, "mailboxes[0].password"),
            (#""host":"127.0.0.1","port":143,"security":"none","username":"s","password":"p","folder":"IN\"BOX""#, "mailboxes[0].folder"),
        ]
        for (fields, field) in refused {
            let (status, body) = try await Server.request(
                "PUT", "\(base)/config/mail", token: admin, body: #"{"addresses":["soporte@luxfree.example"],"mailboxes":[{"id":"buzon",\#(fields)}]}"#)
            #expect(status == 422 && (Flow.json(body)["error"] as? [String: Any])?["field"] as? String == field, "\(fields): \(status) \(String(decoding: body, as: UTF8.self))")
        }
        let twice = #"{"id":"b","host":"127.0.0.1","port":143,"security":"none","username":"s","password":"p"}"#
        let (twiceStatus, _) = try await Server.request(
            "PUT", "\(base)/config/mail", token: admin, body: #"{"addresses":["soporte@luxfree.example"],"mailboxes":[\#(twice),\#(twice)]}"#)
        #expect(twiceStatus == 422)
        // The settings as shown, put back without the password, keep it.
        let (again, _) = try await Server.request(
            "PUT", "\(base)/config/mail", token: admin,
            body: #"{"addresses":["soporte@luxfree.example"],"mailboxes":[{"id":"buzon","host":"127.0.0.1","port":\#(dovecot.port),"security":"none","username":"soporte","pollSeconds":3600}]}"#)
        #expect(again == 200)

        var tickets: [(id: String, contents: [String])] = []
        try await Flow.until("the unread mail became a ticket (\(dovecot.log()))") {
            tickets = try await Flow.mailTickets(base, admin)
            return tickets.count == 1
        }
        #expect(tickets[0].contents == ["Sigue sin luz."], "the mail read before Docket came is not taken")
        try await Flow.until("Docket idles on the mailbox") { try await Self.figures(base, admin)["idle"] as? Bool == true }

        // Ana answers, someone writes without a Message-ID, a hostile mail comes and one more
        // after it: IDLE tells Docket at once; the answer joins her ticket, the hostile one is
        // quarantined, and the fetch goes on past it.
        let parts = (0..<10_000).map { "--b\r\nContent-Type: text/plain\r\n\r\nx\(String($0))\r\n" }.joined()
        let hostile = "From: raro@example.mx\r\nTo: soporte@luxfree.example\r\nSubject: partes\r\nMessage-ID: <hostile@example.mx>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" + parts + "--b--\r\n"
        try await dovecot.append(
            [
                ["From": "ana@example.mx", "To": "soporte@luxfree.example", "Subject": "Re: Corte de energía", "Message-ID": "<imap-2@example.mx>", "In-Reply-To": "<imap-1@example.mx>", "text": "Es en la calle 5."],
                ["From": "Luis <luis@example.mx>", "To": "soporte@luxfree.example", "Subject": "Sin identificador", "text": "Mi medidor."],
                ["raw": hostile],
                ["From": "Marta <marta@example.mx>", "To": "soporte@luxfree.example", "Subject": "Factura", "Message-ID": "<imap-4@example.mx>", "text": "Después del raro."],
            ], user: "soporte")
        try await Flow.until("the new mail was fetched (\(dovecot.log()))", timeout: .seconds(60)) {
            tickets = try await Flow.mailTickets(base, admin)
            let quarantined = try await Self.figures(base, admin)["quarantined"] as? Int
            return tickets.count == 3 && tickets.map(\.contents.count).reduce(0, +) == 4 && quarantined == 1
        }
        #expect(Set(tickets.map(\.contents)) == [["Sigue sin luz.", "Es en la calle 5."], ["Mi medidor."], ["Después del raro."]])
        let (_, quarantined) = try await Server.request("GET", "\(base)/mail/quarantine", token: admin)
        let held = try #require((Flow.json(quarantined)["quarantine"] as? [[String: Any]])?.first)
        #expect(held["kind"] as? String == "too_many_parts")
        #expect(held["envelopeFrom"] as? String == "", "IMAP knows no envelope: the mail had no Return-Path")

        // Every message handed on is flagged read in the mailbox; nothing was deleted.
        let flags = try await dovecot.flags(user: "soporte")
        #expect(flags.count == 6)
        #expect(flags.values.allSatisfy { $0.contains("\\Seen") }, "\(flags)")
        let figures = try await Self.figures(base, admin)
        #expect(figures["lastUid"] as? Int == 6)
        #expect(figures["fetched"] as? Int == 5)
        #expect(figures["lastError"] == nil)
    }

    /// A provider's mailbox over TLS and over STARTTLS, its certificate checked against
    /// `mail.relayCAFile`: both are fetched; a mailbox whose host the certificate does not name
    /// is refused before the password is sent, with the reason in its figures.
    @Test func mailboxesOverTLSAndSTARTTLSAreFetchedAndAnUnnamedHostIsRefused() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Server.binary.path), "build the docket product first")
        let dovecot = try await DovecotInstance(users: ["tls": "s3cret", "starttls": "s3cret", "otro": "s3cret"], tls: true)
        defer { dovecot.stopNow() }
        let tlsPort = try #require(dovecot.tlsPort)
        let certificate = try #require(dovecot.certificateFile)
        for user in ["tls", "starttls", "otro"] {
            try await dovecot.append(
                [["From": "\(user)@example.mx", "To": "soporte@luxfree.example", "Subject": "Por \(user)", "Message-ID": "<\(user)-1@example.mx>", "text": "Llegó por \(user)."]],
                user: user)
        }
        let dataDir = try Scratch.directory("imap-tls")
        let admin = try await Server.token(dataDir: dataDir, role: "admin", subject: "boss")
        let (server, port) = try await Server.serve(dataDir: dataDir, extra: ["--mail-relay-ca-file", certificate.path])
        defer { server.stopInBackground() }
        let base = "http://127.0.0.1:\(port)/api/v2"
        let mailboxes = [
            #"{"id":"tls","host":"localhost","port":\#(tlsPort),"security":"tls","username":"tls","password":"s3cret","pollSeconds":5}"#,
            #"{"id":"starttls","host":"localhost","port":\#(dovecot.port),"security":"starttls","username":"starttls","password":"s3cret","pollSeconds":5}"#,
            // The certificate names localhost, not 127.0.0.1.
            #"{"id":"otro","host":"127.0.0.1","port":\#(dovecot.port),"security":"starttls","username":"otro","password":"s3cret","pollSeconds":5}"#,
        ]
        let (status, body) = try await Server.request(
            "PUT", "\(base)/config/mail", token: admin, body: #"{"addresses":["soporte@luxfree.example"],"mailboxes":[\#(mailboxes.joined(separator: ","))]}"#)
        #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
        var figures: [String: [String: Any]] = [:]
        try await Flow.until("both good mailboxes were fetched and the third refused (\(dovecot.log()))", timeout: .seconds(60)) {
            let (_, body) = try await Server.request("GET", "\(base)/config/mail", token: admin)
            for mailbox in Flow.json(body)["mailboxes"] as? [[String: Any]] ?? [] {
                if let id = mailbox["id"] as? String { figures[id] = mailbox }
            }
            return figures["tls"]?["fetched"] as? Int == 1 && figures["starttls"]?["fetched"] as? Int == 1 && figures["otro"]?["lastError"] is String
        }
        let tickets = try await Flow.mailTickets(base, admin)
        #expect(Set(tickets.map(\.contents)) == [["Llegó por tls."], ["Llegó por starttls."]])
        #expect(figures["tls"]?["lastError"] == nil && figures["starttls"]?["lastError"] == nil)
        let refused = try #require(figures["otro"]?["lastError"] as? String)
        #expect(refused == "the server's certificate does not name this host", "\(refused)")
        #expect(figures["otro"]?["fetched"] as? Int ?? 0 == 0)
        // (The test's own imaplib logged in there to put the mail in, without TLS; Docket would
        // have logged in over TLS.)
        let log = dovecot.log(lines: 400).split(separator: "\n").filter { $0.contains("Login: user=<") }
        #expect(!log.contains { $0.contains("user=<otro>") && $0.contains(", TLS") }, "the password never went to a server that was not checked: \(log)")
        for user in ["tls", "starttls"] {
            #expect(log.contains { $0.contains("user=<\(user)>") && $0.contains(", TLS") }, "Docket logged in to \(user) over TLS: \(log)")
        }
        #expect(try await dovecot.flags(user: "otro").values.allSatisfy { !$0.contains("\\Seen") }, "its mail stays unread there")
    }

    /// The server killed (SIGKILL) while it fetches: when it is back it goes on from where the
    /// mailbox's state stood, and every mail ends in its customer's ticket once, those without
    /// a `Message-ID` included.
    @Test func aFetchKilledMidwayResumesWithoutDuplicates() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Server.binary.path), "build the docket product first")
        let dovecot = try await DovecotInstance(users: ["soporte": "s3cret"])
        defer { dovecot.stopNow() }
        let customers = 20
        let thread = 4
        var mails: [[String: String]] = []
        for index in 0..<thread {
            for customer in 0..<customers {
                var mail = [
                    "From": "cliente\(customer)@example.mx", "To": "soporte@luxfree.example", "Subject": "Medidor \(customer)",
                    "text": "[\(customer)/\(index)] sin luz",
                ]
                // Every fifth customer's mail client writes no Message-ID: those thread by sender.
                if customer % 5 != 0 { mail["Message-ID"] = "<f.\(customer).\(index)@example.mx>" }
                if index > 0, customer % 5 != 0 { mail["In-Reply-To"] = "<f.\(customer).\(index - 1)@example.mx>" }
                mails.append(mail)
            }
        }
        try await dovecot.append(Array(mails.prefix(customers * 2)), user: "soporte")
        let dataDir = try Scratch.directory("imap-kill")
        let admin = try await Server.token(dataDir: dataDir, role: "admin", subject: "boss")
        var (server, port) = try await Server.serve(dataDir: dataDir)
        var base = "http://127.0.0.1:\(port)/api/v2"
        var (status, _) = try await Server.request("PUT", "\(base)/config/mail", token: admin, body: Self.mailbox(dovecot.port, poll: 5))
        #expect(status == 200)
        try await Flow.until("the first mails were stored") {
            let (_, body) = try await Server.request("GET", "\(base)/tickets?source=email&limit=1", token: admin)
            return ((Flow.json(body)["pagination"] as? [String: Any])?["total"] as? Int ?? 0) >= 5
        }
        kill(server.processIdentifier, SIGKILL)
        await server.exited()
        // What comes while Docket is down waits in the mailbox.
        try await dovecot.append(Array(mails.dropFirst(customers * 2)), user: "soporte")
        (server, port) = try await Server.serve(dataDir: dataDir)
        defer { server.stopInBackground() }
        base = "http://127.0.0.1:\(port)/api/v2"
        var tickets: [(id: String, contents: [String])] = []
        try await Flow.until("all \(customers * thread) mails were stored (\(dovecot.log()))", timeout: .seconds(120)) {
            tickets = try await Flow.mailTickets(base, admin)
            let last = try await Self.figures(base, admin)["lastUid"] as? Int
            return tickets.map(\.contents.count).reduce(0, +) >= customers * thread && last == customers * thread
        }
        #expect(tickets.count == customers, "one ticket per customer")
        for ticket in tickets {
            let owner = try #require(ticket.contents.first.flatMap { $0.split(separator: "/").first }.map { String($0.dropFirst()) })
            #expect(ticket.contents == (0..<thread).map { "[\(owner)/\($0)] sin luz" }, "\(ticket.id): its customer's mails, each once, in order")
        }
        (status, _) = try await Server.request("GET", "\(base)/config/mail", token: admin)
        #expect(status == 200)
        #expect(try await dovecot.flags(user: "soporte").values.allSatisfy { $0.contains("\\Seen") })
    }
}
