import DocketCore
import DocketWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// How the live endpoints learn who a client is. The HTTP adapter knows (tokens, API keys,
/// console sessions); the composition root hands its answers in as these three functions, so
/// the live layer authenticates exactly like REST without importing it.
public struct LiveAccess: Sendable {
    /// Who the request is (header credential, or the console's session cookie); nil when it
    /// carries none; throws when it carries one that is refused.
    public var request: @Sendable (Request) async throws -> Principal?
    /// Who a bearer token or API key sent in a frame belongs to.
    public var credential: @Sendable (String) async throws -> Principal
    /// The credential in a request's headers (Authorization: Bearer, X-Api-Key), nil when none.
    public var header: @Sendable (HTTPFields) throws -> String?

    public init(
        request: @escaping @Sendable (Request) async throws -> Principal?, credential: @escaping @Sendable (String) async throws -> Principal,
        header: @escaping @Sendable (HTTPFields) throws -> String?
    ) {
        self.request = request
        self.credential = credential
        self.header = header
    }
}

/// The live endpoints: `/api/v2/ws` (Docket's WebSocket) and `/socket.io/` (the 1-1 chat plan's
/// Socket.IO clients, over Engine.IO). The composition root mounts the upgrades on the HTTP
/// server's upgrade router and gives the HTTP adapter the plain handlers, which it documents in
/// the OpenAPI document beside its own routes.
public struct LiveEndpoints: Sendable {
    let socket: LiveSocket
    let socketIO: SocketIOEndpoint

    public static let webSocketPath = LiveSocket.path
    public static let socketIOPath = SocketIOEndpoint.path

    public init(services: DocketServices, hub: LiveHub, access: LiveAccess) {
        socket = LiveSocket(services: services, access: access, hub: hub)
        socketIO = SocketIOEndpoint(services: services, access: access, hub: hub, live: socket)
    }

    /// The WebSocket upgrades of both endpoints. `channel` is a request's connection: live
    /// events are written to it from its event loop, and it is cut for a client that does not
    /// take its close frame.
    public func mountUpgrades<Context: WebSocketRequestContext>(
        on router: Router<Context>, channel: @escaping @Sendable (Context) -> any Channel
    ) {
        socket.mount(on: router, channel: channel)
        socketIO.mount(on: router)
    }

    /// `GET /api/v2/ws` without an upgrade: 401 for a refused credential, 426 otherwise.
    public func webSocketWithoutUpgrade(_ request: Request) async throws -> Response {
        try await socket.withoutUpgrade(request)
    }

    /// `GET /socket.io/?EIO=4&transport=polling[&sid=…]`: a handshake or a long-poll.
    /// `address`: the client's, which holds the session a handshake opens.
    public func socketIOPoll(_ request: Request, address: String) async throws -> Response {
        try await socketIO.poll(request, address: address)
    }

    /// `POST /socket.io/?EIO=4&transport=polling&sid=…`: packets from the client.
    public func socketIOPost(_ request: Request, context: some RequestContext) async throws -> Response {
        try await socketIO.post(request, context: context)
    }
}

/// The query parameters `/api/v2/ws` reads (`rooms`, `since`), malformed ones refused with 400.
struct LiveQuery: Sendable {
    let parameters: Parameters

    init(_ request: Request) { parameters = request.uri.queryParameters }

    /// Repeated or comma-separated values: `rooms=staff,queue:billing` or `rooms=staff&rooms=...`.
    func list(_ name: String) -> [String] {
        parameters.getAll(name).flatMap { $0.split(separator: ",").map { $0.trimmingWhitespace() } }.filter { !$0.isEmpty }
    }

    /// An integer; absent is the default, present and not a number is a 400.
    func int(_ name: String, default value: Int) throws -> Int {
        guard let text = parameters.get(name) else { return value }
        guard let number = Int(text) else { throw DocketError(.badRequest, "\(name) must be an integer", field: name) }
        return number
    }
}
