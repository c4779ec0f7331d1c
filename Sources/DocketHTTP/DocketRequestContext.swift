import DocketCore
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// Per-request state: who is calling (set by `AuthMiddleware`), and the WebSocket upgrade slot.
public struct DocketRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    public let webSocket: WebSocketHandlerReference<DocketRequestContext>
    /// The connection, so a WebSocket client that stopped reading can be cut off.
    /// The connection (the live layer closes a client that does not take its close frame).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }

    /// A path parameter, percent-decoded: a ticket ID with a `/` separator arrives as `%2F`.
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw DocketError(.unauthorized, "a bearer token is required") }
        return principal
    }
}
