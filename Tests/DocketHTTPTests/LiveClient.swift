import Foundation
import HTTPTypes
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Testing

/// A real WebSocket client for tests: connects over TCP to a live server, keeps every frame it
/// receives, and waits for the ones a test expects.
final class LiveClient: @unchecked Sendable {
    // `frames`, `outbound`, `closeCode` and `finished` are guarded by `lock`.
    private let lock = NSLock()
    private var frames: [[String: Any]] = []
    /// Every frame received, in order, whether `next` took it or not.
    private var log: [[String: Any]] = []
    private var outbound: WebSocketOutboundWriter?
    private var finished = false
    private(set) var closeCode: Int?
    private var failure: String?
    private var task: Task<Void, Never>?

    /// Connects to `/api/v2/ws` with `token` in the Authorization header (none: authenticate
    /// with an `auth` frame) and the query string `query` (e.g. `?rooms=staff&since=4`).
    /// How long a test waits for something that should happen: generous, because CI runs the
    /// suite in parallel on two cores beside the MongoDB stand-in; a passing wait returns at once.
    static let patience: Duration = .seconds(20)
    /// How long a connection may take to open: a loaded CI machine was seen to take over 20 s to
    /// answer an upgrade to a server process started moments before (trivial tests took 15 s then).
    static let connectPatience: Duration = .seconds(60)

    static func connect(port: Int, token: String?, query: String = "") async throws -> LiveClient {
        let client = LiveClient()
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
        if let token { configuration.additionalHeaders[.authorization] = "Bearer \(token)" }
        let url = "ws://127.0.0.1:\(port)/api/v2/ws\(query)"
        client.task = Task {
            do {
                let close = try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "ws-test")) {
                    inbound, outbound, _ in
                    client.lock.withLock { client.outbound = outbound }
                    for try await message in inbound.messages(maxSize: 1 << 22) {
                        if case .text(let text) = message { client.receive(text) }
                    }
                }
                client.lock.withLock { client.closeCode = close.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) } }
            } catch {
                client.lock.withLock {
                    client.closeCode = -1
                    client.failure = "\(error)"
                }
            }
            client.lock.withLock { client.finished = true }
        }
        let deadline = ContinuousClock.now + Self.connectPatience
        while client.lock.withLock({ client.outbound == nil && !client.finished }) {
            guard ContinuousClock.now < deadline else { throw LiveClientError("no connection within \(Self.connectPatience)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        if client.lock.withLock({ client.outbound == nil }) { throw LiveClientError("the upgrade was refused: \(client.lock.withLock { client.failure ?? "-" })") }
        return client
    }

    private func receive(_ text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return }
        lock.withLock {
            frames.append(object)
            log.append(object)
        }
    }

    func send(_ frame: [String: Any]) async throws {
        guard let outbound = lock.withLock({ outbound }) else { throw LiveClientError("not connected") }
        let data = try JSONSerialization.data(withJSONObject: frame)
        try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
    }

    /// Takes the first received frame that matches (waiting up to `timeout`), leaving the others.
    func next(
        _ type: String, timeout: Duration = LiveClient.patience, where match: @Sendable ([String: Any]) -> Bool = { _ in true }
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let found: [String: Any]? = lock.withLock {
                guard let index = frames.firstIndex(where: { ($0["type"] as? String) == type && match($0) }) else { return nil }
                return frames.remove(at: index)
            }
            if let found { return found }
            guard ContinuousClock.now < deadline else {
                let seen = lock.withLock { frames.compactMap { $0["type"] as? String } }
                throw LiveClientError("no '\(type)' frame within \(timeout); holding \(seen)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Takes the reply (ack or error) to the request frame with this `id`.
    func reply(_ id: String, timeout: Duration = LiveClient.patience) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let found: [String: Any]? = lock.withLock {
                guard let index = frames.firstIndex(where: { ($0["id"] as? String) == id }) else { return nil }
                return frames.remove(at: index)
            }
            if let found { return found }
            guard ContinuousClock.now < deadline else { throw LiveClientError("no reply to '\(id)' within \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Frames received so far and not taken, optionally of one type.
    func received(_ type: String? = nil) -> [[String: Any]] {
        lock.withLock { frames.filter { type == nil || ($0["type"] as? String) == type } }
    }

    /// Every frame received so far, in order (those `next` took too), optionally of one type:
    /// order, duplicate and leak checks see everything the server sent.
    func history(_ type: String? = nil) -> [[String: Any]] {
        lock.withLock { log.filter { type == nil || ($0["type"] as? String) == type } }
    }

    /// Sends a ping and waits for its pong: every frame the server queued before is here now.
    func sync() async throws {
        let id = UUID().uuidString
        try await send(["type": "ping", "id": id])
        _ = try await next("pong") { ($0["id"] as? String) == id }
    }

    /// Waits until the server closed the connection; returns its close code.
    func closed(timeout: Duration = LiveClient.patience) async throws -> Int? {
        let deadline = ContinuousClock.now + timeout
        while !lock.withLock({ finished }) {
            guard ContinuousClock.now < deadline else { throw LiveClientError("still open after \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return lock.withLock { closeCode }
    }

    func close() async {
        let outbound = lock.withLock { self.outbound }
        try? await outbound?.close(.normalClosure, reason: nil)
        _ = try? await closed(timeout: .seconds(3))
        task?.cancel()
    }
}

struct LiveClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Dictionary where Key == String, Value == Any {
    /// `data.<key>` of a frame.
    subscript(data key: String) -> Any? { (self["data"] as? [String: Any])?[key] }
    /// `data.ticket.<key>` of a ticket event.
    subscript(ticket key: String) -> Any? { ((self["data"] as? [String: Any])?["ticket"] as? [String: Any])?[key] }
}
