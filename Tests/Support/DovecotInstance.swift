import Foundation

/// A real Dovecot (Debian's), as a mail provider's IMAP server: a private instance made by
/// `scripts/dovecot-instance.sh` in a scratch folder, on a port of its own on 127.0.0.1, with
/// one mailbox per user. Mail is put in with Python's `imaplib` (`APPEND`), as another client
/// of the provider would; stopped by its master's PID.
public final class DovecotInstance: @unchecked Sendable {
    public let port: Int
    /// With `tls`: the port of IMAP over TLS (imaps), and the certificate both ports show (PEM,
    /// made for the test, naming `localhost` only), for the client to trust.
    public let tlsPort: Int?
    public let certificateFile: URL?
    public let folder: URL
    public let users: [String: String]

    static var script: String { packsRoot.deletingLastPathComponent().appendingPathComponent("scripts/dovecot-instance.sh").path }

    /// `tls`: STARTTLS offered on `port` and IMAP over TLS on `tlsPort`, with a certificate for
    /// `localhost` made by openssl.
    public init(users: [String: String], tls: Bool = false) async throws {
        folder = try Scratch.directory("dovecot")
        // Dovecot's processes run as its own users: the folders above the mail must let them in.
        var parent = folder
        while parent.path != "/" && parent.path != "/tmp" {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: parent.path)
            parent.deleteLastPathComponent()
        }
        self.users = users
        var options: [String] = []
        if tls {
            let certificate = folder.appendingPathComponent("cert.pem")
            let key = folder.appendingPathComponent("key.pem")
            let (made, said) = try await runProgram("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "2",
                "-keyout", key.path, "-out", certificate.path,
            ])
            guard made == 0 else { throw DovecotError("openssl could not make a certificate: \(said)") }
            options = ["--tls", certificate.path, key.path]
            certificateFile = certificate
        } else {
            certificateFile = nil
        }
        let (status, output) = try await runProgram("/bin/bash", [Self.script, "start", folder.path] + options + users.map { "\($0.key):\($0.value)" })
        let ports = output.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard status == 0, ports.count == (tls ? 2 : 1) else {
            throw DovecotError("dovecot-instance.sh start said: \(output)")
        }
        port = ports[0]
        tlsPort = tls ? ports[1] : nil
    }

    /// Appends each mail (headers `From`, `To`, `Subject`, `Message-ID`, `In-Reply-To`, and
    /// `text`; `seen` "1" to append it already read) to `user`'s INBOX, in order.
    public func append(_ mails: [[String: String]], user: String) async throws {
        let file = try Scratch.directory("imap-mails").appendingPathComponent("mails.json")
        try JSONSerialization.data(withJSONObject: mails).write(to: file)
        let (json, output) = try await pythonJSON(Self.appender, ["\(port)", user, users[user] ?? "", file.path])
        guard json?["appended"] as? Int == mails.count else { throw DovecotError("imaplib APPEND said: \(output)") }
    }

    /// Each message's UID with its flags, as another client of the mailbox sees them.
    public func flags(user: String) async throws -> [Int: [String]] {
        let (json, output) = try await pythonJSON(Self.flagReader, ["\(port)", user, users[user] ?? ""])
        guard let list = json?["flags"] as? [String: [String]] else { throw DovecotError("imaplib FETCH FLAGS said: \(output)") }
        return Dictionary(uniqueKeysWithValues: list.compactMap { key, value in Int(key).map { ($0, value) } })
    }

    public func log(lines: Int = 30) -> String {
        let text = (try? String(contentsOf: folder.appendingPathComponent("dovecot.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    public func stop() async {
        _ = try? await runProgram("/bin/bash", [Self.script, "stop", folder.path])
    }

    /// Stops it at once, for a `defer` (a test that fails still leaves no Dovecot behind).
    public func stopNow() {
        let file = folder.appendingPathComponent("run/master.pid")
        if let text = try? String(contentsOf: file, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGTERM)
        }
    }

    static let appender = #"""
        import imaplib, sys, json, time
        from email.message import EmailMessage
        port, user, password, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
        c = imaplib.IMAP4('127.0.0.1', port)
        c.login(user, password)
        count = 0
        for m in json.load(open(path)):
            if 'raw' in m:
                data = m['raw'].encode('utf-8')
            else:
                message = EmailMessage()
                for key in ['From', 'To', 'Subject', 'Message-ID', 'In-Reply-To', 'References', 'Auto-Submitted', 'Return-Path']:
                    if m.get(key): message[key] = m[key]
                message.set_content(m['text'])
                data = message.as_bytes().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
            flags = '(\\Seen)' if m.get('seen') == '1' else None
            status, _ = c.append('INBOX', flags, None, data)
            if status == 'OK': count += 1
        c.logout()
        print(json.dumps({'appended': count}))
        """#

    static let flagReader = #"""
        import imaplib, sys, json, re
        port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        c = imaplib.IMAP4('127.0.0.1', port)
        c.login(user, password)
        c.select('INBOX', readonly=True)
        status, data = c.uid('FETCH', '1:*', '(UID FLAGS)')
        flags = {}
        for item in data:
            if not item: continue
            text = item.decode() if isinstance(item, bytes) else item[0].decode()
            m = re.search(r'UID (\d+)', text); f = re.search(r'FLAGS \(([^)]*)\)', text)
            if m: flags[m.group(1)] = f.group(1).split() if f else []
        c.logout()
        print(json.dumps({'flags': flags}))
        """#

    public struct DovecotError: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }
}
