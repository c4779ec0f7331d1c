import DocketCore
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Why a mail did not leave: what the relay answered (or that it could not be reached), and
/// whether trying again may help (4xx, a lost connection, no answer in time) or not (5xx).
public struct SubmissionFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var permanent: Bool
    /// The relay's reply code, or 0 when there was none.
    public var code: Int
    public var reason: String
    public var description: String { code == 0 ? reason : "\(code) \(reason)" }

    public init(permanent: Bool, code: Int = 0, _ reason: String) {
        self.permanent = permanent
        self.code = code
        self.reason = reason
    }
}

/// Submits mail to a relay over SMTP (RFC 5321): `EHLO`, `STARTTLS` (RFC 3207) or TLS from the
/// first byte, `AUTH PLAIN` or `LOGIN` (RFC 4954), one transaction per mail. Written here
/// because no library in the project's mirror speaks SMTP as a client; NIO carries the bytes and
/// swift-nio-ssl the TLS. A password is never sent over a connection without TLS unless the
/// relay is on this machine.
public struct SMTPSubmitter: Sendable {
    /// The name said in `EHLO`.
    public var hostname: String
    /// The whole transaction's limit: a relay that stalls is given up on (and tried again later).
    public var timeout: Duration
    /// Which certificates the relay may show (the system's roots by default; tests trust their own).
    public var tls: TLSConfiguration
    /// The longest reply read from a relay.
    static let maxReplyBytes = 64 << 10

    public init(hostname: String, timeout: Duration = .seconds(60), tls: TLSConfiguration = .makeClientConfiguration()) {
        self.hostname = hostname
        self.timeout = timeout
        self.tls = tls
    }

    /// Sends `message` (a whole MIME message, CRLF line ends) from `sender` to `recipients`.
    public func send(_ message: [UInt8], from sender: String, to recipients: [String], via relay: MailRelay) async throws(SubmissionFailure) {
        let timeout = timeout
        if relay.username != nil, relay.security == .none, !TenantMail.isLoopback(relay.host) {
            throw SubmissionFailure(permanent: true, "a password is only sent over TLS: set the relay's security to starttls or tls")
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.transaction(message, from: sender, to: recipients, via: relay) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw SubmissionFailure(permanent: false, "the relay did not finish within \(timeout)")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let failure as SubmissionFailure {
            throw failure
        } catch let error as NIOSSLError {
            throw SubmissionFailure(permanent: false, "TLS with \(relay.host):\(relay.port) failed: \(error)")
        } catch {
            throw SubmissionFailure(permanent: false, "\(relay.host):\(relay.port): \(error)")
        }
    }

    func transaction(_ message: [UInt8], from sender: String, to recipients: [String], via relay: MailRelay) async throws {
        let context = try NIOSSLContext(configuration: tls)
        let host = relay.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(15))
            .connect(host: relay.host, port: relay.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if relay.security == .tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: Self.sniName(host)))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var replies = ReplyReader(inbound.makeAsyncIterator())
            func say(_ line: String) async throws { try await outbound.write(ByteBuffer(string: line + "\r\n")) }
            func expect(_ codes: Set<Int>, after what: String) async throws -> Reply {
                let reply = try await replies.next()
                guard codes.contains(reply.code) else {
                    throw SubmissionFailure(permanent: reply.code >= 500, code: reply.code, "\(what): \(reply.text)")
                }
                return reply
            }
            _ = try await expect([220], after: "greeting")
            try await say("EHLO \(hostname)")
            var extensions = try await expect([250], after: "EHLO").extensions
            var secure = relay.security == .tls
            if relay.security == .starttls {
                guard extensions.keys.contains("STARTTLS") else {
                    throw SubmissionFailure(permanent: true, "\(relay.host) does not offer STARTTLS; set the relay's security to tls or none")
                }
                try await say("STARTTLS")
                _ = try await expect([220], after: "STARTTLS")
                try await channel.channel.eventLoop.submit {
                    try channel.channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: Self.sniName(host)), position: .first)
                }.get()
                secure = true
                try await say("EHLO \(hostname)")
                extensions = try await expect([250], after: "EHLO after STARTTLS").extensions
            }
            if let username = relay.username, let password = relay.password {
                guard secure || TenantMail.isLoopback(relay.host) else {
                    throw SubmissionFailure(permanent: true, "a password is only sent over TLS: set the relay's security to starttls or tls")
                }
                let mechanisms = Set((extensions["AUTH"] ?? "").uppercased().split(separator: " ").map(String.init))
                if mechanisms.contains("PLAIN") || !mechanisms.contains("LOGIN") {
                    let token = Data(("\0" + username + "\0" + password).utf8).base64EncodedString()
                    try await say("AUTH PLAIN \(token)")
                } else {
                    try await say("AUTH LOGIN")
                    _ = try await expect([334], after: "AUTH LOGIN")
                    try await say(Data(username.utf8).base64EncodedString())
                    _ = try await expect([334], after: "AUTH LOGIN user")
                    try await say(Data(password.utf8).base64EncodedString())
                }
                _ = try await expect([235], after: "AUTH")
            }
            let international = !(sender + recipients.joined()).allSatisfy(\.isASCII) && extensions.keys.contains("SMTPUTF8")
            try await say("MAIL FROM:<\(sender)>" + (international ? " SMTPUTF8" : ""))
            _ = try await expect([250], after: "MAIL FROM")
            for recipient in recipients {
                try await say("RCPT TO:<\(recipient)>")
                _ = try await expect([250, 251], after: "RCPT TO <\(recipient)>")
            }
            try await say("DATA")
            _ = try await expect([354], after: "DATA")
            try await outbound.write(ByteBuffer(bytes: Self.dotStuffed(message)))
            _ = try await expect([250], after: "the message")
            try? await say("QUIT")
            _ = try? await replies.next()
        }
    }

    /// The message as `DATA` carries it: bare LF made CRLF, a line starting with "." doubled,
    /// ended by a line holding only ".".
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 50 + 8)
        var lineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if byte == UInt8(ascii: "\n"), previous != UInt8(ascii: "\r") { out.append(UInt8(ascii: "\r")) }
            if lineStart, byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out.append(byte)
            lineStart = byte == UInt8(ascii: "\n")
            previous = byte
        }
        if !lineStart { out += Array("\r\n".utf8) }
        out += Array(".\r\n".utf8)
        return out
    }

    /// TLS names a host, never an address (RFC 6066).
    static func sniName(_ host: String) -> String? {
        host.contains(":") || host.split(separator: ".").allSatisfy({ Int($0) != nil }) ? nil : host
    }


    struct Reply {
        var code: Int
        var lines: [String]
        var text: String { lines.joined(separator: " / ") }
        /// EHLO's answer: each extension keyword (upper case) and its parameters.
        var extensions: [String: String] {
            var out: [String: String] = [:]
            for line in lines.dropFirst() {
                let words = line.split(separator: " ", maxSplits: 1).map(String.init)
                guard let keyword = words.first?.uppercased() else { continue }
                out[keyword] = words.count > 1 ? words[1] : ""
            }
            return out
        }
    }

    /// Reads whole replies (`250-…` lines up to `250 …`) from the connection.
    struct ReplyReader {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var pending: [UInt8] = []

        init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) { self.iterator = iterator }

        mutating func next() async throws -> Reply {
            var lines: [String] = []
            var code = 0
            while true {
                let line = try await self.line()
                let bytes = Array(line.utf8)
                guard bytes.count >= 3, let value = Int(String(line.prefix(3))), (200...599).contains(value) else {
                    throw SubmissionFailure(permanent: false, "the relay answered something that is not SMTP: \(line.prefix(100))")
                }
                if code != 0, value != code { throw SubmissionFailure(permanent: false, "the relay mixed reply codes \(code) and \(value)") }
                code = value
                lines.append(String(line.dropFirst(4)))
                if bytes.count == 3 || bytes[3] == UInt8(ascii: " ") { return Reply(code: code, lines: lines) }
                guard lines.count < 100 else { throw SubmissionFailure(permanent: false, "the relay's reply has over 100 lines") }
            }
        }

        mutating func line() async throws -> String {
            while true {
                if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(pending[..<end])
                    pending.removeSubrange(...end)
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                guard pending.count < SMTPSubmitter.maxReplyBytes else {
                    throw SubmissionFailure(permanent: false, "the relay sent a line over \(SMTPSubmitter.maxReplyBytes) bytes")
                }
                guard let buffer = try await iterator.next() else {
                    throw SubmissionFailure(permanent: false, "the relay closed the connection")
                }
                pending += buffer.readableBytesView
            }
        }
    }
}
