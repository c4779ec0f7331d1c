import DocketCore
import DocketMail
import DocketTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// The receiver driven by Python's `smtplib` (a real client, SMTP and LMTP): mail in, the
/// answers a sending server acts on, and the limits said in the protocol's words.
@Suite("Receiving mail over SMTP and LMTP")
struct MailReceiverTests {
    final class Inbox: Sendable {
        let mails = Mutex<[(envelope: MailEnvelope, bytes: [UInt8])]>([])
        var all: [(envelope: MailEnvelope, bytes: [UInt8])] { mails.withLock { $0 } }
    }

    /// A receiver on a port of its own for `body`; `verdict` decides each stored mail.
    static func withReceiver(
        _ dialect: MailReceiver.Dialect, limits: MailReceiverLimits = .init(),
        verdict: @escaping @Sendable (MailEnvelope) -> [MailVerdict] = { Array(repeating: .accepted, count: $0.recipients.count) },
        _ body: (Int, Inbox) async throws -> Void
    ) async throws {
        let inbox = Inbox()
        let receiver = MailReceiver(
            dialect: dialect, limits: limits, hostname: "mx.docket.test", logger: Logger(label: "mail-test"),
            accepts: { $0.lowercased().hasSuffix("@luxfree.example") },
            deliver: { envelope, bytes in
                let answer = verdict(envelope)
                if answer.first == .accepted { inbox.mails.withLock { $0.append((envelope, bytes)) } }
                return answer
            })
        let port = Mutex<Int?>(nil)
        let server = Task { try await receiver.run(host: "127.0.0.1", port: 0) { bound in port.withLock { $0 = bound } } }
        defer { server.cancel() }
        // A loaded machine may take a while to run the listening task.
        let deadline = ContinuousClock.now + .seconds(60)
        while port.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        try await body(try #require(port.withLock { $0 }, "the receiver did not listen"), inbox)
    }

    /// Runs a Python script (the port is `sys.argv[1]`); its last line of output is JSON.
    static func python(_ script: String, port: Int) async throws -> [String: Any] {
        let (json, output) = try await pythonJSON(script, ["\(port)"])
        return try #require(json, "python said: \(output)")
    }

    static let send = #"""
        import smtplib, sys, json
        from email.message import EmailMessage
        port = int(sys.argv[1])
        m = EmailMessage()
        m['From'] = 'José <jose@example.mx>'
        m['To'] = 'soporte@luxfree.example'
        m['Subject'] = 'Corte de energía'
        m.set_content('Línea uno\n.empieza con punto\n.\nfin\n')
        out = {}
        with smtplib.SMTP('127.0.0.1', port) as s:
            code, banner = s.ehlo('mta.example.mx')
            out['ehlo'] = banner.decode()
            refused = s.send_message(m, to_addrs=['soporte@luxfree.example', 'nadie@otro.example'])
            out['refused'] = {k: [v[0], v[1].decode()] for k, v in refused.items()}
            try:
                s.sendmail('a@example.mx', ['nadie@otro.example'], 'Subject: x\r\n\r\nx\r\n')
            except smtplib.SMTPRecipientsRefused as e:
                out['allRefused'] = [v[0] for v in e.recipients.values()]
            try:
                s.sendmail('a@example.mx', ['soporte@luxfree.example'], 'Subject: x\r\n\r\n' + 'x' * 5000, mail_options=['SIZE=5000000'])
            except smtplib.SMTPSenderRefused as e:
                out['sizeRefused'] = [e.smtp_code, e.smtp_error.decode()]
            s.sendmail('', ['ventas@luxfree.example'], 'Subject: rebote\r\n\r\nx\r\n')
        print(json.dumps(out))
        """#

    @Test func smtplibDeliversAndIsToldWhatWasRefused() async throws {
        var limits = MailReceiverLimits()
        limits.maxMessageBytes = 1 << 20
        try await Self.withReceiver(.smtp, limits: limits) { port, inbox in
            let out = try await Self.python(Self.send, port: port)
            #expect((out["ehlo"] as? String)?.contains("SIZE 1048576") == true)
            #expect((out["ehlo"] as? String)?.contains("PIPELINING") == true)
            #expect((out["refused"] as? [String: [Any]])?["nadie@otro.example"]?.first as? Int == 550)
            #expect(out["allRefused"] as? [Int] == [550])
            #expect((out["sizeRefused"] as? [Any])?.first as? Int == 552)
            let mails = inbox.all
            try #require(mails.count == 2)
            #expect(mails[0].envelope.sender == "jose@example.mx")
            #expect(mails[0].envelope.recipients == ["soporte@luxfree.example"])
            #expect(mails[0].envelope.helo == "mta.example.mx")
            // Dot-stuffing undone: the lines that began with a dot are there as written.
            let parsed = try MIMEParser.parse(mails[0].bytes)
            #expect(parsed.text == "Línea uno\n.empieza con punto\n.\nfin")
            #expect(parsed.subject == "Corte de energía")
            #expect(mails[1].envelope.sender == "", "the null sender is kept as empty")
        }
    }

    @Test func aMailIsAnsweredOnlyAfterItsVerdictAndAStoreThatIsDownMakesTheSenderTryLater() async throws {
        try await Self.withReceiver(.smtp, verdict: { _ in [.tryLater("the store is not answering; try again later")] }) { port, inbox in
            let out = try await Self.python(#"""
                import smtplib, sys, json
                with smtplib.SMTP('127.0.0.1', int(sys.argv[1])) as s:
                    try:
                        s.sendmail('a@example.mx', ['soporte@luxfree.example'], 'Subject: x\r\n\r\nx\r\n')
                        print(json.dumps({'code': 250}))
                    except smtplib.SMTPDataError as e:
                        print(json.dumps({'code': e.smtp_code, 'text': e.smtp_error.decode()}))
                """#, port: port)
            #expect(out["code"] as? Int == 451)
            #expect(out["text"] as? String == "4.3.0 the store is not answering; try again later")
            #expect(inbox.all.isEmpty)
        }
    }

    @Test func lmtpAnswersEachRecipient() async throws {
        try await Self.withReceiver(.lmtp, verdict: { envelope in envelope.recipients.map { $0.hasPrefix("lleno") ? .tryLater("mailbox busy") : .accepted } }) { port, inbox in
            let out = try await Self.python(#"""
                import smtplib, sys, json
                s = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
                s.ehlo('mta.example.mx')
                s.mail('a@example.mx')
                codes = [s.rcpt(r)[0] for r in ['soporte@luxfree.example', 'lleno@luxfree.example']]
                s.putcmd('data')
                code, _ = s.getreply()
                s.send(b'Subject: x\r\n\r\nhola\r\n.\r\n')
                replies = [s.getreply()[0], s.getreply()[0]]
                s.quit()
                print(json.dumps({'rcpt': codes, 'data': code, 'replies': replies}))
                """#, port: port)
            #expect(out["rcpt"] as? [Int] == [250, 250])
            #expect(out["data"] as? Int == 354)
            #expect(out["replies"] as? [Int] == [250, 451])
            #expect(inbox.all.count == 1)
        }
    }

    @Test func longLinesOversizedMailsSilenceAndNonsenseAreAnsweredAndBounded() async throws {
        var limits = MailReceiverLimits()
        limits.maxLineBytes = 2000
        limits.maxMessageBytes = 10_000
        // Long enough that a loaded machine does not close the other conversations of this test.
        limits.idleTimeout = .seconds(5)
        limits.maxErrors = 3
        try await Self.withReceiver(.smtp, limits: limits) { port, inbox in
            let out = try await Self.python(#"""
                import socket, sys, json, time
                port = int(sys.argv[1])
                def talk(lines, wait_close=False):
                    s = socket.create_connection(('127.0.0.1', port), timeout=120)
                    f = s.makefile('rb')
                    got = [f.readline().decode().strip()]
                    for line in lines:
                        s.sendall(line)
                        if line.upper().startswith(b'EHLO'):
                            while True:
                                l = f.readline().decode().strip(); got.append(l)
                                # The last line of the answer, or the end of the stream.
                                if not l or l[3:4] == ' ': break
                        elif line != b'':
                            got.append(f.readline().decode().strip())
                    if wait_close:
                        started = time.time()
                        rest = f.read().decode().strip()
                        got.append(rest)
                        got.append(round(time.time() - started, 1))
                    s.close()
                    return got
                out = {}
                out['long'] = talk([b'EHLO x\r\n', b'NOOP ' + b'a' * 5000 + b'\r\n', b'NOOP\r\n', b'QUIT\r\n'])
                out['big'] = talk([b'EHLO x\r\n', b'MAIL FROM:<a@example.mx>\r\n', b'RCPT TO:<soporte@luxfree.example>\r\n', b'DATA\r\n',
                                   b'Subject: x\r\n\r\n' + (b'y' * 1000 + b'\r\n') * 20 + b'.\r\n', b'QUIT\r\n'])
                out['nonsense'] = talk([b'EHLO x\r\n', b'FOO\r\n', b'BAR\r\n', b'BAZ\r\n'], wait_close=True)
                out['idle'] = talk([b'EHLO x\r\n'], wait_close=True)
                print(json.dumps(out))
                """#, port: port)
            let long = try #require(out["long"] as? [String])
            #expect(long.contains("500 5.5.2 Line too long (at most 2000 bytes)"))
            #expect(long.suffix(2) == ["250 2.0.0 OK", "221 2.0.0 mx.docket.test closing the connection"], "the connection goes on after a long line")
            let big = try #require(out["big"] as? [String])
            #expect(big.contains("552 5.3.4 The message is over 10000 bytes"), "\(big)")
            #expect(big.last == "221 2.0.0 mx.docket.test closing the connection")
            let nonsense = try #require(out["nonsense"] as? [Any])
            #expect(nonsense.contains { $0 as? String == "421 4.7.0 Too many errors; closing the connection" }, "\(nonsense)")
            let idle = try #require(out["idle"] as? [Any])
            #expect(idle.contains { $0 as? String == "421 4.4.2 Idle for too long; closing the connection" }, "\(idle)")
            #expect(inbox.all.isEmpty)
        }
    }
}
