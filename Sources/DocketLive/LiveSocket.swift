import DocketCore
import DocketWire
import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Logging
import NIOWebSocket

/// A frame a client sends: `{"type", "room", "id", "data"}`.
struct ClientFrame: Decodable {
    struct Data: Decodable {
        var token: String?
        var since: Int?
        var rooms: [String]?
        var ticketId: String?
        var content: String?
        var kind: MessageKind?
        var attachments: [String]?
    }

    var type: String
    var room: String?
    var id: String?
    var data: Data?
}

/// A frame the server sends that is not an event: welcome, acknowledgements, errors, resync.
struct ServerFrame<Payload: Encodable>: Encodable {
    var type: String
    var room: String?
    var id: String?
    var data: Payload
}

struct ErrorPayload: Encodable {
    var code: String
    var message: String
}

/// `GET /api/v2/ws`: one WebSocket per client, authenticated like REST (header, or an `auth`
/// frame first), joining rooms it is allowed into and receiving their events in order.
struct LiveSocket: Sendable {
    let services: DocketServices
    let access: LiveAccess
    let hub: LiveHub
    var settings: LiveSettings { hub.settings }
    static let path = "/api/v2/ws"

    /// The WebSocket route, on the upgrade router.
    func mount<Context: WebSocketRequestContext>(on upgrades: Router<Context>, channel: @escaping @Sendable (Context) -> any Channel) {
        let access = access
        upgrades.ws(RouterPath(Self.path)) { request, _ in
            // A bad credential is not upgraded. The HTTP adapter's gate answers it 401 before it
            // gets here (hummingbird-websocket could only answer an empty 400); this is the rest.
            _ = try await access.request(request)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            await run(inbound: inbound, outbound: outbound, request: context.request, logger: context.logger, channel: channel(context.requestContext))
        }
    }

    /// A GET on the same path without an upgrade explains the refusal: 401 for a bad
    /// credential, 426 otherwise.
    func withoutUpgrade(_ request: Request) async throws -> Response {
        _ = try await access.request(request)
        throw HTTPError(.upgradeRequired, message: "this endpoint speaks WebSocket: send an Upgrade: websocket request")
    }

    func run(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, request: Request, logger: Logger,
        channel: (any Channel)?
    ) async {
        let query = LiveQuery(request)
        var sink: NIOLoopBound<LiveWireWriter>?
        if let channel {
            do {
                sink = try await LiveWireWriter.install(on: channel)
            } catch {
                // Not a pipeline this code knows: the writer task writes every frame.
                logger.warning("live frames go through the writer task", metadata: ["error": "\(error)"])
            }
        }
        let connection = LiveConnection(
            key: IdentifierGenerator.make(), limit: settings.queueLimit, sink: sink, abort: { channel?.close(promise: nil) })
        hub.accept(connection)
        defer { hub.unregister(connection) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await write(connection, outbound) }
            group.addTask {
                do {
                    if let principal = try await access.request(request) {
                        try await start(connection, principal: principal, query: query)
                    }
                    for try await message in inbound.messages(maxSize: settings.maxFrameBytes) {
                        connection.touch()
                        guard case .text(let text) = message else {
                            connection.enqueue(Self.error(nil, DocketError(.badRequest, "frames are JSON text")))
                            continue
                        }
                        await handle(text, connection, query: query)
                    }
                } catch let error as DocketError {
                    connection.enqueue(Self.error(nil, error))
                    connection.close(.unauthorized, error.message)
                } catch {
                    logger.debug("websocket read ended", metadata: ["error": "\(error)"])
                }
                connection.finish()
            }
            await group.waitForAll()
        }
    }

    /// Sends queued frames until the connection closes; then the close frame, if there is one to send.
    func write(_ connection: LiveConnection, _ outbound: WebSocketOutboundWriter) async {
        while true {
            switch await connection.next() {
            case .success(let frames):
                do {
                    // A client dropped for falling behind gets no more of its backlog: the close frame goes next.
                    for frame in frames where !connection.isDropped {
                        try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: frame.payload)))
                    }
                } catch {
                    connection.finish()
                    return
                }
            case .failure(let close):
                if close.code != 0 {
                    try? await outbound.close(WebSocketErrorCode(codeNumber: Int(close.code)), reason: close.reason)
                }
                return
            }
        }
    }

    /// Authenticated: joins the tenant (or is refused at its connection limit), says welcome
    /// and joins the rooms of `?rooms=` from `?since=`.
    func start(_ connection: LiveConnection, principal: Principal, query: LiveQuery) async throws {
        guard principal.role == .customer || principal.isStaff else {
            throw DocketError.forbidden("live events are for staff and customers")
        }
        guard hub.authenticate(connection, as: principal) else {
            connection.close(.tooManyConnections, "tenant '\(principal.tenantId)' has \(settings.maxConnectionsPerTenant) connections")
            return
        }
        let latest = try await services.core.live.latestId(tenantId: principal.tenantId)
        hub.told(principal.tenantId, latest: latest)
        connection.enqueue(EventJSON.text(ServerFrame(
            type: "welcome", room: nil, id: nil,
            data: Welcome(connection: connection.key, tenantId: principal.tenantId, role: principal.role.rawValue, subject: principal.subject, latestId: latest))))
        let rooms = query.list("rooms")
        if !rooms.isEmpty {
            let since = try query.int("since", default: -1)
            try await subscribe(connection, rooms: rooms, since: since < 0 ? nil : since, requestId: nil)
        }
    }

    struct Welcome: Encodable {
        var connection: String
        var tenantId: String
        var role: String
        var subject: String
        var latestId: Int
    }

    func handle(_ text: String, _ connection: LiveConnection, query: LiveQuery) async {
        let frame: ClientFrame
        do {
            frame = try JSONDecoder().decode(ClientFrame.self, from: Data(text.utf8))
        } catch {
            connection.enqueue(Self.error(nil, DocketError(.badRequest, "a frame is {\"type\", \"room\", \"id\", \"data\"} JSON")))
            return
        }
        do {
            guard let principal = connection.principal else {
                guard frame.type == "auth", let token = frame.data?.token else {
                    let error = DocketError(.unauthorized, "authenticate first: {\"type\":\"auth\",\"data\":{\"token\":\"...\"}}")
                    connection.enqueue(Self.error(frame.id, error))
                    connection.close(.unauthorized, error.message)
                    return
                }
                do {
                    try await start(connection, principal: try await access.credential(token), query: query)
                } catch let error as DocketError {
                    connection.enqueue(Self.error(frame.id, error))
                    connection.close(.unauthorized, error.message)
                }
                return
            }
            try await command(frame, principal, connection)
        } catch let error as DocketError {
            connection.enqueue(Self.error(frame.id, error))
        } catch {
            connection.enqueue(Self.error(frame.id, DocketError(.internalError, "\(error)")))
        }
    }

    func command(_ frame: ClientFrame, _ principal: Principal, _ connection: LiveConnection) async throws {
        let data = frame.data
        switch frame.type {
        case "auth":
            throw DocketError(.badRequest, "already authenticated")
        case "ping":
            connection.enqueue(EventJSON.text(ServerFrame(type: "pong", room: nil, id: frame.id, data: [String: String]())))
        case "subscribe":
            let rooms = data?.rooms ?? (frame.room.map { [$0] } ?? [])
            guard !rooms.isEmpty else { throw DocketError(.badRequest, "subscribe needs a room or data.rooms") }
            try await subscribe(connection, rooms: rooms, since: data?.since, requestId: frame.id)
        case "unsubscribe":
            guard let name = frame.room, let room = LiveRoom(name) else { throw DocketError(.badRequest, "unsubscribe needs a room") }
            connection.leave(room)
            ack(connection, "unsubscribed", frame, room: name, ["room": name])
        case "typing", "stop_typing":
            let ticketId = try ticketId(frame)
            guard connection.allowTyping(limit: settings.typingPerTenSeconds, window: settings.typingWindow) else {
                throw DocketError(.conflict, "typing is limited to \(settings.typingPerTenSeconds) frames per 10 seconds")
            }
            try await services.conversations.typing(principal, ticketId, stopped: frame.type == "stop_typing", connection: connection.key)
        case "message":
            let input = NewMessage(content: data?.content ?? "", type: data?.kind, attachments: data?.attachments)
            if let ticketId = data?.ticketId ?? frame.room.flatMap(Self.ticketRoom) {
                let (ticket, message) = try await services.conversations.postMessage(principal, ticketId, input)
                ack(connection, "message_sent", frame, MessageAck(ticketId: ticket.ticketId, created: false, message: message))
            } else {
                let (ticket, message, created) = try await services.conversations.postCustomerMessage(principal, input)
                ack(connection, "message_sent", frame, MessageAck(ticketId: ticket.ticketId, created: created, message: message))
            }
        case "claim":
            let ticket = try await services.tickets.claim(principal, try ticketId(frame))
            ack(connection, "claimed", frame, LiveTicketSummary(ticket))
        case "read":
            let (ticket, marked) = try await services.conversations.markRead(principal, try ticketId(frame))
            ack(connection, "read", frame, ReadAck(ticketId: ticket.ticketId, marked: marked))
        default:
            throw DocketError(.badRequest, "unknown frame type '\(frame.type)' (auth, subscribe, unsubscribe, typing, stop_typing, message, claim, read, ping)")
        }
    }

    struct MessageAck: Encodable {
        var ticketId: String
        var created: Bool
        var message: TicketMessage
    }

    struct ReadAck: Encodable {
        var ticketId: String
        var marked: Int
    }

    struct Resync: Encodable {
        var latestId: Int
        var reason: String
    }

    struct Subscribed: Encodable {
        var rooms: [String]
        var replayed: Int
        var latestId: Int
    }

    static func ticketRoom(_ room: String) -> String? {
        if case .ticket(let id) = LiveRoom(room) { return id }
        return nil
    }

    func ticketId(_ frame: ClientFrame) throws -> String {
        guard let id = frame.data?.ticketId ?? frame.room.flatMap(Self.ticketRoom) else {
            throw DocketError(.badRequest, "\(frame.type) needs data.ticketId or a ticket:<id> room")
        }
        return id
    }

    /// Joins `names` after checking each; with `since`, first replays what the client missed in
    /// them (or says `resync` when the log no longer reaches back that far). Live events that
    /// arrive meanwhile wait, so the client sees everything once and in order.
    func subscribe(_ connection: LiveConnection, rooms names: [String], since: Int?, requestId: String?) async throws {
        guard let principal = connection.principal else { throw DocketError(.unauthorized, "authenticate first") }
        var rooms: [LiveRoom] = []
        for name in names {
            guard let room = LiveRoom(name) else {
                throw DocketError(.badRequest, "'\(name)' is not a room (staff, queue:<id>, ticket:<id>, customer:<id>)")
            }
            try await services.conversations.authorize(principal, room: room)
            rooms.append(room)
        }
        let before = connection.roomList
        guard Set(before).union(rooms).count <= LiveConnection.maxRooms else {
            throw DocketError(.badRequest, "a connection watches at most \(LiveConnection.maxRooms) rooms: unsubscribe some first")
        }
        guard let since else {
            for room in rooms { connection.join(room) }
            let latest = try await services.core.live.latestId(tenantId: principal.tenantId)
            connection.enqueue(EventJSON.text(ServerFrame(
                type: "subscribed", room: nil, id: requestId, data: Subscribed(rooms: names, replayed: 0, latestId: latest))))
            return
        }
        connection.hold()
        for room in rooms { connection.join(room) }
        var lastId = since
        var replayed = 0
        var latest = 0
        // Page by page, each queued once the client has read the previous ones: however many
        // events were missed (within the retention), the replay goes as fast as the client
        // reads, and only a client that stops reading is dropped.
        let page = max(1, min(settings.replayPage, settings.queueLimit / 2))
        do {
            while true {
                let replay = try await services.core.live.replay(tenantId: principal.tenantId, after: lastId, limit: page)
                latest = replay.latestId
                if replay.resync {
                    // The log no longer reaches back that far (or dropped events while this
                    // replay read it): reload over REST and go on from latestId.
                    let resync = ServerFrame(
                        type: "resync", room: nil, id: nil,
                        data: Resync(latestId: replay.latestId, reason: "events after \(lastId) are no longer kept"))
                    _ = await connection.enqueueReplayed([EventJSON.text(resync)], patience: settings.replayPatience)
                    lastId = replay.latestId
                    break
                }
                var frames: [String] = []
                for event in replay.events {
                    lastId = event.id
                    // Rooms joined earlier delivered their events live already.
                    guard !before.contains(where: { $0.delivers(event, to: principal, connection: connection.key) }),
                        let room = rooms.first(where: { $0.delivers(event, to: principal, connection: connection.key) })
                    else { continue }
                    frames.append(LiveHub.frame(event, room: room))
                }
                if !frames.isEmpty {
                    guard await connection.enqueueReplayed(frames, patience: settings.replayPatience) else { break }
                    replayed += frames.count
                }
                // Caught up, unless live events held meanwhile were let go: they are in the log.
                if replay.events.count < page, !connection.takeHeldOverflow() { break }
            }
        } catch {
            connection.release(replayed: [], through: since)
            throw error
        }
        let ack = EventJSON.text(ServerFrame(
            type: "subscribed", room: nil, id: requestId, data: Subscribed(rooms: names, replayed: replayed, latestId: max(latest, lastId))))
        connection.release(replayed: [ack], through: lastId)
    }

    func ack(_ connection: LiveConnection, _ type: String, _ frame: ClientFrame, room: String? = nil, _ data: some Encodable) {
        connection.enqueue(EventJSON.text(ServerFrame(type: type, room: room ?? frame.room, id: frame.id, data: data)))
    }

    static func error(_ id: String?, _ error: DocketError) -> String {
        EventJSON.text(ServerFrame(type: "error", room: nil, id: id, data: ErrorPayload(code: error.code.rawValue, message: error.message)))
    }
}
