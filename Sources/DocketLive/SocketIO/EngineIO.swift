import DocketCore
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle

/// Engine.IO protocol 4, the transport under Socket.IO: HTTP long-polling and WebSocket, the
/// upgrade from one to the other, and the heartbeat. Written here because no Swift server
/// library for it exists; it carries `SocketIOSocket`'s packets and nothing else.
///
/// Packets are text: a type digit and a payload (`0` open, `1` close, `2` ping, `3` pong,
/// `4` message, `5` upgrade, `6` noop). Over polling a response carries every waiting packet,
/// separated by the record separator (0x1E); over WebSocket each packet is one text frame.
/// Binary packets are not spoken: a base64 polling packet (`b…`) or a binary frame is dropped,
/// and Socket.IO's binary events are refused above.
enum EnginePacket {
    static let separator: Character = "\u{1E}"
    static let open = "0", close = "1", ping = "2", pong = "3", message = "4", upgrade = "5", noop = "6"
}

/// The heartbeat and size limits the handshake announces.
struct EngineSettings: Sendable {
    /// How often the server pings (`pingInterval`); a client must answer within `pingTimeout`.
    var pingInterval: Duration = .seconds(25)
    var pingTimeout: Duration = .seconds(20)
    /// Largest packet batch a client may POST, in bytes (`maxPayload`).
    var maxPayload = 1_000_000
    /// Packets waiting for one client; past this it is too slow and its session is closed.
    var queueLimit = 1_000
    /// Sessions this instance holds at once; a handshake past it answers 503 (a client that
    /// opens sessions and never uses them holds each one only until its first missed pong).
    var maxSessions = 20_000
    /// Long-polling sessions one client address may hold (they outlive the requests that make
    /// them, so the per-address connection cap does not bound them); past it a handshake from
    /// that address answers 503 while other addresses are served.
    var maxSessionsPerAddress = 512

    var milliseconds: (interval: Int64, timeout: Int64) {
        (pingInterval.components.seconds * 1000, pingTimeout.components.seconds * 1000)
    }
}

/// The sessions of this instance, the polling routes and the WebSocket transport. A
/// swift-service-lifecycle `Service`: while `run()` runs, each session's Socket.IO side runs
/// in its task group and the heartbeat once a second; a handshake before `run()` or after its
/// graceful shutdown answers 503. At graceful shutdown every session is closed (a waiting
/// long-poll returns the close packet at once) and `run()` returns once their sides ended.
final class EngineServer: Service, @unchecked Sendable {
    /// A session opened by a handshake, and the side that serves it.
    struct Opened: Sendable {
        let session: EngineSession
        let request: Request
        let accept: @Sendable (EngineSession, Request) async -> Void
    }

    // `sessions` and `intake` are guarded by `lock`.
    private let lock = NSLock()
    private var sessions: [String: EngineSession] = [:]
    /// Polling sessions open per client address.
    private var perAddress: [String: Int] = [:]
    /// Where handshakes hand their sessions to `run()`; nil while it does not run.
    private var intake: AsyncStream<Opened>.Continuation?
    let settings: EngineSettings

    init(settings: EngineSettings) {
        self.settings = settings
    }

    var sessionCount: Int { lock.withLock { sessions.count } }

    func session(_ sid: String) -> EngineSession? { lock.withLock { sessions[sid] } }

    func run() async {
        let (opened, intake) = AsyncStream.makeStream(of: Opened.self)
        lock.withLock { self.intake = intake }
        await withTaskGroup(of: Void.self) { heartbeat in
            heartbeat.addTask { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    sweep()
                }
            }
            await withDiscardingTaskGroup { group in
                await withGracefulShutdownHandler {
                    await withTaskCancellationHandler {
                        for await next in opened {
                            group.addTask { [self] in await serve(next) }
                        }
                    } onCancel: { [self] in
                        stop("the server is stopping")
                    }
                } onGracefulShutdown: { [self] in
                    stop("the server is shutting down")
                }
                stop("the server is shutting down")
            }
            heartbeat.cancelAll()
        }
    }

    /// Takes no more handshakes and closes every session (their sides then end).
    func stop(_ reason: String) {
        let (intake, all) = lock.withLock {
            defer { self.intake = nil }
            return (self.intake, Array(sessions.values))
        }
        intake?.finish()
        for session in all { session.close(reason) }
    }

    /// One session's Socket.IO side, until the session ends.
    private func serve(_ opened: Opened) async {
        let session = opened.session
        await opened.accept(session, opened.request)
        session.close("the socket ended")
        // The close packet gets a moment to leave before the session is forgotten (not at shutdown).
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
        lock.withLock {
            _ = sessions.removeValue(forKey: session.sid)
            if let address = session.address {
                perAddress[address, default: 1] -= 1
                if perAddress[address] == 0 { perAddress[address] = nil }
            }
        }
    }

    /// Opens a session: the open packet queued first, registered, its socket side handed to
    /// `run()`. 503 when the server does not take sessions (not running, or shutting down).
    /// A polling handshake names its client's `address`, which holds the session until it ends.
    func open(
        _ transport: EngineSession.Transport, request: Request, address: String? = nil,
        accept: @escaping @Sendable (EngineSession, Request) async -> Void
    ) throws -> EngineSession {
        let session = EngineSession(sid: IdentifierGenerator.make(), transport: transport, limit: settings.queueLimit, address: address)
        let (interval, timeout) = settings.milliseconds
        session.send(
            EnginePacket.open
                + #"{"sid":"\#(session.sid)","upgrades":\#(transport == .polling ? #"["websocket"]"# : "[]"),"pingInterval":\#(interval),"pingTimeout":\#(timeout),"maxPayload":\#(settings.maxPayload)}"#
        )
        try lock.withLock {
            guard let intake else { throw Self.notServing }
            if let address {
                guard perAddress[address, default: 0] < settings.maxSessionsPerAddress else {
                    throw HTTPError(
                        .serviceUnavailable,
                        message: "this address holds \(settings.maxSessionsPerAddress) Socket.IO sessions; close some or retry later")
                }
                perAddress[address, default: 0] += 1
            }
            sessions[session.sid] = session
            intake.yield(Opened(session: session, request: request, accept: accept))
        }
        return session
    }

    /// Once a second: pings due, and clients that missed their pong closed.
    func sweep() {
        let now = ContinuousClock.now
        let all = lock.withLock { Array(sessions.values) }
        for session in all { session.heartbeat(settings, now: now) }
    }

    static let notServing = HTTPError(.serviceUnavailable, message: "this server takes no Socket.IO sessions now (starting or stopping); retry")

    // MARK: - Polling

    /// `GET /socket.io/?EIO=4&transport=polling[&sid=…]`: a handshake, or a long-poll.
    func poll(_ request: Request, address: String, accept: @escaping @Sendable (EngineSession, Request) async -> Void) async throws -> Response {
        let query = try Self.check(request)
        guard let sid = query.sid else {
            guard query.transport == "polling" else { throw Self.badRequest(3, "a handshake without a sid names transport=polling or websocket") }
            try checkRoom()
            let session = try open(.polling, request: request, address: address, accept: accept)
            return try await Self.pollResponse(session, wait: .zero)
        }
        guard let session = session(sid) else { throw Self.unknown(sid) }
        guard session.currentTransport == .polling else {
            throw Self.badRequest(3, "session '\(sid)' was upgraded to WebSocket")
        }
        guard session.beginPoll() else {
            session.close("two long-polls at once")
            throw Self.badRequest(3, "a long-poll of session '\(sid)' is already waiting")
        }
        defer { session.endPoll() }
        return try await Self.pollResponse(session, wait: settings.pingInterval)
    }

    static func pollResponse(_ session: EngineSession, wait: Duration) async throws -> Response {
        let packets = await session.take(wait: wait) ?? [EnginePacket.close]
        // Nothing within the wait: a noop keeps the client polling (a ping comes before that anyway).
        let body = (packets.isEmpty ? [EnginePacket.noop] : packets).joined(separator: String(EnginePacket.separator))
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=UTF-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// `POST /socket.io/?EIO=4&transport=polling&sid=…`: packets from the client.
    func post(_ request: Request, context: some RequestContext) async throws -> Response {
        let query = try Self.check(request)
        guard let sid = query.sid else { throw Self.badRequest(1, "POST needs the sid of an open session") }
        guard let session = session(sid) else { throw Self.unknown(sid) }
        let body = try await request.body.collect(upTo: settings.maxPayload)
        let text = String(buffer: body)
        for packet in text.split(separator: EnginePacket.separator, omittingEmptySubsequences: true) {
            guard session.receive(packet) else { throw Self.badRequest(3, "'\(packet.prefix(16))' is not an Engine.IO packet") }
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=UTF-8"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
    }

    // MARK: - WebSocket

    /// The WebSocket transport: a new session (no sid), or the upgrade of a polling one
    /// (`2probe` → `3probe`, the poll released with a noop, then the client's `5`).
    func run(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, request: Request,
        accept: @escaping @Sendable (EngineSession, Request) async -> Void
    ) async {
        let query = try? Self.check(request)
        var iterator = inbound.messages(maxSize: settings.maxPayload).makeAsyncIterator()
        let session: EngineSession
        if let sid = query?.sid {
            guard let existing = self.session(sid), existing.currentTransport == .polling else {
                try? await outbound.close(.policyViolation, reason: "unknown session")
                return
            }
            // The probe: the client checks the WebSocket works before it moves over.
            guard case .text(let probe)? = try? await iterator.next(), probe == "2probe" else {
                try? await outbound.close(.policyViolation, reason: "expected 2probe")
                return
            }
            do { try await outbound.write(.text("3probe")) } catch { return }
            existing.send(EnginePacket.noop)
            guard case .text(let upgrade)? = try? await iterator.next(), upgrade == EnginePacket.upgrade else {
                try? await outbound.close(.policyViolation, reason: "expected the upgrade packet 5")
                return
            }
            existing.upgraded()
            session = existing
        } else {
            guard (try? checkRoom()) != nil else {
                try? await outbound.close(WebSocketErrorCode(codeNumber: 1013), reason: "too many sessions")
                return
            }
            guard let opened = try? open(.websocket, request: request, accept: accept) else {
                try? await outbound.close(.goingAway, reason: "not taking sessions")
                return
            }
            session = opened
        }
        await withTaskGroup(of: Void.self) { writer in
            writer.addTask {
                while let packets = await session.take(wait: .seconds(3600)) {
                    do {
                        for packet in packets { try await outbound.write(.text(packet)) }
                    } catch {
                        session.close("the WebSocket failed")
                        return
                    }
                }
                try? await outbound.close(.normalClosure, reason: nil)
            }
            do {
                while let message = try await iterator.next() {
                    // Binary frames carry Socket.IO attachments, which are refused above: dropped.
                    guard case .text(let text) = message else { continue }
                    session.receive(Substring(text))
                }
            } catch {}
            session.close("the WebSocket closed")
        }
    }

    /// Room for one more session, or 503.
    func checkRoom() throws {
        guard sessionCount < settings.maxSessions else {
            throw HTTPError(.serviceUnavailable, message: "this server holds \(settings.maxSessions) Socket.IO sessions; retry later")
        }
    }

    // MARK: - Query

    struct Query {
        var transport: String
        var sid: String?
    }

    /// `EIO=4` and a known transport, or 400 with Engine.IO's error codes.
    static func check(_ request: Request) throws -> Query {
        let query = request.uri.queryParameters
        guard query.get("EIO") == "4" else {
            throw badRequest(5, "this server speaks Engine.IO 4 (Socket.IO 3 or newer clients): EIO=4")
        }
        guard let transport = query.get("transport"), ["polling", "websocket"].contains(transport) else {
            throw badRequest(0, "transport must be polling or websocket")
        }
        return Query(transport: transport, sid: query.get("sid"))
    }

    /// An unknown session: 404 (Engine.IO's code 1; the client reconnects).
    static func unknown(_ sid: String) -> HTTPError {
        HTTPError(.notFound, message: "Engine.IO 1: session '\(sid)' is unknown (it closed, or another instance holds it)")
    }

    /// Engine.IO's error answer: `{"code", "message"}` with 400.
    static func badRequest(_ code: Int, _ message: String) -> HTTPError {
        HTTPError(.badRequest, message: "Engine.IO \(code): \(message)")
    }
}
