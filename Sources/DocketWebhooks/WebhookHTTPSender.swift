import AsyncHTTPClient
import Crypto
import DocketCore
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// POSTs webhook deliveries through AsyncHTTPClient: signed, with timeouts, redirects not
/// followed, and only to public addresses unless `allowPrivateAddresses` (tests).
///
/// The body is `{id, event, eventId, tenantId, occurredAt, attempt, ticketId?, ticket?, data}`;
/// the headers `Docket-Delivery` (the delivery id, the same on every retry), `Docket-Event`, and
/// `Docket-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`.
public final class WebhookHTTPSender: WebhookSender {
    let timeout: TimeAmount
    let allowPrivateAddresses: Bool
    let userAgent: String

    /// One client for the process, never shut down (like AsyncHTTPClient's own shared one), with
    /// redirects off: an endpoint cannot send a delivery on to an address the rule refuses.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(5))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(timeout: Duration = .seconds(10), allowPrivateAddresses: Bool, version: String) {
        self.timeout = .seconds(Int64(timeout.components.seconds))
        self.allowPrivateAddresses = allowPrivateAddresses
        userAgent = "Docket-Webhooks/\(version)"
    }

    public func send(_ webhook: Webhook, event: LiveEvent, deliveryId: String, attempt: Int) async -> WebhookAttempt {
        let started = ContinuousClock.now
        func elapsed() -> Int { Int(((ContinuousClock.now - started).inSeconds * 1000).rounded()) }
        guard let url = URL(string: webhook.url), let host = url.host else {
            return WebhookAttempt(statusCode: nil, error: "the URL cannot be read", durationMs: 0)
        }
        if !allowPrivateAddresses {
            if let refused = await Self.privateAddress(host: host, port: url.port ?? (url.scheme == "https" ? 443 : 80)) {
                return WebhookAttempt(statusCode: nil, error: "refused: \(host) resolves to the private address \(refused)", durationMs: elapsed())
            }
        }
        let timestamp = Int(Date().timeIntervalSince1970)
        let data = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) ?? [String: Any]()
        let name = Self.name(event, data)
        let body = Self.body(event, data: data, name: name, deliveryId: deliveryId, attempt: attempt)
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: userAgent)
        request.headers.add(name: "Docket-Delivery", value: deliveryId)
        request.headers.add(name: "Docket-Event", value: name)
        request.headers.add(name: "Docket-Signature", value: "t=\(timestamp),v1=\(Self.signature(secret: webhook.secret, timestamp: timestamp, body: body))")
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await Self.client.execute(request, timeout: timeout)
            // What the receiver says is not read beyond 64 KiB.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return WebhookAttempt(statusCode: Int(response.status.code), error: nil, durationMs: elapsed())
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return WebhookAttempt(statusCode: nil, error: "no answer within \(timeout.nanoseconds / 1_000_000_000) s", durationMs: elapsed())
        } catch {
            return WebhookAttempt(statusCode: nil, error: "could not deliver: \(error)", durationMs: elapsed())
        }
    }

    /// The JSON body, keys sorted.
    static func body(_ event: LiveEvent, data: Any, name: String, deliveryId: String, attempt: Int) -> Data {
        var object: [String: Any] = [
            "id": deliveryId, "event": name, "eventId": event.id, "tenantId": event.tenantId,
            "occurredAt": event.at.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)), "attempt": attempt, "data": data,
        ]
        if let ticketId = event.ticketId { object["ticketId"] = ticketId }
        if let ticket = (data as? [String: Any])?["ticket"] { object["ticket"] = ticket }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }

    /// The event's name: its type, or the name a rule's `webhook` action gave.
    static func name(_ event: LiveEvent, _ data: Any) -> String {
        if event.type == .ruleWebhook, let name = (data as? [String: Any])?["event"] as? String { return name }
        return event.type.rawValue
    }

    /// Hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret's UTF-8 bytes.
    public static func signature(secret: String, timestamp: Int, body: Data) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// The first private address `host` resolves to, if any (resolved off the event loops and the
    /// cooperative pool: getaddrinfo blocks).
    static func privateAddress(host: String, port: Int) async -> String? {
        if WebhookAddressRule.isLocalName(host) { return host }
        if WebhookAddressRule.isPrivate(host) { return host }
        let addresses = (try? await NIOThreadPool.singleton.runIfActive { Self.resolve(host) }) ?? []
        return addresses.first { WebhookAddressRule.isPrivate($0) }
    }

    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(cString: buffer))
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}

