import DocketTestSupport
import Foundation
import Testing

/// Mail the way a tenant runs it: Debian's Postfix in front of the real `docket serve` (relaying
/// the tenant's domain to Docket's LMTP receiver) and as the relay Docket's own mail leaves
/// through (on to an SMTP server standing for the customer's). Customers write with Python's
/// `smtplib` to Postfix, as their mail servers would.
@Suite("Mail through Postfix")
struct MailThroughPostfixTests {
    typealias Server = DurabilityTests

    /// Sends the mails the JSON list describes to Postfix over SMTP, `connections` at once;
    /// answers the addresses refused.
    static func send(_ mails: [[String: String]], port: Int, connections: Int = 1) async throws -> [String] {
        let file = try Scratch.directory("postfix-mails").appendingPathComponent("mails.json")
        try JSONSerialization.data(withJSONObject: mails).write(to: file)
        let (json, output) = try await pythonJSON(sender, ["\(port)", file.path, "\(connections)"])
        return try #require(json?["refused"] as? [String], "python said: \(output)")
    }

    static let sender = #"""
        import smtplib, sys, json, threading
        from email.message import EmailMessage
        port, path, connections = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
        mails = json.load(open(path))
        refused, lock = [], threading.Lock()
        def deliver(part):
            s = smtplib.SMTP('127.0.0.1', port)
            for m in part:
                message = EmailMessage()
                for key in ['From', 'To', 'Subject', 'Message-ID', 'In-Reply-To', 'References', 'Auto-Submitted']:
                    if m.get(key): message[key] = m[key]
                message.set_content(m['text'])
                bad = s.send_message(message)
                with lock: refused.extend(bad.keys())
            s.quit()
        # One sender's mails stay on one connection, in order.
        parts = [[] for _ in range(connections)]
        for m in mails: parts[hash(m['From']) % connections].append(m)
        threads = [threading.Thread(target=deliver, args=(p,)) for p in parts if p]
        for t in threads: t.start()
        for t in threads: t.join()
        print(json.dumps({'refused': refused}))
        """#

    static func json(_ data: Data) -> [String: Any] { (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:] }

    /// Waits for `condition`, asking every 100 ms, at most `timeout`.
    static func until(_ what: String, timeout: Duration = .seconds(90), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw PostfixInstance.PostfixError("not within \(timeout): \(what)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The tickets that came by mail, each with its messages' contents, oldest first.
    static func mailTickets(_ base: String, _ admin: String) async throws -> [(id: String, contents: [String])] {
        let (_, body) = try await Server.request("GET", "\(base)/tickets?source=email&limit=100", token: admin)
        var out: [(String, [String])] = []
        for ticket in json(body)["tickets"] as? [[String: Any]] ?? [] {
            guard let id = ticket["ticketId"] as? String else { continue }
            let (_, messages) = try await Server.request("GET", "\(base)/tickets/\(id)/messages?limit=100", token: admin)
            out.append((id, (json(messages)["messages"] as? [[String: Any]] ?? []).compactMap { $0["content"] as? String }))
        }
        return out
    }

    @Test func mailInAndOutThroughPostfixSignedAndThreadedWithoutALoop() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Server.binary.path), "build the docket product first")
        let dataDir = try Scratch.directory("postfix-flow")
        let mailPort = freePort()
        let admin = try await Server.token(dataDir: dataDir, role: "admin", subject: "boss")
        let (server, port) = try await Server.serve(dataDir: dataDir, extra: ["--mail-port", "\(mailPort)"])
        defer { server.stopInBackground() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let postfix = try await PostfixInstance(routes: [.lmtp(domain: "luxfree.example", port: mailPort), .smtp(domain: "example.mx", port: sink.port)])
        let base = "http://127.0.0.1:\(port)/api/v2"
        var (status, body) = try await Server.request(
            "PUT", "\(base)/config/mail", token: admin,
            body: #"{"addresses":["soporte@luxfree.example"],"relay":{"host":"127.0.0.1","port":\#(postfix.port),"security":"none"},"acknowledgementsPerHour":1,"dkim":[{"domain":"luxfree.example","selector":"docket"}]}"#)
        #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
        let record = try #require(((Self.json(body)["mail"] as? [String: Any])?["dkim"] as? [[String: Any]])?.first?["dnsRecord"] as? String)

        // Ana writes to the tenant; Postfix hands her mail to Docket.
        let first = ["From": "Ana Pérez <ana@example.mx>", "To": "soporte@luxfree.example", "Subject": "Corte de energía", "Message-ID": "<pf-1@example.mx>", "text": "Sigue sin luz."]
        #expect(try await Self.send([first], port: postfix.port) == [])
        var tickets: [(id: String, contents: [String])] = []
        try await Self.until("Ana's mail became a ticket (\(postfix.log()))") {
            tickets = try await Self.mailTickets(base, admin)
            return tickets.count == 1
        }
        let ticketId = tickets[0].id
        // The acknowledgement leaves through Postfix, signed, marked automatic.
        let ack = try #require(try await sink.wait(for: 1, timeout: .seconds(90)).first)
        #expect(ack.recipients == ["ana@example.mx"])
        #expect(ack.text.contains("Received: from mx.docket.test") || ack.text.contains("by mx.docket.test"), "it came through Postfix")
        #expect(ack.text.contains("Auto-Submitted: auto-replied"))
        let signed = try await DKIMCheck.verify(ack.message, dnsName: "docket._domainkey.luxfree.example", record: record)
        #expect(signed.valid, "the signature survives the relay: \(signed.output)")
        let ackId = try #require(ack.text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("message-id: <") }.map { String($0.dropFirst(13).dropLast()) })

        // Ana's mail server answers it automatically, then Ana answers it herself from a program
        // that dropped the tag from the address: the first opens nothing and is answered by
        // nothing; the second joins her ticket by its In-Reply-To.
        let away = ["From": "ana@example.mx", "To": "soporte+\(ticketId)@luxfree.example", "Subject": "Fuera de la oficina", "Message-ID": "<pf-away@example.mx>", "In-Reply-To": "<\(ackId)>", "Auto-Submitted": "auto-replied", "text": "Vuelvo el lunes."]
        let answer = ["From": "ana@example.mx", "To": "soporte@luxfree.example", "Subject": "Re: lo de la luz", "Message-ID": "<pf-2@example.mx>", "In-Reply-To": "<\(ackId)>", "text": "Es en la calle 5."]
        #expect(try await Self.send([away, answer], port: postfix.port) == [])
        try await Self.until("Ana's answer joined her ticket") {
            try await Self.mailTickets(base, admin).first?.contents == ["Sigue sin luz.", "Es en la calle 5."]
        }
        // An agent answers in the ticket: the reply reaches Ana through Postfix, answering her
        // latest mail, signed. Mail out keeps its order, so had the automatic answer been
        // acknowledged, that mail would have come before this one.
        (status, body) = try await Server.request("POST", "\(base)/agents", token: admin, body: #"{"id":"ana-l","name":"Ana López"}"#)
        #expect(status == 201)
        let agent = try await Server.token(dataDir: dataDir, role: "agent", subject: "ana-l")
        (status, _) = try await Server.request("POST", "\(base)/tickets/\(ticketId)/claim", token: agent)
        #expect(status == 200)
        (status, _) = try await Server.request("POST", "\(base)/tickets/\(ticketId)/messages", token: agent, body: #"{"content":"Va la cuadrilla a la calle 5."}"#)
        #expect(status == 201)
        let mails = try await sink.wait(for: 2, timeout: .seconds(90))
        #expect(mails.count == 2, "the acknowledgement and the reply, nothing for the automatic answer")
        let reply = mails[1]
        #expect(reply.text.contains("Va la cuadrilla a la calle 5."))
        #expect(reply.text.contains("In-Reply-To: <pf-2@example.mx>"))
        #expect(!reply.text.contains("Auto-Submitted"), "a person wrote it")
        #expect(try await DKIMCheck.verify(reply.message, dnsName: "docket._domainkey.luxfree.example", record: record).valid)
        #expect(try await Self.mailTickets(base, admin).count == 1, "one ticket for the whole thread")
        await postfix.stop()
    }

    /// The receiver killed (SIGKILL) while Postfix delivers: Postfix keeps what Docket had not
    /// acknowledged, and what came while it was down, and delivers it when Docket is back;
    /// every one of the 150 mails ends in its customer's ticket once.
    @Test func aReceiverKilledMidDeliveryLosesNoMailAndStoresNoneTwice() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Server.binary.path), "build the docket product first")
        let dataDir = try Scratch.directory("postfix-kill")
        let mailPort = freePort()
        let admin = try await Server.token(dataDir: dataDir, role: "admin", subject: "boss")
        var (server, port) = try await Server.serve(dataDir: dataDir, extra: ["--mail-port", "\(mailPort)"])
        let postfix = try await PostfixInstance(routes: [.lmtp(domain: "luxfree.example", port: mailPort)])
        var base = "http://127.0.0.1:\(port)/api/v2"
        var (status, _) = try await Server.request("PUT", "\(base)/config/mail", token: admin, body: #"{"addresses":["soporte@luxfree.example"]}"#)
        #expect(status == 200)
        let customers = 30
        let thread = 5
        var mails: [[String: String]] = []
        for index in 0..<thread {
            for customer in 0..<customers {
                var mail = [
                    "From": "Cliente \(customer) <cliente\(customer)@example.mx>", "To": "soporte@luxfree.example", "Subject": "Medidor \(customer)",
                    "Message-ID": "<k.\(customer).\(index)@example.mx>", "text": "[\(customer)/\(index)] sin luz",
                ]
                if index > 0 { mail["In-Reply-To"] = "<k.\(customer).\(index - 1)@example.mx>" }
                mails.append(mail)
            }
        }
        // The first three mails of each customer go while Docket takes them; it is killed once
        // part of them is stored (the rest on its way, some in the middle of being stored); the
        // last two of each are handed to Postfix while Docket is down.
        let early = mails.prefix(customers * 3)
        let sending = Task { try await Self.send(Array(early), port: postfix.port, connections: 4) }
        try await Self.until("the first mails were stored (\(postfix.log()))") {
            let (_, body) = try await Server.request("GET", "\(base)/tickets?source=email&limit=1", token: admin)
            return ((Self.json(body)["pagination"] as? [String: Any])?["total"] as? Int ?? 0) >= 10
        }
        kill(server.processIdentifier, SIGKILL)
        await server.exited()
        #expect(try await sending.value == [], "Postfix took every mail")
        #expect(try await Self.send(Array(mails.dropFirst(customers * 3)), port: postfix.port, connections: 4) == [])
        let waiting = try await postfix.queued()
        #expect(waiting >= customers * 2, "Postfix keeps what Docket did not take")
        (server, port) = try await Server.serve(dataDir: dataDir, extra: ["--mail-port", "\(mailPort)"])
        defer { server.stopInBackground() }
        base = "http://127.0.0.1:\(port)/api/v2"
        try await postfix.flush()
        var tickets: [(id: String, contents: [String])] = []
        try await Self.until("all 150 mails were stored", timeout: .seconds(180)) {
            tickets = try await Self.mailTickets(base, admin)
            let waiting = try await postfix.queued()
            return tickets.map(\.contents.count).reduce(0, +) >= customers * thread && waiting == 0
        }
        #expect(tickets.count == customers, "one ticket per customer")
        for ticket in tickets {
            let owner = try #require(ticket.contents.first.flatMap { $0.split(separator: "/").first }.map { String($0.dropFirst()) })
            #expect(Set(ticket.contents) == Set((0..<thread).map { "[\(owner)/\($0)] sin luz" }), "\(ticket.id): its customer's mails, each once")
            #expect(ticket.contents.count == thread, "\(ticket.id): no mail twice: \(ticket.contents)")
        }
        await postfix.stop()
    }
}
