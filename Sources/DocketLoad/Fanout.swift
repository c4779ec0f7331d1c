import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// N WebSocket subscribers in one tenant's staff room; an internal note is posted and every
/// subscriber's arrival time is taken. Reports delivery latency, server memory per connection,
/// and the CPU per delivery of the server and of this client.
///
/// The subscribers are bare NIO channels whose handler takes each frame on the event loop (no
/// task, no stream per message): the client shares the machine with the server, so the less it
/// spends per frame, the more the figures are the server's.
struct Fanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "WebSocket fan-out: N subscribers, one event broadcast, latency until each (and the last) receives it.")

    @Option(help: "Server base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "A staff token of the tenant (admin: it also creates the customer and ticket it notes on).") var token: String
    @Option(help: "Connected subscribers.") var subscribers = 1000
    @Option(help: "Broadcasts measured.") var rounds = 20
    @Option(help: "Connections opened at once while connecting.") var ramp = 200
    @Option(help: "The server's PID, to read its memory from /proc.") var serverPid: Int32?
    @Option(help: "Write the results as JSON here.") var json: String?

    struct Result: Codable {
        var subscribers: Int
        var rounds: Int
        var connectSeconds: Double
        var delivery: Distribution
        var lastReceiver: Distribution
        var serverRSSBeforeKiB: Int?
        var serverRSSAfterKiB: Int?
        var serverKiBPerConnection: Double?
        /// CPU per delivery over the measured rounds, in microseconds: the server's (from /proc)
        /// and this load client's own, which shares the machine with it.
        var serverMicrosPerDelivery: Double?
        var clientMicrosPerDelivery: Double
        var missed: Int
    }

    func run() async throws {
        let api = API(client: HTTPClient.shared, base: url, token: token)
        let ticketId = try await api.prepareTicket()
        let before = serverPid.flatMap { ProcessSample(pid: $0) }

        let recorder = Recorder(expected: subscribers)
        guard let base = URL(string: url), let host = base.host else { throw ValidationError("not a URL: \(url)") }
        let port = base.port ?? 80
        let started = ContinuousClock.now
        let (count, wave, bearer) = (subscribers, ramp, token)
        let clients = Task {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        do {
                            recorder.connected(try await Subscriber.connect(host: host, port: port, token: bearer, recorder: recorder))
                        } catch {
                            recorder.failed("\(error)")
                        }
                    }
                    // Open in waves so the listen backlog is never the limit.
                    if (index + 1) % wave == 0 { try? await Task.sleep(for: .milliseconds(50)) }
                }
            }
        }
        try await recorder.waitForSubscribed(timeout: .seconds(120))
        let connectSeconds = (ContinuousClock.now - started).milliseconds / 1000
        try await Task.sleep(for: .seconds(1))
        let after = serverPid.flatMap { ProcessSample(pid: $0) }
        print(String(format: "%d subscribers connected in %.1f s", subscribers, connectSeconds))

        var all: [Double] = []
        var last: [Double] = []
        var missed = 0
        let (serverBefore, clientBefore) = (serverPid.flatMap { ProcessSample(pid: $0) }, ProcessSample(pid: getpid()))
        for round in 0..<rounds {
            let marker = "fanout-\(round)-\(UUID().uuidString.prefix(8))"
            recorder.expect(marker)
            let sent = ContinuousClock.now
            try await api.note(ticketId, marker)
            let arrivals = await recorder.collect(timeout: .seconds(30))
            let latencies = arrivals.map { ($0 - sent).milliseconds }
            missed += subscribers - latencies.count
            all += latencies
            if let worst = latencies.max() { last.append(worst) }
            try await Task.sleep(for: .milliseconds(200))
        }
        let (serverAfter, clientAfter) = (serverPid.flatMap { ProcessSample(pid: $0) }, ProcessSample(pid: getpid()))
        let deliveries = Double(max(all.count, 1))
        let serverMicros = serverBefore.flatMap { b in serverAfter.map { ($0.cpuSeconds - b.cpuSeconds) * 1e6 / deliveries } }
        let clientMicros = clientBefore.flatMap { b in clientAfter.map { ($0.cpuSeconds - b.cpuSeconds) * 1e6 / deliveries } } ?? 0
        let result = Result(
            subscribers: subscribers, rounds: rounds, connectSeconds: connectSeconds, delivery: Distribution(all),
            lastReceiver: Distribution(last), serverRSSBeforeKiB: before?.rssKiB, serverRSSAfterKiB: after?.rssKiB,
            serverKiBPerConnection: before.flatMap { b in after.map { Double($0.rssKiB - b.rssKiB) / Double(subscribers) } },
            serverMicrosPerDelivery: serverMicros, clientMicrosPerDelivery: clientMicros, missed: missed)
        print("every delivery:      \(result.delivery.line)")
        print("last receiver/round: \(result.lastReceiver.line)")
        if let b = before, let a = after {
            print(String(format: "server RSS %d → %d KiB: %.1f KiB per connection", b.rssKiB, a.rssKiB, result.serverKiBPerConnection ?? 0))
        }
        if let serverMicros {
            print(String(format: "CPU per delivery: server %.1f µs, this load client %.1f µs (it shares the machine)", serverMicros, clientMicros))
        }
        if missed > 0 { print("missed deliveries: \(missed)") }
        try writeJSON(result, to: json)
        _ = await clients.value
        await recorder.closeAll()
    }
}

/// Arrival times of the current marker, over all subscribers.
final class Recorder: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var channels: [any Channel] = []
    private var subscribed = 0
    private var failures: [String] = []
    private var marker: [UInt8] = []
    private var arrivals: [ContinuousClock.Instant] = []
    let expected: Int

    init(expected: Int) { self.expected = expected }

    func connected(_ channel: any Channel) { lock.withLock { channels.append(channel) } }
    func failed(_ error: String) { lock.withLock { failures.append(error) } }

    private static let subscribedType = Array(#""type":"subscribed""#.utf8)

    /// On a subscriber's event loop, for each text frame.
    func received(_ payload: ByteBuffer) {
        let now = ContinuousClock.now
        lock.withLock {
            if !marker.isEmpty, Self.find(marker, in: payload) {
                arrivals.append(now)
            } else if Self.find(Self.subscribedType, in: payload) {
                subscribed += 1
            }
        }
    }

    private static func find(_ needle: [UInt8], in payload: ByteBuffer) -> Bool {
        payload.withUnsafeReadableBytes { haystack in
            needle.withUnsafeBytes { needle in
                guard let first = needle.first, needle.count <= haystack.count, let base = haystack.baseAddress else { return false }
                var offset = 0
                let last = haystack.count - needle.count
                while offset <= last {
                    guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
                    offset = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + offset, needle.baseAddress!, needle.count) == 0 { return true }
                    offset += 1
                }
                return false
            }
        }
    }

    func waitForSubscribed(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (count, failed) = lock.withLock { (subscribed, failures) }
            if count >= expected { return }
            if !failed.isEmpty, count + failed.count >= expected {
                throw ValidationError("\(failed.count) connections failed, e.g. \(failed[0]) (raise ulimit -n and the server's --max-connections)")
            }
            guard ContinuousClock.now < deadline else { throw ValidationError("only \(count) of \(expected) subscribed in time") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func expect(_ marker: String) { lock.withLock { self.marker = Array(marker.utf8); arrivals = [] } }

    func collect(timeout: Duration) async -> [ContinuousClock.Instant] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if lock.withLock({ arrivals.count >= expected }) { break }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return lock.withLock {
            defer { marker = []; arrivals = [] }
            return arrivals
        }
    }

    func closeAll() async {
        for channel in lock.withLock({ channels }) { try? await channel.close() }
    }
}

/// One subscriber: a WebSocket upgrade over a bare NIO channel, its frames handed to the recorder
/// on the event loop.
enum Subscriber {
    enum Upgrade {
        case websocket(any Channel)
        case refused
    }

    static func connect(host: String, port: Int, token: String, recorder: Recorder) async throws -> any Channel {
        let upgrade: EventLoopFuture<Upgrade> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 20) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(Receiver(recorder: recorder))
                            return Upgrade.websocket(channel)
                        }
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    headers.add(name: "Authorization", value: "Bearer \(token)")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v2/ws?rooms=staff", headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { Upgrade.refused } })
                    // The server's first frames may arrive in the same read as its 101: they are kept.
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                }
            }
        switch try await upgrade.get() {
        case .websocket(let channel): return channel
        case .refused: throw ValidationError("the server refused the WebSocket upgrade")
        }
    }

    /// Text frames to the recorder; a ping is answered; a close ends the connection.
    final class Receiver: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let recorder: Recorder

        init(recorder: Recorder) { self.recorder = recorder }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text: recorder.received(frame.unmaskedData)
            case .ping:
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            case .connectionClose: context.close(promise: nil)
            default: break
            }
        }
    }
}

/// The calls the fan-out makes, through the load client.
struct API {
    let client: LoadClient
    let token: String

    init(client: HTTPClient, base: String, token: String) {
        self.client = LoadClient(http: client, base: base, customer: token, agent: token, customerId: "", agentId: "", tally: Tally())
        self.token = token
    }

    /// A customer and a ticket to broadcast notes about.
    func prepareTicket() async throws -> String {
        let customer = "load-\(UUID().uuidString.prefix(8))"
        try await client.call("setup", .POST, "/api/v2/customers", token: token, body: ["id": customer, "email": "\(customer)@load.test"])
        let reply = try await client.call("setup", .POST, "/api/v2/tickets", token: token, body: [
            "customerId": customer, "subject": "Fan-out benchmark", "description": "Notes on this ticket are broadcast to every subscriber",
        ])
        guard let ticketId = (reply["ticket"] as? [String: Any])?["ticketId"] as? String else { throw ValidationError("no ticket id in \(reply)") }
        return ticketId
    }

    func note(_ ticketId: String, _ text: String) async throws {
        try await client.call("note", .POST, "/api/v2/tickets/\(ticketId)/notes", token: token, body: ["content": text, "isInternal": true])
    }
}
