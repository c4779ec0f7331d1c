import DocketCore
import DocketWire
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging

/// `/socket.io/`: Socket.IO protocol 5 over Engine.IO 4, speaking the 1-1 chat plan's events on
/// the same service, rooms and authorization as `/api/v2/ws`, so that plan's customer and staff
/// apps connect unchanged. Only the main namespace `/` exists.
///
/// CONNECT carries the credential (`auth: {token}` or `{Authorization: "Bearer …"}`, or the
/// handshake's Authorization header); the token decides who the client is, and an event that
/// names someone else (`customerId`, `staffId`, `senderId`, `userId`) is refused.
struct SocketIOEndpoint: Sendable {
    let hub: LiveHub
    let handler: SocketIOHandler
    static let path = "/socket.io"

    init(services: DocketServices, access: LiveAccess, hub: LiveHub, live: LiveSocket) {
        self.hub = hub
        handler = SocketIOHandler(services: services, access: access, hub: hub, live: live)
    }

    /// Runs a new session's Socket.IO side (in the Engine.IO server's task group).
    var accept: @Sendable (EngineSession, Request) async -> Void {
        let handler = handler
        return { session, request in await handler.serve(session, request: request) }
    }

    /// The WebSocket transport, on the upgrade router. The sessions live in the hub's Engine.IO
    /// server, a Service of its own (`LiveHub.socketIOSessions`).
    func mount<Context: WebSocketRequestContext>(on upgrades: Router<Context>) {
        let engine = hub.engine
        let accept = accept
        upgrades.ws(RouterPath(Self.path)) { request, _ in
            _ = try EngineServer.check(request)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            await engine.run(inbound: inbound, outbound: outbound, request: context.request, accept: accept)
        }
    }

    func poll(_ request: Request, address: String) async throws -> Response {
        try await hub.engine.poll(request, address: address, accept: accept)
    }

    func post(_ request: Request, context: some RequestContext) async throws -> Response {
        try await hub.engine.post(request, context: context)
    }
}

/// One Socket.IO client on its Engine.IO session.
struct SocketIOHandler: Sendable {
    let services: DocketServices
    let access: LiveAccess
    let hub: LiveHub
    let live: LiveSocket

    /// Reads the client's packets until the session ends.
    func serve(_ session: EngineSession, request: Request) async {
        let connection = LiveConnection(key: session.sid, limit: hub.settings.queueLimit) { session.close("cut off") }
        session.onActivity = { connection.touch() }
        let header = try? access.header(request.headers)
        var principal: Principal?
        defer { hub.unregister(connection) }
        // The pump (hub -> client) runs beside the reader once the client connected; it ends with
        // the reader (the finished connection wakes it).
        await withTaskGroup(of: Void.self) { pump in
            defer {
                connection.finish()
                pump.cancelAll()
            }
            for await text in session.inbound {
                connection.touch()
                guard let packet = SocketIOPacket(text) else {
                    session.close("'\(text.prefix(16))' is not a Socket.IO packet")
                    break
                }
                guard packet.namespace == "/" else {
                    session.sendMessage(SocketIOPacket(
                        kind: .connectError, namespace: packet.namespace, data: SocketIOPacket.json(["message": "Invalid namespace"])).encoded)
                    continue
                }
                switch packet.kind {
                case .connect:
                    guard principal == nil else { continue }
                    do {
                        let who = try await authenticate(packet, header: header)
                        hub.accept(connection)
                        guard hub.authenticate(connection, as: who) else {
                            throw DocketError(.conflict, "tenant '\(who.tenantId)' has \(hub.settings.maxConnectionsPerTenant) connections")
                        }
                        principal = who
                        session.sendMessage(SocketIOPacket(kind: .connect, data: SocketIOPacket.json(["sid": connection.key])).encoded)
                        pump.addTask { await Self.pump(connection, session, who) }
                    } catch {
                        let refusal = error as? DocketError ?? DocketError(.unauthorized, "Unauthorized")
                        session.sendMessage(SocketIOPacket(
                            kind: .connectError,
                            data: SocketIOPacket.json(["message": refusal.message, "data": ["code": refusal.code.rawValue]])).encoded)
                    }
                case .disconnect:
                    session.close("the client disconnected")
                case .event:
                    guard let principal else {
                        session.sendMessage(SocketIOPacket(kind: .connectError, data: SocketIOPacket.json(["message": "connect first"])).encoded)
                        continue
                    }
                    await handle(packet, principal: principal, connection: connection, session: session)
                case .binaryEvent, .binaryAck:
                    let error = DocketError(.badRequest, "binary events are not supported: send JSON (attachments as URLs)")
                    Self.emit(session, "error", Self.errorPayload(error))
                    if let id = packet.ackId { session.sendMessage(SocketIOPacket.ack(id, ["error": Self.errorPayload(error)]).encoded) }
                case .ack, .connectError:
                    break
                }
            }
        }
    }

    func authenticate(_ packet: SocketIOPacket, header: String?) async throws -> Principal {
        let auth = packet.data.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any] ?? [:]
        var credential = auth["token"] as? String ?? header
        if let bearer = auth["Authorization"] as? String ?? auth["authorization"] as? String {
            credential = bearer.hasPrefix("Bearer ") ? String(bearer.dropFirst(7)) : bearer
        }
        guard let credential, !credential.isEmpty else {
            throw DocketError(.unauthorized, "Unauthorized: connect with auth {token} (or {Authorization: \"Bearer …\"})")
        }
        let principal = try await access.credential(credential)
        guard principal.role == .customer || principal.isStaff else {
            throw DocketError.forbidden("live events are for staff and customers")
        }
        return principal
    }

    /// Hands the hub's frames to the client as the plan's events; a hub close ends the socket.
    static func pump(_ connection: LiveConnection, _ session: EngineSession, _ principal: Principal) async {
        while !Task.isCancelled {
            switch await connection.next() {
            case .success(let frames):
                for frame in frames {
                    for packet in SocketIOEvents.translate(frame.text, for: principal) { session.sendMessage(packet.encoded) }
                }
            case .failure(let close):
                if close.code != 0 {
                    emit(session, "error", ["code": "closed_\(close.code)", "message": close.reason])
                    session.sendMessage(SocketIOPacket(kind: .disconnect, data: nil).encoded)
                    session.close(close.reason)
                }
                return
            }
        }
    }

    static func emit(_ session: EngineSession, _ name: String, _ payload: Any) {
        session.sendMessage(SocketIOPacket.event(name, payload).encoded)
    }

    static func errorPayload(_ error: DocketError) -> [String: Any] {
        var payload: [String: Any] = ["code": error.code.rawValue, "message": error.message]
        if let field = error.field { payload["field"] = field }
        return payload
    }

    /// One event from the client: its answer goes out as the plan's event, and as the ack when
    /// the client asked for one; a failure as `error` (claims: `claim-failed`).
    func handle(_ packet: SocketIOPacket, principal: Principal, connection: LiveConnection, session: EngineSession) async {
        let array = packet.data.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [Any] ?? []
        guard let name = array.first as? String else {
            Self.emit(session, "error", Self.errorPayload(DocketError(.badRequest, "an event is [\"name\", {data}]")))
            return
        }
        let data = array.count > 1 ? array[1] as? [String: Any] ?? [:] : [:]
        let event = SocketIOClientEvent(name: name, data: data, principal: principal)
        do {
            let (reply, payload) = try await run(event, connection: connection)
            if let reply { Self.emit(session, reply, payload) }
            if let id = packet.ackId { session.sendMessage(SocketIOPacket.ack(id, payload).encoded) }
        } catch {
            let failure = error as? DocketError ?? DocketError(.internalError, "the event could not be handled")
            var payload = Self.errorPayload(failure)
            if name == "staff:claim-ticket" {
                payload["ticket_id"] = data["ticketId"] as? String ?? ""
                Self.emit(session, "claim-failed", payload)
            } else {
                payload["event"] = name
                Self.emit(session, "error", payload)
            }
            if let id = packet.ackId { session.sendMessage(SocketIOPacket.ack(id, ["error": payload]).encoded) }
        }
    }

    /// Runs an event: the name of the reply event (nil: none) and its payload.
    func run(_ event: SocketIOClientEvent, connection: LiveConnection) async throws -> (String?, [String: Any]) {
        let principal = event.principal
        let conversations = services.conversations
        switch event.name {
        case "user:join":
            let type = try event.text("user_type", default: principal.role == .customer ? "customer" : "staff")
            try event.requireType(type, field: "user_type")
            let room = principal.role == .customer ? "customer:\(principal.subject)" : "staff"
            try await live.subscribe(connection, rooms: [room], since: event.int("since"), requestId: nil)
            return (nil, ["rooms": [room]])
        case "subscribe":
            let rooms = event.data["rooms"] as? [String] ?? []
            guard !rooms.isEmpty else { throw DocketError(.badRequest, "subscribe needs rooms: [\"staff\", \"ticket:<id>\", …]", field: "rooms") }
            try await live.subscribe(connection, rooms: rooms, since: event.int("since"), requestId: nil)
            return (nil, ["rooms": rooms])
        case "customer:send-message":
            try event.requireSelf("customerId")
            let input = NewMessage(content: try event.text("message"))
            let (ticket, message, created) = try await conversations.postCustomerMessage(principal, input)
            return ("message-sent-success", Self.sent(ticket, message, created: created))
        case "send-message":
            try event.requireSelf("senderId")
            if let type = event.data["senderType"] as? String { try event.requireType(type, field: "senderType") }
            let ticketId = try event.text("ticketId")
            let input = NewMessage(content: try event.text("content"), attachments: event.data["attachments"] as? [String])
            let (ticket, message) = try await conversations.postMessage(principal, ticketId, input)
            if principal.isStaff { try await live.subscribe(connection, rooms: ["ticket:\(ticket.ticketId)"], since: nil, requestId: nil) }
            return ("message-sent-success", Self.sent(ticket, message, created: false))
        case "staff:claim-ticket":
            try event.requireSelf("staffId")
            let ticket = try await services.tickets.claim(principal, try event.text("ticketId"))
            try await live.subscribe(connection, rooms: ["ticket:\(ticket.ticketId)"], since: nil, requestId: nil)
            return ("claim-success", ["ticket": Self.object(ticket.visible(to: principal)), "message": "ticket \(ticket.ticketId) is yours"])
        case "mark-as-read":
            try event.requireSelf("userId")
            if let type = event.data["userType"] as? String { try event.requireType(type, field: "userType") }
            let (ticket, marked) = try await conversations.markRead(principal, try event.text("ticketId"))
            return ("marked-as-read-success", ["ticket_id": ticket.ticketId, "marked": marked])
        case "typing", "stop-typing":
            try event.requireSelf("userId")
            guard connection.allowTyping(limit: hub.settings.typingPerTenSeconds, window: hub.settings.typingWindow) else {
                throw DocketError(.conflict, "typing is limited to \(hub.settings.typingPerTenSeconds) events per 10 seconds")
            }
            try await conversations.typing(principal, try event.text("ticketId"), stopped: event.name == "stop-typing", connection: connection.key)
            return (nil, [:])
        case "send_message":
            // The old 1-1 chat: {payload: {sender_id, receiver_id, content}}; the receiver gets `received_message`.
            let payload = SocketIOClientEvent(name: event.name, data: event.data["payload"] as? [String: Any] ?? [:], principal: principal)
            try payload.requireSelf("sender_id")
            let input = NewMessage(content: try payload.text("content"))
            if principal.role == .customer {
                let (ticket, message, created) = try await conversations.postCustomerMessage(principal, input)
                return (nil, Self.sent(ticket, message, created: created))
            }
            let (ticket, message) = try await conversations.postStaffMessage(principal, toCustomer: try payload.text("receiver_id"), input)
            return (nil, Self.sent(ticket, message, created: false))
        default:
            throw DocketError(
                .badRequest,
                "unknown event '\(event.name)' (user:join, subscribe, customer:send-message, send-message, staff:claim-ticket, mark-as-read, typing, stop-typing, send_message)")
        }
    }

    /// `message-sent-success`: the plan's fields, and the message itself.
    static func sent(_ ticket: Ticket, _ message: TicketMessage, created: Bool) -> [String: Any] {
        [
            "ticket_id": ticket.ticketId, "message_id": message.id, "is_new_ticket": created, "status": ticket.status,
            "created_at": object(message.createdAt), "message": object(message),
        ]
    }

    /// A value as the REST API encodes it, as a JSON object (or string, for a date).
    static func object<T: Encodable>(_ value: T) -> Any {
        guard let data = try? EventJSON.encoder.encode(value), let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return NSNull() }
        return object
    }
}

/// An event a client sent, with the checks the token imposes on it.
struct SocketIOClientEvent {
    var name: String
    var data: [String: Any]
    var principal: Principal

    func text(_ key: String, default value: String? = nil) throws -> String {
        if let text = data[key] as? String, !text.isEmpty { return text }
        if let value { return value }
        throw DocketError(.badRequest, "\(name) needs '\(key)'", field: key)
    }

    func int(_ key: String) -> Int? {
        (data[key] as? NSNumber)?.intValue
    }

    /// Where the plan trusts the client to say who it is, the token decides: a field naming
    /// someone else is refused.
    func requireSelf(_ key: String) throws {
        guard let value = data[key] else { return }
        let named = (value as? String) ?? "\(value)"
        guard named == principal.subject else {
            throw DocketError.forbidden("\(key) '\(named)' is not you: this connection is '\(principal.subject)'")
        }
    }

    /// `customer` or `staff`, as the token says.
    func requireType(_ type: String, field: String) throws {
        let actual = principal.role == .customer ? "customer" : "staff"
        guard type == actual else { throw DocketError.forbidden("\(field) '\(type)' is not you: this connection is \(actual)") }
    }
}

/// The hub's frames (`{"type","room","id","data"}`) as the plan's Socket.IO events. Events keep
/// their log id as `event_id` (give it back as `since` in `user:join` to resume).
enum SocketIOEvents {
    static func translate(_ frame: String, for principal: Principal) -> [SocketIOPacket] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [String: Any],
            let type = object["type"] as? String
        else { return [] }
        var data = object["data"] as? [String: Any] ?? [:]
        let id: Any = (object["id"] as? Int).map { $0 as Any } ?? NSNull()
        if !(id is NSNull) { data["event_id"] = id }
        let ticket = data["ticket"] as? [String: Any] ?? [:]
        switch type {
        case "new_pending_ticket":
            // For the staff room only, as the plan sends it.
            guard principal.role != .customer else { return [] }
            let last = ticket["lastMessage"] as? [String: Any]
            return [.event("new-pending-ticket", [
                "ticket_id": ticket["ticketId"] ?? "", "customer_id": ticket["customerId"] ?? NSNull(),
                "message": last?["text"] ?? ticket["subject"] ?? "", "status": ticket["status"] ?? "",
                "created_at": last?["at"] ?? ticket["updatedAt"] ?? NSNull(), "ticket": ticket, "event_id": id,
            ])]
        case "new_message":
            let message = data["message"] as? [String: Any] ?? [:]
            let sender = message["senderId"] as? String
            // Its sender was answered with message-sent-success.
            guard sender != principal.subject else { return [] }
            let fromCustomer = message["senderType"] as? String == "customer"
            let receiver: Any = fromCustomer ? ticket["assignedAgent"] ?? NSNull() : ticket["customerId"] ?? NSNull()
            return [
                .event("new-message", [
                    "ticket_id": data["ticketId"] ?? "", "message_id": message["id"] ?? "", "content": message["content"] ?? "",
                    "sender_type": message["senderType"] ?? "", "sender_id": sender ?? "", "created_at": message["createdAt"] ?? NSNull(),
                    "message": message, "event_id": id,
                ]),
                .event("received_message", [
                    "payload": [
                        "_id": message["id"] ?? "", "sender_id": sender ?? "", "receiver_id": receiver, "content": message["content"] ?? "",
                        "created_at": message["createdAt"] ?? NSNull(),
                    ],
                ]),
            ]
        case "ticket_claimed":
            let agent = data["agentId"] as? String ?? ""
            // The claimer was answered with claim-success.
            guard agent != principal.subject else { return [] }
            let name = data["agentName"] as? String ?? agent
            let ticketId = ticket["ticketId"] as? String ?? ""
            return [.event("ticket-claimed", [
                "ticket_id": ticketId, "claimed_by": agent, "claimed_by_name": name, "message": "ticket \(ticketId) was claimed by \(name)",
                "event_id": id,
            ])]
        case "typing", "stop_typing":
            return [.event(type == "typing" ? "user-typing" : "user-stop-typing", [
                "ticket_id": data["ticketId"] ?? "", "user_id": data["senderId"] ?? "", "user_type": data["senderType"] ?? "",
            ])]
        default:
            // The CRM plan's events (ticket_created, ticket_updated, ticket_assigned,
            // ticket_note_added, ticket_resolved, ticket_escalated) and the others keep their names.
            return [.event(type, data)]
        }
    }
}
