import DocketCore
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Who a mail came from and to whom it goes, as the sending server said in the SMTP
/// transaction (not the mail's own headers, which anyone writes).
public struct MailEnvelope: Sendable, Hashable {
    /// `MAIL FROM`; empty for the null sender (`<>`) of bounces and auto-replies.
    public var sender: String
    public var recipients: [String]
    /// The sending server's name (`EHLO`/`LHLO`) and address.
    public var helo: String
    public var peer: String
}

/// What the receiver says after a mail's last byte: only once the mail is stored (or refused)
/// does the sending server hear "250", so a crash before the commit leaves the mail in the
/// sender's queue, never lost.
public enum MailVerdict: Sendable, Hashable {
    case accepted
    /// 4xx: the sender keeps the mail and tries again later (the store is down).
    case tryLater(String)
    /// 5xx: the sender gives up and bounces it.
    case refused(String)
}

/// The receiver's limits, each said to the sender in the protocol's own words.
public struct MailReceiverLimits: Sendable, Hashable {
    /// A message's bytes (announced with `SIZE` in the EHLO answer and checked while it arrives).
    public var maxMessageBytes = 25 << 20
    /// A command line, or a line of a message (RFC 5321 asks for 1,000; mailers send longer).
    public var maxLineBytes = 64 << 10
    public var maxRecipients = 100
    /// Silence after which the connection is closed (RFC 5321 §4.5.3.2 asks for at least 5 minutes).
    public var idleTimeout: Duration = .seconds(300)
    /// Commands a client may get wrong before it is cut off.
    public var maxErrors = 10

    public init() {}
}

/// Receives mail over SMTP (RFC 5321), or LMTP (RFC 2033) from a mail server that delivers to
/// Docket: the tenant's Postfix relays to it. Written here because no library in the project's
/// mirror speaks either as a server; NIO carries the bytes. Offers PIPELINING, 8BITMIME,
/// SMTPUTF8, ENHANCEDSTATUSCODES and SIZE; not STARTTLS nor AUTH (it listens for a mail server on
/// a private address, like an LMTP socket).
///
/// `accepts` decides each recipient at `RCPT TO` (an address nobody receives at is refused
/// there, so the sender bounces it at once); `deliver` takes each whole message and answers
/// only once it is stored — one answer per message (SMTP) or per recipient (LMTP).
public final class MailReceiver: Sendable {
    public enum Dialect: String, Sendable { case smtp, lmtp }

    public let dialect: Dialect
    public let limits: MailReceiverLimits
    let hostname: String
    let accepts: @Sendable (String) async -> Bool
    let deliver: @Sendable (MailEnvelope, [UInt8]) async -> [MailVerdict]
    let logger: Logger

    /// `deliver` answers one verdict per recipient (SMTP uses the first).
    public init(
        dialect: Dialect, limits: MailReceiverLimits = .init(), hostname: String, logger: Logger,
        accepts: @escaping @Sendable (String) async -> Bool, deliver: @escaping @Sendable (MailEnvelope, [UInt8]) async -> [MailVerdict]
    ) {
        self.dialect = dialect
        self.limits = limits
        self.hostname = hostname
        self.accepts = accepts
        self.deliver = deliver
        self.logger = logger
    }

    /// Listens on `host:port` (0: a port the kernel gives) and serves until cancelled; calls
    /// `onListening` with the port once bound.
    public func run(host: String, port: Int, onListening: @Sendable (Int) async -> Void = { _ in }) async throws {
        let limits = limits
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let idle = TimeAmount.nanoseconds(Int64(limits.idleTimeout.components.seconds) * 1_000_000_000 + limits.idleTimeout.components.attoseconds / 1_000_000_000)
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: idle), CloseWhenIdle(),
                        ByteToMessageHandler(MailLineDecoder(maxLength: limits.maxLineBytes)),
                    ])
                    return try NIOAsyncChannel<MailLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        await onListening(server.channel.localAddress?.port ?? port)
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<MailLine, ByteBuffer>) async {
        let peer = connection.channel.remoteAddress?.ipAddress ?? "unknown"
        do {
            try await connection.executeThenClose { inbound, outbound in
                var session = MailSession(receiver: self, peer: peer, outbound: outbound)
                try await session.run(inbound)
            }
        } catch {
            logger.debug("mail connection ended", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }
}

/// Says goodbye (RFC 5321 §4.5.3.2's 421) and closes a connection silent for the idle timeout.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        context.writeAndFlush(NIOAny(ByteBuffer(string: "421 4.4.2 Idle for too long; closing the connection\r\n")), promise: nil)
        context.close(promise: nil)
    }
}

/// A line as the decoder cut it: its bytes without the line break, or a line past the limit.
enum MailLine: Sendable {
    case line(ByteBuffer)
    case tooLong
}

/// Cuts the stream at LF (a CR before it dropped). A line past `maxLength` becomes `.tooLong`
/// and its bytes are dropped up to its end, so a client cannot make the buffer grow without bound.
struct MailLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = MailLine
    let maxLength: Int
    var discarding = false

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maxLength {
                if !discarding { context.fireChannelRead(wrapInboundOut(.tooLong)) }
                discarding = true
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if discarding {
            discarding = false
            return .continue
        }
        if line.readableBytes > maxLength {
            context.fireChannelRead(wrapInboundOut(.tooLong))
            return .continue
        }
        if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        context.fireChannelRead(wrapInboundOut(.line(line)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// One connection's conversation.
struct MailSession {
    let receiver: MailReceiver
    let peer: String
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var helo: String?
    var sender: String?
    var recipients: [String] = []
    var errors = 0

    init(receiver: MailReceiver, peer: String, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.receiver = receiver
        self.peer = peer
        self.outbound = outbound
    }

    var limits: MailReceiverLimits { receiver.limits }
    var lmtp: Bool { receiver.dialect == .lmtp }

    func reply(_ lines: String...) async throws {
        try await outbound.write(ByteBuffer(string: lines.map { $0 + "\r\n" }.joined()))
    }

    /// The next line, or nil at the end of the stream (the client left, or `CloseWhenIdle` closed it).
    func next(_ lines: inout NIOAsyncChannelInboundStream<MailLine>.AsyncIterator) async throws -> MailLine? {
        try await lines.next()
    }

    mutating func run(_ inbound: NIOAsyncChannelInboundStream<MailLine>) async throws {
        var lines = inbound.makeAsyncIterator()
        try await reply("220 \(receiver.hostname) \(lmtp ? "LMTP" : "ESMTP") Docket ready")
        while let line = try await next(&lines) {
            guard case .line(let bytes) = line else {
                try await reply("500 5.5.2 Line too long (at most \(limits.maxLineBytes) bytes)")
                if try await failed() { return }
                continue
            }
            let text = String(decoding: bytes.readableBytesView, as: UTF8.self)
            let (verb, argument) = Self.split(text)
            switch verb {
            case "EHLO" where !lmtp, "LHLO" where lmtp:
                helo = argument.isEmpty ? peer : argument
                resetTransaction()
                try await reply(
                    "250-\(receiver.hostname) greets \(helo!)", "250-PIPELINING", "250-8BITMIME", "250-SMTPUTF8", "250-ENHANCEDSTATUSCODES",
                    "250 SIZE \(limits.maxMessageBytes)")
            case "HELO" where !lmtp:
                helo = argument.isEmpty ? peer : argument
                resetTransaction()
                try await reply("250 \(receiver.hostname)")
            case "MAIL":
                try await mail(argument)
            case "RCPT":
                try await recipient(argument)
            case "DATA":
                guard sender != nil, !recipients.isEmpty else {
                    try await reply("503 5.5.1 \(sender == nil ? "MAIL FROM first" : "No valid recipients")")
                    if try await failed() { return }
                    continue
                }
                try await reply("354 End data with <CR><LF>.<CR><LF>")
                guard let message = try await readMessage(&lines) else { return }
                try await finish(message)
            case "RSET":
                resetTransaction()
                try await reply("250 2.0.0 OK")
            case "NOOP":
                try await reply("250 2.0.0 OK")
            case "VRFY":
                try await reply("252 2.1.5 Cannot verify the user; send the mail and it will be tried")
            case "QUIT":
                try await reply("221 2.0.0 \(receiver.hostname) closing the connection")
                return
            case "STARTTLS", "AUTH":
                try await reply("502 5.5.1 \(verb) is not offered here")
            default:
                try await reply("500 5.5.2 Command not recognised")
                if try await failed() { return }
            }
        }
    }

    /// Counts an error; true (after saying so) when the client made too many.
    mutating func failed() async throws -> Bool {
        errors += 1
        guard errors >= limits.maxErrors else { return false }
        try await reply("421 4.7.0 Too many errors; closing the connection")
        return true
    }

    mutating func resetTransaction() {
        sender = nil
        recipients = []
    }

    static func split(_ line: String) -> (verb: String, argument: String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed.uppercased(), "") }
        return (trimmed[..<space].uppercased(), trimmed[trimmed.index(after: space)...].trimmingCharacters(in: .whitespaces))
    }

    /// `<address>` after `FROM:`/`TO:`, and the parameters after it.
    static func path(_ argument: String, prefix: String) -> (address: String, parameters: [String: String])? {
        guard argument.uppercased().hasPrefix(prefix) else { return nil }
        let rest = argument.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        guard rest.hasPrefix("<"), let close = rest.firstIndex(of: ">") else { return nil }
        var address = String(rest[rest.index(after: rest.startIndex)..<close])
        // A source route (`<@a,@b:user@c>`) is ignored, as RFC 5321 §C says.
        if address.hasPrefix("@"), let colon = address.firstIndex(of: ":") { address = String(address[address.index(after: colon)...]) }
        var parameters: [String: String] = [:]
        for word in rest[rest.index(after: close)...].split(separator: " ") {
            let pair = word.split(separator: "=", maxSplits: 1)
            parameters[pair[0].uppercased()] = pair.count > 1 ? String(pair[1]) : ""
        }
        return (address, parameters)
    }

    mutating func mail(_ argument: String) async throws {
        guard helo != nil else {
            try await reply("503 5.5.1 Say \(lmtp ? "LHLO" : "EHLO") first")
            _ = try await failed()
            return
        }
        guard sender == nil else {
            try await reply("503 5.5.1 A transaction is open: RSET first")
            return
        }
        guard let (address, parameters) = Self.path(argument, prefix: "FROM:") else {
            try await reply("501 5.5.4 Syntax: MAIL FROM:<address>")
            _ = try await failed()
            return
        }
        if let size = parameters["SIZE"].flatMap(Int.init), size > limits.maxMessageBytes {
            try await reply("552 5.3.4 The message is \(size) bytes; at most \(limits.maxMessageBytes) are taken")
            return
        }
        sender = address
        try await reply("250 2.1.0 Sender OK")
    }

    mutating func recipient(_ argument: String) async throws {
        guard sender != nil else {
            try await reply("503 5.5.1 MAIL FROM first")
            _ = try await failed()
            return
        }
        guard let (address, _) = Self.path(argument, prefix: "TO:"), !address.isEmpty else {
            try await reply("501 5.5.4 Syntax: RCPT TO:<address>")
            _ = try await failed()
            return
        }
        guard recipients.count < limits.maxRecipients else {
            try await reply("452 4.5.3 Too many recipients (at most \(limits.maxRecipients) a message)")
            return
        }
        guard await receiver.accepts(address) else {
            try await reply("550 5.1.1 <\(address)>: nobody receives mail at this address here")
            return
        }
        recipients.append(address)
        try await reply("250 2.1.5 Recipient OK")
    }

    /// The message's lines up to the lone dot, unstuffed, with CRLF line ends; nil when the
    /// connection ended first. Past the size limit the rest is read and dropped (the client is
    /// told after the dot, as RFC 5321 asks), and the answer is `[]`.
    mutating func readMessage(_ lines: inout NIOAsyncChannelInboundStream<MailLine>.AsyncIterator) async throws -> [UInt8]?? {
        var message: [UInt8] = []
        var tooLarge = false
        while let line = try await next(&lines) {
            guard case .line(var bytes) = line else {
                tooLarge = true
                continue
            }
            if bytes.readableBytes == 1, bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) == UInt8(ascii: ".") {
                return tooLarge ? .some(nil) : message
            }
            if bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) == UInt8(ascii: ".") { bytes.moveReaderIndex(forwardBy: 1) }
            if !tooLarge {
                if message.count + bytes.readableBytes + 2 > limits.maxMessageBytes {
                    tooLarge = true
                    message = []
                } else {
                    message.append(contentsOf: bytes.readableBytesView)
                    message.append(contentsOf: [0x0D, 0x0A])
                }
            }
        }
        return nil
    }

    mutating func finish(_ message: [UInt8]?) async throws {
        defer { resetTransaction() }
        guard let message, let sender else {
            let answer = "552 5.3.4 The message is over \(limits.maxMessageBytes) bytes"
            for _ in 0..<(lmtp ? recipients.count : 1) { try await reply(answer) }
            return
        }
        let envelope = MailEnvelope(sender: sender, recipients: recipients, helo: helo ?? peer, peer: peer)
        let verdicts = await receiver.deliver(envelope, message)
        for index in 0..<(lmtp ? recipients.count : 1) {
            switch index < verdicts.count ? verdicts[index] : .tryLater("no answer for this recipient") {
            case .accepted: try await reply("250 2.0.0 Stored\(lmtp ? " for <\(recipients[index])>" : "")")
            case .tryLater(let why): try await reply("451 4.3.0 \(why)")
            case .refused(let why): try await reply("554 5.6.0 \(why)")
            }
        }
    }
}
