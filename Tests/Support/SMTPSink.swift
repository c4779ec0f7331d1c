import Foundation

/// A real SMTP server for tests of mail out: aiosmtpd (from PyPI, in `.venv-mail`, which
/// `scripts/test.sh` makes) in a child process on a port of its own, with STARTTLS on a
/// certificate made for the test, AUTH for the users given, and the answers a relay gives when
/// it refuses. Each mail it takes is written to its folder as the envelope (JSON) and the
/// message (`.eml`), so a test waits for what arrived.
public final class SMTPSink: @unchecked Sendable {
    public struct Received: Sendable {
        public var mailFrom: String
        public var recipients: [String]
        /// The user that logged in, or nil.
        public var login: String?
        /// The mail came over TLS.
        public var tls: Bool
        public var message: [UInt8]
        public var text: String { String(decoding: message, as: UTF8.self) }
    }

    public let port: Int
    /// The certificate the server shows (PEM), for the client to trust; nil without STARTTLS.
    public let certificate: String?
    let folder: URL
    let process: ChildProcess

    /// The Python of `.venv-mail` (aiosmtpd and dkimpy): `DOCKET_TEST_MAIL_PYTHON` or the repository's.
    public static var python: String {
        ProcessInfo.processInfo.environment["DOCKET_TEST_MAIL_PYTHON"]
            ?? packsRoot.deletingLastPathComponent().appendingPathComponent(".venv-mail/bin/python").path
    }

    /// `starttls`: offered (and required before AUTH and MAIL); `users`: login → password
    /// (empty: no AUTH); `failFirst`: that many messages are answered 451 after their data
    /// before the server takes them; `refuse`: recipients answered 550.
    public init(starttls: Bool = false, users: [String: String] = [:], failFirst: Int = 0, refuse: [String] = []) async throws {
        folder = try Scratch.directory("smtp-sink")
        var certificate: String?
        if starttls {
            let openssl = ChildProcess()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                "-days", "2", "-keyout", folder.appendingPathComponent("key.pem").path, "-out", folder.appendingPathComponent("cert.pem").path,
            ]
            openssl.discardsOutput = true
            try openssl.run()
            await openssl.exited()
            guard openssl.terminationStatus == 0 else { throw SinkError("openssl could not make a certificate") }
            certificate = try String(contentsOf: folder.appendingPathComponent("cert.pem"), encoding: .utf8)
        }
        self.certificate = certificate
        let settings: [String: Any] = ["starttls": starttls, "users": users, "failFirst": failFirst, "refuse": refuse]
        try JSONSerialization.data(withJSONObject: settings).write(to: folder.appendingPathComponent("settings.json"))
        process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = ["-c", Self.script, folder.path]
        process.discardsOutput = true
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            throw SinkError("no \(Self.python): scripts/test.sh makes .venv-mail (aiosmtpd, dkimpy)")
        }
        try process.run()
        let portFile = folder.appendingPathComponent("port")
        let deadline = ContinuousClock.now + .seconds(60)
        var bound: Int?
        while bound == nil {
            bound = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if bound != nil { break }
            guard ContinuousClock.now < deadline else {
                process.stopInBackground()
                throw SinkError("the SMTP sink did not listen within 60 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        port = bound!
    }

    /// The mails taken so far, in the order they arrived.
    public func received() -> [Received] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") && $0 != "settings.json" }
        return files.compactMap { Int($0.dropLast(5)) }.sorted().compactMap { number in
            guard let data = try? Data(contentsOf: folder.appendingPathComponent("\(number).json")),
                let meta = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let eml = try? Data(contentsOf: folder.appendingPathComponent("\(number).eml"))
            else { return nil }
            return Received(
                mailFrom: meta["mailFrom"] as? String ?? "", recipients: meta["recipients"] as? [String] ?? [], login: meta["login"] as? String,
                tls: meta["tls"] as? Bool ?? false, message: Array(eml))
        }
    }

    /// How many messages were answered with a refusal (451 after the data).
    public func refusals() -> Int {
        (try? String(contentsOf: folder.appendingPathComponent("refused"), encoding: .utf8)).map { $0.split(separator: "\n").count } ?? 0
    }

    /// Waits until `count` mails arrived (up to `timeout`); answers them.
    public func wait(for count: Int, timeout: Duration = .seconds(60)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let all = received()
            if all.count >= count { return all }
            guard ContinuousClock.now < deadline else { throw SinkError("\(all.count) mails arrived, not \(count), within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    public func stop() { process.stopInBackground() }

    public struct SinkError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    static let script = #"""
        import asyncio, json, os, signal, socket, ssl, sys, threading
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        # The test process may start children with SIGTERM blocked (its threads' mask is
        # inherited): unblock it, and end at once when it comes, whatever thread is running.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        signal.signal(signal.SIGINT, lambda *_: os._exit(0))

        folder = sys.argv[1]
        settings = json.load(open(os.path.join(folder, 'settings.json')))
        lock = threading.Lock()
        state = {'n': 0, 'failed': 0}

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in settings['refuse']:
                    return '550 5.1.1 no such mailbox here'
                envelope.rcpt_tos.append(address)
                return '250 OK'

            async def handle_DATA(self, server, session, envelope):
                with lock:
                    if state['failed'] < settings['failFirst']:
                        state['failed'] += 1
                        with open(os.path.join(folder, 'refused'), 'a') as f:
                            f.write('451\n')
                        return '451 4.3.0 try again later'
                    state['n'] += 1
                    n = state['n']
                with open(os.path.join(folder, '%d.eml' % n), 'wb') as f:
                    f.write(envelope.original_content)
                meta = {'mailFrom': envelope.mail_from, 'recipients': envelope.rcpt_tos,
                        'login': login_of(session),
                        'tls': session.ssl is not None}
                tmp = os.path.join(folder, '%d.tmp' % n)
                with open(tmp, 'w') as f:
                    json.dump(meta, f)
                os.rename(tmp, os.path.join(folder, '%d.json' % n))
                return '250 2.0.0 queued as %d' % n

        def login_of(session):
            data = getattr(session, 'auth_data', None)
            if isinstance(data, bytes):
                return data.decode()
            if isinstance(data, LoginPassword):
                return data.login.decode()
            return data

        def authenticate(server, session, envelope, mechanism, auth_data):
            if isinstance(auth_data, LoginPassword):
                login, password = auth_data.login.decode(), auth_data.password.decode()
                if settings['users'].get(login) == password:
                    return AuthResult(success=True, auth_data=login)
            return AuthResult(success=False, handled=False)

        probe = socket.socket()
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
        probe.close()
        options = {}
        if settings['starttls']:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(os.path.join(folder, 'cert.pem'), os.path.join(folder, 'key.pem'))
            options.update(tls_context=context, require_starttls=True)
        if settings['users']:
            options.update(authenticator=authenticate, auth_require_tls=settings['starttls'], auth_exclude_mechanism=[])
        else:
            options.update(auth_require_tls=False)
        controller = Controller(Handler(), hostname='127.0.0.1', port=port, server_hostname='sink.test', **options)
        controller.start()
        with open(os.path.join(folder, 'port.tmp'), 'w') as f:
            f.write(str(port))
        os.rename(os.path.join(folder, 'port.tmp'), os.path.join(folder, 'port'))
        threading.Event().wait()
        """#
}
