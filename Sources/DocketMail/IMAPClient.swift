import DocketCore
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Why a mailbox could not be fetched: what the server answered, or that it could not be reached.
/// `permanent`: trying again as configured will not help (a refused login, a missing folder).
public struct IMAPFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var permanent: Bool
    public var description: String

    public init(permanent: Bool = false, _ description: String) {
        self.permanent = permanent
        self.description = description
    }
}

/// Fetches mail from an IMAP4rev1 server (RFC 3501): `STARTTLS` or TLS from the first byte,
/// `LOGIN`, `SELECT`, `UID SEARCH`, `UID FETCH BODY.PEEK[]`, `UID STORE +FLAGS (\Seen)`, and
/// `IDLE` (RFC 2177) to hear of new mail at once. Written here because no library in the
/// project's mirror speaks IMAP; NIO carries the bytes and swift-nio-ssl the TLS. Only the
/// subset a fetching client needs: one folder, messages read whole (or their first bytes), never
/// deleted. A password is never sent over a connection without TLS unless the server is on this
/// machine.
public struct IMAPClient: Sendable {
    /// Which certificates the server may show (the system's roots by default; tests trust their own).
    public var tls: TLSConfiguration
    /// A command the server does not finish within this is given up on (the connection closed).
    public var commandTimeout: Duration
    /// The largest message read whole; a larger one is read up to `partialBytes` (for the quarantine).
    public var maxMessageBytes: Int
    public var partialBytes: Int
    /// The longest line (outside literals) read from a server.
    static let maxLineBytes = 256 << 10

    public init(tls: TLSConfiguration = .makeClientConfiguration(), commandTimeout: Duration = .seconds(60), maxMessageBytes: Int, partialBytes: Int = 64 << 10) {
        self.tls = tls
        self.commandTimeout = commandTimeout
        self.maxMessageBytes = maxMessageBytes
        self.partialBytes = partialBytes
    }

    /// Why a connection or session failed, for an admin: the system's words ("Connection
    /// refused"), a certificate that names another host or that nobody here vouches for.
    public static func reason(_ error: any Error) -> String {
        if let failure = error as? NIOConnectionError {
            if let first = failure.connectionErrors.first { return reason(first.error) }
            if failure.dnsAError != nil || failure.dnsAAAAError != nil { return "the name cannot be resolved" }
        }
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        let said = "\(error)"
        if said.contains("failedToValidateHostname") { return "the server's certificate does not name this host" }
        if said.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate is not signed by an authority this server trusts (the system's, or mail.relayCAFile)"
        }
        return said
    }

    /// Connects to `mailbox`'s server, logs in and selects its folder, runs `body` with the
    /// session, then logs out and closes. A task cancelled meanwhile closes the connection.
    public func session<T: Sendable>(_ mailbox: MailMailbox, _ body: (IMAPSession) async throws -> T) async throws -> T {
        guard mailbox.security != .none || TenantMail.isLoopback(mailbox.host) else {
            throw IMAPFailure(permanent: true, "a password is only sent over TLS: set the mailbox's security to starttls or tls")
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch { throw IMAPFailure(permanent: true, "TLS: \(error)") }
        let host = mailbox.host
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(15))
                .connect(host: mailbox.host, port: mailbox.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if mailbox.security == .tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: SMTPSubmitter.sniName(host)))
                        }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw IMAPFailure("\(mailbox.host):\(mailbox.port) cannot be reached: \(Self.reason(error))")
        }
        let raw = channel.channel
        return try await withTaskCancellationHandler {
            try await channel.executeThenClose { inbound, outbound in
                let session = IMAPSession(channel: raw, reader: IMAPReader(inbound.makeAsyncIterator(), maxLiteral: maxMessageBytes + 4096), outbound: outbound, client: self)
                try await session.open(mailbox, tls: context)
                let value = try await body(session)
                try? await session.logout()
                return value
            }
        } onCancel: {
            raw.close(promise: nil)
        }
    }
}

/// One logged-in connection with its folder selected.
public final class IMAPSession {
    let channel: any Channel
    var reader: IMAPReader
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let client: IMAPClient
    var tagNumber = 0
    public private(set) var capabilities: Set<String> = []
    /// The folder's `UIDVALIDITY`: UIDs are only comparable while it stays the same.
    public private(set) var uidValidity = 0

    init(channel: any Channel, reader: IMAPReader, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, client: IMAPClient) {
        self.channel = channel
        self.reader = reader
        self.outbound = outbound
        self.client = client
    }

    public var offersIdle: Bool { capabilities.contains("IDLE") }

    func open(_ mailbox: MailMailbox, tls: NIOSSLContext) async throws {
        let greeting = try await within { try await self.reader.response() }
        guard greeting.text.hasPrefix("* OK") || greeting.text.hasPrefix("* PREAUTH") else {
            throw IMAPFailure("the server's greeting is not IMAP's: \(greeting.text.prefix(100))")
        }
        try await refreshCapabilities(greeting.text)
        if mailbox.security == .starttls {
            guard capabilities.contains("STARTTLS") else {
                throw IMAPFailure(permanent: true, "\(mailbox.host) does not offer STARTTLS; set the mailbox's security to tls or none")
            }
            _ = try await command("STARTTLS")
            let host = mailbox.host
            try await channel.eventLoop.submit { [channel] in
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: SMTPSubmitter.sniName(host)), position: .first)
            }.get()
            capabilities = []
            try await refreshCapabilities("")
        }
        if !greeting.text.hasPrefix("* PREAUTH") {
            guard !capabilities.contains("LOGINDISABLED") else {
                throw IMAPFailure(permanent: true, "\(mailbox.host) refuses LOGIN on this connection; use starttls or tls")
            }
            do {
                _ = try await command("LOGIN \(Self.quoted(mailbox.username)) \(Self.quoted(mailbox.password ?? ""))", redacted: "LOGIN")
            } catch let failure as IMAPFailure {
                throw IMAPFailure(permanent: true, "the login was refused: \(failure.description)")
            }
            // Servers often say their full capabilities only after the login.
            capabilities = []
            try await refreshCapabilities("")
        }
        let selected: [IMAPResponse]
        do {
            selected = try await command("SELECT \(Self.quoted(mailbox.folderName))")
        } catch let failure as IMAPFailure {
            throw IMAPFailure(permanent: true, "the folder '\(mailbox.folderName)' cannot be opened: \(failure.description)")
        }
        guard let validity = selected.lazy.compactMap({ Self.number(after: "[UIDVALIDITY ", in: $0.text) }).first else {
            throw IMAPFailure("the server did not say the folder's UIDVALIDITY")
        }
        uidValidity = validity
    }

    /// The UIDs above `after` in the folder, ascending (only those not yet `\Seen` when `unseenOnly`).
    public func uids(after: Int, unseenOnly: Bool) async throws -> [Int] {
        let untagged = try await command("UID SEARCH UID \(after + 1):*" + (unseenOnly ? " UNSEEN" : ""))
        var found: [Int] = []
        for response in untagged where response.text.hasPrefix("* SEARCH") {
            found += response.text.dropFirst("* SEARCH".count).split(separator: " ").compactMap { Int($0) }
        }
        // `n:*` always names the highest UID, even one below n.
        return Array(Set(found.filter { $0 > after })).sorted()
    }

    /// The message `uid` whole, or its first `partialBytes` when it is larger than
    /// `maxMessageBytes` (`whole` false); nil when it is gone. Its `\Seen` flag is left as it was.
    public func message(_ uid: Int) async throws -> (bytes: [UInt8], size: Int, whole: Bool)? {
        let sizes = try await command("UID FETCH \(uid) (UID RFC822.SIZE)")
        guard let size = sizes.lazy.filter({ Self.number(after: "UID ", in: $0.text) == uid }).compactMap({ Self.number(after: "RFC822.SIZE ", in: $0.text) }).first
        else { return nil }
        let whole = size <= client.maxMessageBytes
        let part = whole ? "BODY.PEEK[]" : "BODY.PEEK[]<0.\(client.partialBytes)>"
        let fetched = try await command("UID FETCH \(uid) (UID \(part))")
        guard let response = fetched.first(where: { Self.number(after: "UID ", in: $0.text) == uid && !$0.literals.isEmpty }) else { return nil }
        return (response.literals[0], size, whole)
    }

    /// Flags the message `uid` as read, so a person looking at the mailbox sees it was taken.
    public func markSeen(_ uid: Int) async throws {
        _ = try await command("UID STORE \(uid) +FLAGS.SILENT (\\Seen)")
    }

    /// Waits in IDLE for up to `duration`: true as soon as the server says new mail came
    /// (`EXISTS`), false when the time ran out. Only when `offersIdle`.
    public func idle(for duration: Duration) async throws -> Bool {
        tagNumber += 1
        let tag = "d\(tagNumber)"
        try await outbound.write(ByteBuffer(string: "\(tag) IDLE\r\n"))
        let started = try await within { try await self.reader.response() }
        guard started.text.hasPrefix("+") else { throw IMAPFailure("IDLE was refused: \(started.text.prefix(200))") }
        let done = DoneOnce(outbound)
        let timer = Task {
            try? await Task.sleep(for: duration)
            await done.send()
        }
        defer { timer.cancel() }
        var arrived = false
        while true {
            // The server may stay quiet for the whole wait: no command timeout here, the
            // timer's DONE (or a cancelled task's closed connection) ends it.
            let response = try await reader.response()
            if response.text.hasPrefix(tag + " ") {
                guard Self.status(of: response.text, tag: tag) == "OK" else { throw IMAPFailure("IDLE ended with \(response.text.prefix(200))") }
                return arrived
            }
            if response.text.hasPrefix("* BYE") { throw IMAPFailure("the server closed the session: \(response.text.prefix(200))") }
            if response.text.hasSuffix(" EXISTS") || response.text.hasSuffix(" RECENT") {
                arrived = true
                await done.send()
            }
        }
    }

    func logout() async throws {
        _ = try await command("LOGOUT")
    }

    func refreshCapabilities(_ greeting: String) async throws {
        if let start = greeting.range(of: "[CAPABILITY ") {
            let rest = greeting[start.upperBound...]
            capabilities = Set(rest.prefix { $0 != "]" }.split(separator: " ").map { $0.uppercased() })
        }
        if capabilities.isEmpty {
            for response in try await command("CAPABILITY") where response.text.hasPrefix("* CAPABILITY ") {
                capabilities.formUnion(response.text.dropFirst("* CAPABILITY ".count).split(separator: " ").map { $0.uppercased() })
            }
        }
    }

    /// Sends one command and reads up to its tagged answer: the untagged responses before it,
    /// or an `IMAPFailure` when the answer is not OK.
    @discardableResult
    func command(_ text: String, redacted: String? = nil) async throws -> [IMAPResponse] {
        tagNumber += 1
        let tag = "d\(tagNumber)"
        return try await within {
            try await self.outbound.write(ByteBuffer(string: "\(tag) \(text)\r\n"))
            var untagged: [IMAPResponse] = []
            while true {
                let response = try await self.reader.response()
                if response.text.hasPrefix(tag + " ") {
                    guard Self.status(of: response.text, tag: tag) == "OK" else {
                        throw IMAPFailure("\(redacted ?? String(text.prefix(60))): \(response.text.dropFirst(tag.count + 1).prefix(200))")
                    }
                    return untagged
                }
                if response.text.hasPrefix("* BYE"), !text.hasPrefix("LOGOUT") {
                    throw IMAPFailure("the server closed the session: \(response.text.prefix(200))")
                }
                if response.text.hasPrefix("*") { untagged.append(response) }
                guard untagged.count < 100_000 else { throw IMAPFailure("over 100,000 responses to one command") }
            }
        }
    }

    /// Runs `operation`, closing the connection when it takes longer than the command timeout
    /// (a stalled server then fails the read instead of holding the fetch forever).
    func within<T>(_ operation: () async throws -> T) async throws -> T {
        let channel = channel
        let timeout = client.commandTimeout
        let expired = Mutex(false)
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            expired.withLock { $0 = true }
            channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        do {
            return try await operation()
        } catch {
            if expired.withLock({ $0 }) { throw IMAPFailure("the server did not answer within \(timeout)") }
            throw error
        }
    }

    static func status(of line: String, tag: String) -> String {
        String(line.dropFirst(tag.count + 1).prefix { $0 != " " }).uppercased()
    }

    /// The number written right after `marker` in `text`.
    static func number(after marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isASCII && $0.isNumber })
    }

    /// An IMAP quoted string (RFC 3501 §4.3); the text has no line breaks (checked when configured).
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// Ends an IDLE once, whoever comes first: the timer or the server's news of new mail.
final class DoneOnce: Sendable {
    let sent = Mutex(false)
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    init(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) { self.outbound = outbound }

    func send() async {
        guard sent.withLock({ sent in defer { sent = true }; return !sent }) else { return }
        try? await outbound.write(ByteBuffer(string: "DONE\r\n"))
    }
}

/// One server response: its text with each literal's place marked `{}`, and the literals' bytes.
struct IMAPResponse: Sendable {
    var text: String
    var literals: [[UInt8]]
}

/// Reads whole responses, literals (`{n}` then n bytes) included.
struct IMAPReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var pending: [UInt8] = []
    var start = 0
    let maxLiteral: Int

    init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, maxLiteral: Int) {
        self.iterator = iterator
        self.maxLiteral = maxLiteral
    }

    mutating func response() async throws -> IMAPResponse {
        var text = ""
        var literals: [[UInt8]] = []
        while true {
            let line = try await self.line()
            // A literal's announcement ends the line: `{123}` (or `{123+}`).
            if line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")),
                let size = Int(String(decoding: line[(open + 1)..<(line.count - 1)].filter { $0 != UInt8(ascii: "+") }, as: UTF8.self))
            {
                guard size <= maxLiteral else { throw IMAPFailure("the server sent \(size) bytes at once; at most \(maxLiteral) are read") }
                text += String(decoding: line[..<open], as: UTF8.self) + "{}"
                literals.append(try await bytes(size))
                guard literals.count <= 16 else { throw IMAPFailure("over 16 literals in one response") }
                continue
            }
            text += String(decoding: line, as: UTF8.self)
            return IMAPResponse(text: text, literals: literals)
        }
    }

    mutating func line() async throws -> [UInt8] {
        var scanned = start
        while true {
            if let end = pending[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(pending[start..<end])
                start = end + 1
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                compact()
                return line
            }
            scanned = pending.count
            guard pending.count - start < IMAPClient.maxLineBytes else {
                throw IMAPFailure("the server sent a line over \(IMAPClient.maxLineBytes) bytes")
            }
            try await fill()
        }
    }

    mutating func bytes(_ count: Int) async throws -> [UInt8] {
        while pending.count - start < count { try await fill() }
        let out = Array(pending[start..<(start + count)])
        start += count
        compact()
        return out
    }

    mutating func fill() async throws {
        guard let buffer = try await iterator.next() else { throw IMAPFailure("the server closed the connection") }
        pending += buffer.readableBytesView
    }

    mutating func compact() {
        if start > 64 << 10 || start == pending.count {
            pending.removeFirst(start)
            start = 0
        }
    }
}
