import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// What a connection must do to keep its place: limits against idle, slow and greedy clients.
public struct ConnectionRules: Sendable {
    /// A request head must be whole within this from its first byte (`http.headerTimeoutSeconds`).
    public var headerTimeout: Duration
    /// A connection with no request in flight (new and silent, or kept alive) is closed after
    /// this long without one (`http.idleTimeoutSeconds`); for a kept-alive connection it also
    /// bounds the time to send the next request's head.
    public var idleTimeout: Duration
    /// A request body must arrive at this average rate, counted from its head once the first
    /// `headerTimeout` has passed (`http.minBodyBytesPerSecond`).
    public var minBodyBytesPerSecond: Int
    /// Connections one client address may hold at once (`http.maxConnectionsPerAddress`); the
    /// next gets a bare 503 and is closed.
    public var maxPerAddress: Int

    public init(headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60), minBodyBytesPerSecond: Int = 1024, maxPerAddress: Int = 512) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.minBodyBytesPerSecond = minBodyBytesPerSecond
        self.maxPerAddress = maxPerAddress
    }
}

/// Connections open per client address, shared by every connection of the server.
final class AddressCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Takes a place for `address`; false when it already holds `limit`.
    func take(_ address: String, limit: Int) -> Bool {
        counts.withLock { counts in
            let current = counts[address, default: 0]
            guard current < limit else { return false }
            counts[address] = current + 1
            return true
        }
    }

    func give(_ address: String) {
        counts.withLock { counts in
            let current = counts[address, default: 0]
            if current <= 1 { counts[address] = nil } else { counts[address] = current - 1 }
        }
    }

    /// Refusals since the last log line; the log says so at most every 10 s (a client making
    /// thousands of connections must not flood the log, or block on it).
    private let refusals = Mutex<(count: Int, since: ContinuousClock.Instant?)>((0, nil))

    func refused(_ address: String, limit: Int, logger: Logger) {
        let report: Int? = refusals.withLock { state in
            state.count += 1
            let now = ContinuousClock.now
            guard let since = state.since, now - since < .seconds(10) else {
                defer { state = (0, now) }
                return state.count
            }
            return nil
        }
        if let report {
            logger.notice(
                "connections refused: too many from one address", metadata: ["address": "\(address)", "limit": "\(limit)", "refused": "\(report)"])
        }
    }
}

/// The HTTP/1 + WebSocket child channel with the connection rules in front: the raw guard is
/// the first handler, so it sees a connection before any byte of HTTP is parsed (the upgrade
/// pipeline adds its HTTP handlers only once a first request head arrived).
struct GuardedChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value
    let inner: HTTP1WebSocketUpgradeChannel
    let rules: ConnectionRules
    let counts: AddressCounts
    /// The WebSocket path whose upgrade credential is checked before the upgrade (see `UpgradeGate`).
    var gate: (path: String, check: UpgradeGate.Check)?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(RawConnectionGuard(rules: rules, counts: counts, logger: logger), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Behind the parser and the upgrade step; the handlers of a plain HTTP connection
            // are added after it once the first head is read.
            try channel.pipeline.syncOperations.addHandler(ParserErrorCatcher())
            if let gate {
                let parser = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                try channel.pipeline.syncOperations.addHandler(UpgradeGate(path: gate.path, check: gate.check), position: .after(parser))
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// On raw bytes: the per-address cap, and the deadlines before a new connection's first request
/// head is whole: `idleTimeout` while it sends nothing, `headerTimeout` from its first byte (a
/// client sending its head a byte at a time).
final class RawConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let rules: ConnectionRules
    let counts: AddressCounts
    let logger: Logger
    private var address: String?
    private var deadline: Scheduled<Void>?
    /// How much of `\r\n\r\n` (the end of the first head) the bytes so far end with; 4: seen.
    private var headEnd = 0
    private var headSeen: Bool { headEnd == 4 }
    private var headStarted = false
    private var started = false
    /// Bytes of the first request line so far (nil once it ended).
    private var requestLine: Int? = 0
    private var answered = false
    /// A malformed request behind others, answered when the server closes after them.
    private var owed: MalformedRequest?

    init(rules: ConnectionRules, counts: AddressCounts, logger: Logger) {
        self.rules = rules
        self.counts = counts
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        guard counts.take(address, limit: rules.maxPerAddress) else {
            counts.refused(address, limit: rules.maxPerAddress, logger: logger)
            let refusal = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            // On the next tick: the connection's pipeline is still being set up now.
            context.eventLoop.execute {
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: refusal))).whenComplete { _ in Self.end(context) }
            }
            return
        }
        self.address = address
        // Silent, it is an idle connection; once it starts a head, the head must end in time.
        schedule(context, rules.idleTimeout, "no request")
    }

    private func schedule(_ context: ChannelHandlerContext, _ timeout: Duration, _ why: String) {
        deadline?.cancel()
        deadline = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) { [weak self] in
            guard let self, !self.headSeen else { return }
            self.logger.debug("connection closed: \(why) in time", metadata: ["address": "\(self.address ?? "?")"])
            Self.end(context)
        }
    }

    /// Ends a connection that has not sent a whole head: told to the handlers behind as the
    /// peer closing its input (the upgrade handler then closes quietly, where a bare close makes
    /// it report an error), and closed outright a moment later if still open.
    static func end(_ context: ChannelHandlerContext) {
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        context.eventLoop.scheduleTask(in: .milliseconds(500)) {
            if context.channel.isActive { context.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !headSeen, !headStarted, address != nil {
            headStarted = true
            schedule(context, rules.headerTimeout, "no whole request head")
        }
        if !headSeen {
            let bytes = unwrapInboundIn(data).readableBytesView
            if let line = requestLine {
                let end = bytes.firstIndex(of: 13) ?? bytes.firstIndex(of: 10)
                let length = line + ((end ?? bytes.endIndex) - bytes.startIndex)
                requestLine = end == nil ? length : nil
                if length > MalformedRequest.maxRequestLineBytes {
                    answer(context, MalformedRequest(status: 414, reason: "URI Too Long"))
                    return
                }
            }
            for byte in bytes {
                switch (headEnd, byte) {
                case (0, 13), (2, 13), (1, 10), (3, 10): headEnd += 1
                case (_, 13): headEnd = 1
                default: headEnd = 0
                }
                if headSeen { break }
            }
            if headSeen {
                deadline?.cancel()
                deadline = nil
            }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let malformed = event as? MalformedRequest else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed()
        if malformed.afterInFlight {
            // The server answers the requests before it, then closes (its reader ends on the
            // parser's error): the answer goes out then.
            owed = malformed
        } else {
            answer(context, malformed)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard let owed, !answered, mode != .input else {
            context.close(mode: mode, promise: promise)
            return
        }
        self.owed = nil
        answered = true
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: owed.response))).whenComplete { _ in
            context.close(mode: mode, promise: promise)
        }
    }

    /// Answers a request the server cannot read and closes the connection: in plain bytes, as
    /// nothing behind can write HTTP for it. Only ever for a connection's first request (nothing
    /// has been written on it yet): one behind others is owed until the server closes.
    private func answer(_ context: ChannelHandlerContext, _ malformed: MalformedRequest) {
        guard !answered else { return }
        answered = true
        deadline?.cancel()
        deadline = nil
        logger.debug("connection closed: malformed request", metadata: ["address": "\(address ?? "?")", "status": "\(malformed.status)"])
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: malformed.response))).whenComplete { _ in
            context.close(mode: .all, promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    private func release() {
        deadline?.cancel()
        deadline = nil
        if let address {
            counts.give(address)
            self.address = nil
        }
    }
}

/// On HTTP parts: a request body must keep arriving at `minBodyBytesPerSecond` on average,
/// counted from its head, once the first `headerTimeout` has passed; a slower one is cut off.
final class BodyRateGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let rules: ConnectionRules
    let logger: Logger
    private var started: ContinuousClock.Instant?
    private var received = 0
    private var check: RepeatedTask?

    init(rules: ConnectionRules, logger: Logger) {
        self.rules = rules
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            started = .now
            received = 0
            check?.cancel()
            let loop = context.eventLoop
            check = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] task in
                guard let self, let started = self.started else {
                    task.cancel()
                    return
                }
                let late = ContinuousClock.now - started - self.rules.headerTimeout
                guard late > .zero else { return }
                let seconds = Double(late.components.seconds) + Double(late.components.attoseconds) / 1e18
                if Double(self.received) < Double(self.rules.minBodyBytesPerSecond) * seconds {
                    self.logger.debug("connection closed: request body too slow", metadata: ["bytes": "\(self.received)"])
                    task.cancel()
                    context.close(promise: nil)
                }
            }
        case .body(let buffer):
            received += buffer.readableBytes
        case .end:
            started = nil
            check?.cancel()
            check = nil
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
