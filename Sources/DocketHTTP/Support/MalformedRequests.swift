import Logging
import NIOCore
import NIOHTTP1

/// A request the HTTP parser cannot read: told by `ParserErrorCatcher` (behind the parser) to
/// `RawConnectionGuard` (in front of it), which answers it in plain bytes and closes.
struct MalformedRequest: Sendable {
    /// 400, 431 (a head past the parser's limits), 505 (an HTTP version we do not speak).
    let status: Int
    let reason: String
    /// Requests before it reached the server: they are answered first, and this one when the
    /// server closes the connection after them.
    var afterInFlight = false

    init(_ error: HTTPParserError) {
        switch error {
        case .invalidVersion: (status, reason) = (505, "HTTP Version Not Supported")
        case .headerOverflow: (status, reason) = (431, "Request Header Fields Too Large")
        default: (status, reason) = (400, "Bad Request")
        }
    }

    init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    /// A request line longer than this is answered 414 before the parser sees its end.
    static let maxRequestLineBytes = 8192

    /// The whole answer: no body a client could mistake for the API's JSON, and the close said.
    var response: String {
        "HTTP/1.1 \(status) \(reason)\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    }
}

/// Last in the pipeline while the first request is read (and behind the HTTP parser after it):
/// turns the parser's error into a `MalformedRequest` for the raw guard. Hummingbird runs the
/// parser without NIO's error handler, and its upgrade step waits on a request head that never
/// comes: without this a malformed request got no answer and its connection stayed open for good.
/// It never reads what passes through (WebSocket frames pass it after an upgrade).
final class ParserErrorCatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Never
    private var requestsPassed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        requestsPassed = true
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError {
            var malformed = MalformedRequest(error)
            malformed.afterInFlight = requestsPassed
            context.triggerUserOutboundEvent(malformed, promise: nil)
        }
        context.fireErrorCaught(error)
    }
}
