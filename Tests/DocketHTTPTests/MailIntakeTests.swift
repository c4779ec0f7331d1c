import DocketMail
import DocketTestSupport
import Foundation
import Testing

/// The real `docket serve` receiving mail over LMTP from Python's `smtplib` (the client a mail
/// server's delivery agent speaks like): an admin sets the tenant's address over the API, mail
/// to it becomes tickets and messages, a reply to a ticket's tagged address joins it, a
/// machine's mail opens nothing, a hostile mail is quarantined with its reason and the next mail
/// still arrives.
@Suite("Mail into a running server")
struct MailIntakeTests {
    typealias Server = DurabilityTests

    static func lmtp(_ script: String, port: Int, _ arguments: [String] = []) async throws -> [String: Any] {
        let (json, output) = try await pythonJSON(script, ["\(port)"] + arguments)
        return try #require(json, "python said: \(output)")
    }

    static let first = #"""
        import smtplib, sys, json
        from email.mime.text import MIMEText
        from email.header import Header
        m = MIMEText('Buenos días:\n\nLa luz se cortó en la colonia desde ayer.\n', 'plain', 'iso-8859-1')
        m['Subject'] = Header('Corte de energía', 'iso-8859-1')
        m['From'] = 'José Núñez <jose.nunez@example.mx>'
        m['To'] = 'soporte@luxfree.example'
        m['Message-ID'] = '<first-1@mail.example.mx>'
        s = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
        refused = s.send_message(m)
        s.quit()
        print(json.dumps({'refused': list(refused.keys())}))
        """#

    static let rest = #"""
        import smtplib, sys, json
        from email.mime.text import MIMEText
        port, ticket = int(sys.argv[1]), sys.argv[2]
        out = {}
        s = smtplib.LMTP('127.0.0.1', port)
        s.ehlo('mta.example.mx')
        reply = MIMEText('Volvió a fallar hoy en la mañana.\n', 'plain', 'utf-8')
        reply['Subject'] = 'Otra pregunta'
        reply['From'] = 'jose.nunez@example.mx'
        reply['To'] = 'soporte+%s@luxfree.example' % ticket
        reply['Message-ID'] = '<reply-1@mail.example.mx>'
        out['reply'] = list(s.send_message(reply).keys())
        away = MIMEText('Estoy fuera de la oficina.\n', 'plain', 'utf-8')
        away['Subject'] = 'Respuesta automática'
        away['From'] = 'otra@example.mx'
        away['To'] = 'soporte@luxfree.example'
        away['Auto-Submitted'] = 'auto-replied'
        out['away'] = list(s.send_message(away).keys())
        try:
            s.sendmail('a@example.mx', ['nadie@luxfree.example'], 'Subject: x\r\n\r\nx\r\n')
        except smtplib.SMTPRecipientsRefused as e:
            out['unknown'] = [v[0] for v in e.recipients.values()]
        body = ''.join('--b\r\nContent-Type: text/plain\r\nContent-Type: multipart/mixed; boundary="n%d"\r\n\r\nx\r\n' % i for i in range(10000)) + '--b--\r\n'
        hostile = 'From: malo@example.mx\r\nTo: soporte@luxfree.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' + body
        try:
            out['hostile'] = list(s.sendmail('malo@example.mx', ['soporte@luxfree.example'], hostile).keys())
        except smtplib.SMTPDataError as e:
            out['hostile'] = [e.smtp_code, e.smtp_error.decode()]
        after = MIMEText('Otra cliente escribe.\n', 'plain', 'utf-8')
        after['Subject'] = 'Medidor'
        after['From'] = 'Ana <ana@example.mx>'
        after['To'] = 'soporte@luxfree.example'
        out['after'] = list(s.send_message(after).keys())
        s.quit()
        print(json.dumps(out))
        """#

    @Test func mailToATenantsAddressBecomesTicketsAndMessages() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Server.binary.path), "build the docket product first")
        let dataDir = try Scratch.directory("mail-intake")
        let portFile = dataDir.appendingPathComponent("mail.port").path
        let admin = try await Server.token(dataDir: dataDir, role: "admin", subject: "boss")
        let (server, port) = try await Server.serve(dataDir: dataDir, extra: ["--mail-port", "0", "--mail-port-file", portFile])
        defer {
            server.stopInBackground()
        }
        let base = "http://127.0.0.1:\(port)/api/v2"
        var (status, body) = try await Server.request("PUT", "\(base)/config/mail", token: admin, body: #"{"addresses":["Soporte@LuxFree.example"]}"#)
        #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
        (status, body) = try await Server.request("GET", "\(base)/config/mail", token: admin)
        #expect(String(decoding: body, as: UTF8.self) == #"{"mail":{"addresses":["soporte@luxfree.example"]}}"#)
        let deadline = ContinuousClock.now + .seconds(30)
        var mailPort: Int?
        while mailPort == nil, ContinuousClock.now < deadline {
            mailPort = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if mailPort == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let lmtpPort = try #require(mailPort, "the mail receiver did not write its port")

        #expect(try await Self.lmtp(Self.first, port: lmtpPort)["refused"] as? [String] == [])
        (status, body) = try await Server.request("GET", "\(base)/tickets?source=email", token: admin)
        #expect(status == 200)
        let tickets = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["tickets"] as? [[String: Any]])
        try #require(tickets.count == 1, "\(tickets)")
        let ticketId = try #require(tickets[0]["ticketId"] as? String)
        #expect(tickets[0]["subject"] as? String == "Corte de energía")

        let out = try await Self.lmtp(Self.rest, port: lmtpPort, [ticketId])
        #expect(out["reply"] as? [String] == [])
        #expect(out["away"] as? [String] == [])
        #expect(out["unknown"] as? [Int] == [550])
        #expect(out["hostile"] as? [String] == [], "a mail that cannot be read is taken into the quarantine: \(out["hostile"] ?? "")")
        #expect(out["after"] as? [String] == [], "the mail after a hostile one still arrives")
        (status, body) = try await Server.request("GET", "\(base)/mail/quarantine", token: admin)
        #expect(status == 200)
        let quarantine = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(quarantine["total"] as? Int == 1)
        let kept = try #require((quarantine["quarantine"] as? [[String: Any]])?.first)
        #expect(kept["reason"] as? String == "the mail has more than 500 parts")
        #expect(kept["kind"] as? String == "too_many_parts")
        #expect(kept["envelopeFrom"] as? String == "malo@example.mx")
        #expect(kept["raw"] == nil, "the bytes are not shown")

        (status, body) = try await Server.request("GET", "\(base)/tickets/\(ticketId)/messages", token: admin)
        let messages = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["messages"] as? [[String: Any]])
        #expect(messages.compactMap { $0["content"] as? String } == ["Buenos días:\n\nLa luz se cortó en la colonia desde ayer.", "Volvió a fallar hoy en la mañana."])
        (status, body) = try await Server.request("GET", "\(base)/tickets?source=email", token: admin)
        let all = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["tickets"] as? [[String: Any]])
        #expect(Set(all.compactMap { $0["subject"] as? String }) == ["Corte de energía", "Medidor"], "the auto-reply opened nothing")

        // Mail out: with a relay set, an agent's reply reaches José through it.
        let sink = try await SMTPSink(users: ["docket": "clave-del-relay"])
        defer { sink.stop() }
        (status, body) = try await Server.request(
            "PUT", "\(base)/config/mail", token: admin,
            body: #"{"addresses":["soporte@luxfree.example"],"relay":{"host":"127.0.0.1","port":\#(sink.port),"security":"none","username":"docket","password":"clave-del-relay"},"dkim":[{"domain":"luxfree.example","selector":"docket"}]}"#)
        #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
        let shownKey = try #require((((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["mail"] as? [String: Any])?["dkim"] as? [[String: Any]])?.first)
        #expect(shownKey["privateKey"] == nil, "a private key is never shown")
        #expect(shownKey["dnsName"] as? String == "docket._domainkey.luxfree.example")
        let record = try #require(shownKey["dnsRecord"] as? String)
        #expect(!String(decoding: body, as: UTF8.self).contains("clave-del-relay"), "the password is never shown")
        #expect(String(decoding: body, as: UTF8.self).contains(#""passwordSet":true"#))
        (status, body) = try await Server.request("POST", "\(base)/agents", token: admin, body: #"{"id":"ana","name":"Ana López"}"#)
        #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
        let ana = try await Server.token(dataDir: dataDir, role: "agent", subject: "ana")
        (status, _) = try await Server.request("POST", "\(base)/tickets/\(ticketId)/claim", token: ana)
        #expect(status == 200)
        (status, _) = try await Server.request("POST", "\(base)/tickets/\(ticketId)/messages", token: ana, body: #"{"content":"Ya va la cuadrilla, José."}"#)
        #expect(status == 201)
        let sent = try #require(try await sink.wait(for: 1).first)
        #expect(sent.recipients == ["jose.nunez@example.mx"])
        #expect(sent.login == "docket")
        let check = try await DKIMCheck.verify(sent.message, dnsName: "docket._domainkey.luxfree.example", record: record)
        #expect(check.valid, "signed with the key the API showed: \(check.output)")
        // The settings answer with what mail out did.
        var outlet: [String: Any] = [:]
        let outletDeadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < outletDeadline {
            (status, body) = try await Server.request("GET", "\(base)/config/mail", token: admin)
            outlet = (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["outlet"] as? [String: Any] ?? [:]
            if outlet["sent"] as? Int == 1 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(outlet["sent"] as? Int == 1 && outlet["failed"] as? Int == 0, "\(outlet)")
        #expect(outlet["lastSentAt"] is String)
        // An invitation goes to the agent by mail rather than to the admin's screen; the link in
        // it works.
        (status, body) = try await Server.request("POST", "\(base)/agents", token: admin, body: #"{"id":"luis","name":"Luis Ortega","email":"luis@luxfree.example"}"#)
        #expect(status == 201)
        (status, body) = try await Server.request("POST", "\(base)/agents/luis/password-link", token: admin)
        #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
        let made = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["link"] as? [String: Any])
        #expect(made["mailedTo"] as? String == "luis@luxfree.example")
        #expect(made["url"] == nil, "the admin does not see the secret")
        let invitation = try #require(try await sink.wait(for: 2).last)
        #expect(invitation.recipients == ["luis@luxfree.example"])
        let read = try MIMEParser.parse(invitation.message)
        #expect(read.subject.hasPrefix("Tu acceso a"))
        #expect(read.markers.autoSubmitted == "auto-generated")
        let url = try #require(read.text.split(whereSeparator: \.isWhitespace).first { $0.contains("/#/password/") })
        let secret = String(url.split(separator: "/").last!)
        (status, body) = try await Server.request(
            "POST", "http://127.0.0.1:\(port)/api/v2/auth/password", body: #"{"token":"\#(secret)","password":"una clave bien larga"}"#,
            headers: ["X-Docket-CSRF": "1"])
        #expect(status == 200, "the mailed link sets the password: \(String(decoding: body, as: UTF8.self))")
        // The quarantined mail, accepted anyway: it still cannot be read, so its first bytes
        // become its sender's message, as text; the quarantine is empty again.
        let keptId = try #require(kept["id"] as? String)
        (status, body) = try await Server.request("POST", "\(base)/mail/quarantine/\(keptId)/accept", token: ana)
        #expect(status == 403, "admins only")
        (status, body) = try await Server.request("POST", "\(base)/mail/quarantine/\(keptId)/accept", token: admin)
        #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
        let accepted = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(accepted["result"] as? String == "stored")
        let acceptedTicket = try #require(accepted["ticketId"] as? String)
        (status, body) = try await Server.request("GET", "\(base)/tickets/\(acceptedTicket)/messages", token: admin)
        let written = try #require(((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["messages"] as? [[String: Any]])?.first?["content"] as? String)
        #expect(written.hasPrefix("(the mail has more than 500 parts)\n\nFrom: malo@example.mx"))
        (status, body) = try await Server.request("GET", "\(base)/mail/quarantine", token: admin)
        #expect((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["total"] as? Int == 0)
        (status, _) = try await Server.request("DELETE", "\(base)/mail/quarantine/\(keptId)", token: admin)
        #expect(status == 404)
        #expect(sent.text.contains("In-Reply-To: <reply-1@mail.example.mx>"), "it answers José's latest mail")
        let ours = try #require(sent.text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("message-id: <") }.map { String($0.dropFirst(13).dropLast()) })
        // José answers it from a program that dropped the tag: the Message-ID finds the ticket.
        let answer = try await Self.lmtp(Self.answer, port: lmtpPort, [ours])
        #expect(answer["refused"] as? [String] == [])
        (status, body) = try await Server.request("GET", "\(base)/tickets/\(ticketId)/messages", token: admin)
        let after = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["messages"] as? [[String: Any]])
        #expect(after.compactMap { $0["content"] as? String }.suffix(2) == ["Ya va la cuadrilla, José.", "Gracias, aquí los espero."])
    }

    static let answer = #"""
        import smtplib, sys, json
        from email.mime.text import MIMEText
        m = MIMEText('Gracias, aquí los espero.\n', 'plain', 'utf-8')
        m['Subject'] = 'Re: Corte de energía'
        m['From'] = 'jose.nunez@example.mx'
        m['To'] = 'soporte@luxfree.example'
        m['Message-ID'] = '<answer-1@mail.example.mx>'
        m['In-Reply-To'] = '<%s>' % sys.argv[2]
        s = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
        refused = s.send_message(m)
        s.quit()
        print(json.dumps({'refused': list(refused.keys())}))
        """#
}
