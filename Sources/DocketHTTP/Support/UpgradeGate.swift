import DocketCore
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// The WebSocket upgrade's credential, checked before the upgrade step sees the request: a
/// refused credential gets the API's 401 (`{"error":{"code":"unauthorized",...}}`), where the
/// upgrade library can only answer a refused upgrade with an empty 400 — a client could not
/// tell a bad token from a bad request. A request with no credential (it may send an `auth`
/// frame first) and every request that is no upgrade to `path` pass untouched. Sits behind the
/// HTTP parser for a connection's first request only, then leaves the pipeline.
final class UpgradeGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Who a request is; nil without a credential; throws when it carries a refused one.
    typealias Check = @Sendable (Request) async throws -> Principal?

    let path: String
    let check: Check
    private var held: [HTTPServerRequestPart]?

    init(path: String, check: @escaping Check) {
        self.path = path
        self.check = check
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if held != nil {
            held!.append(part)
            return
        }
        guard case .head(let head) = part, Self.isUpgrade(head, to: path), let request = Self.request(head, channel: context.channel) else {
            leave(context, forwarding: [part])
            return
        }
        held = [part]
        let loop = context.eventLoop
        let check = check
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        Task {
            let refusal: String?
            do {
                _ = try await check(request)
                refusal = nil
            } catch let error as DocketError where error.code == .unauthorized {
                refusal = error.message
            } catch {
                refusal = nil  // any other trouble is the route's to answer
            }
            loop.execute {
                let (gate, context) = bound.value
                if let refusal { gate.refuse(context, refusal) } else { gate.leave(context, forwarding: gate.held ?? []) }
            }
        }
    }

    /// Forwards what was held and leaves the pipeline: the upgrade step (or the HTTP handlers)
    /// behind takes the connection from here.
    private func leave(_ context: ChannelHandlerContext, forwarding parts: [HTTPServerRequestPart]) {
        held = nil
        for part in parts { context.fireChannelRead(wrapInboundOut(part)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(_ context: ChannelHandlerContext, _ message: String) {
        held = nil
        struct Body: Encodable {
            struct Detail: Encodable {
                var code = "unauthorized"
                var message: String
            }
            var error: Detail
        }
        let body = (try? JSONEncoder().encode(Body(error: .init(message: message)))) ?? Data()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "WWW-Authenticate", value: "Bearer")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .unauthorized, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    static func isUpgrade(_ head: HTTPRequestHead, to path: String) -> Bool {
        head.method == .GET && head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) == path
            && head.headers["upgrade"].contains { $0.lowercased().contains("websocket") }
    }

    /// The request as the API's authentication reads it (head only: an upgrade has no body).
    static func request(_ head: HTTPRequestHead, channel: any Channel) -> Request? {
        guard let request = try? HTTPRequest(head, secure: false, splitCookie: false) else { return nil }
        return Request(head: request, body: RequestBody(buffer: ByteBuffer()))
    }
}
