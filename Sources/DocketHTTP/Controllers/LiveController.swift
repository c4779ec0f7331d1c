import DocketCore
import Foundation
import Hummingbird

/// The live endpoints as this API routes and documents them; the live layer answers them
/// (`LiveRoutes`, mounted by the composition root).
struct LiveController: Sendable {
    let live: LiveRoutes

    static let socketIOQuery: [Endpoint.QueryParameter] = [
        .init(name: "EIO", type: .string, description: "Engine.IO protocol version: 4", values: ["4"], required: true),
        // transport=websocket is a GET with an Upgrade, which this document cannot state.
        .init(name: "transport", type: .string, description: "polling here; websocket with an Upgrade", values: ["polling"], required: true),
        .init(name: "sid", type: .string, description: "The session, after the handshake (an unknown one: 404)", maxLength: 64),
    ]

    func register(_ routes: RouteRegistry) {
        routes.add(Endpoint(
            method: .get, path: live.webSocketPath, summary: "Live events over WebSocket (see the README: rooms, frames, since=)",
            tag: "Live", access: "staff and customers, with the same token as REST (header or a first auth frame)",
            success: (101, nil), errors: [401, 426], secured: false), use: webSocket)
        routes.add(Endpoint(
            method: .get, path: live.socketIOPath,
            summary: "Socket.IO (Engine.IO 4 long-polling; WebSocket with an Upgrade): the 1-1 chat plan's events, see the README",
            tag: "Live", access: "anyone", query: Self.socketIOQuery, success: (200, nil), errors: [400, 404, 503], secured: false), use: poll)
        routes.add(Endpoint(
            method: .post, path: live.socketIOPath, summary: "Socket.IO long-polling: packets from the client (text/plain)",
            tag: "Live", access: "anyone", query: Array(Self.socketIOQuery.dropLast()) + [
                .init(name: "sid", type: .string, description: "The session the handshake opened (an unknown one: 404)", maxLength: 64, required: true),
            ], success: (200, nil), errors: [400, 404, 413], secured: false), use: post)
    }

    // MARK: - Handlers

    @Sendable func webSocket(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try await live.webSocketWithoutUpgrade(request)
    }

    @Sendable func poll(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try await live.socketIOPoll(request, context.channel.remoteAddress?.ipAddress ?? "unknown")
    }

    @Sendable func post(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try await live.socketIOPost(request, context)
    }
}
