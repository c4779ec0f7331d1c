import ArgumentParser
import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging

/// N WebSocket subscribers in one tenant's staff room; an internal note is posted and every
/// subscriber's arrival time is taken. Reports delivery latency and server memory per connection.
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
        var missed: Int
    }

    func run() async throws {
        let api = API(client: HTTPClient.shared, base: url, token: token)
        let ticketId = try await api.prepareTicket()
        let before = serverPid.flatMap { ProcessSample(pid: $0) }

        let recorder = Recorder(expected: subscribers)
        let wsURL = url.replacingOccurrences(of: "http://", with: "ws://") + "/api/v2/ws?rooms=staff"
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20, autoPing: .disabled)
        configuration.additionalHeaders[.authorization] = "Bearer \(token)"
        let logger = Logger(label: "fanout")
        let started = ContinuousClock.now
        let (count, wave, settings) = (subscribers, ramp, configuration)
        let clients = Task {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        do {
                            try await WebSocketClient.connect(url: wsURL, configuration: settings, logger: logger) { inbound, outbound, _ in
                                recorder.connected(outbound)
                                for try await message in inbound.messages(maxSize: 1 << 20) {
                                    guard case .text(let text) = message else { continue }
                                    recorder.received(text)
                                }
                            }
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
        let result = Result(
            subscribers: subscribers, rounds: rounds, connectSeconds: connectSeconds, delivery: Distribution(all),
            lastReceiver: Distribution(last), serverRSSBeforeKiB: before?.rssKiB, serverRSSAfterKiB: after?.rssKiB,
            serverKiBPerConnection: before.flatMap { b in after.map { Double($0.rssKiB - b.rssKiB) / Double(subscribers) } },
            missed: missed)
        print("every delivery:      \(result.delivery.line)")
        print("last receiver/round: \(result.lastReceiver.line)")
        if let b = before, let a = after {
            print(String(format: "server RSS %d → %d KiB: %.1f KiB per connection", b.rssKiB, a.rssKiB, result.serverKiBPerConnection ?? 0))
        }
        if missed > 0 { print("missed deliveries: \(missed)") }
        try writeJSON(result, to: json)
        await recorder.closeAll()
        clients.cancel()
        _ = await clients.value
    }
}

/// Arrival times of the current marker, over all subscribers.
final class Recorder: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var writers: [WebSocketOutboundWriter] = []
    private var subscribed = 0
    private var failures: [String] = []
    private var marker = ""
    private var arrivals: [ContinuousClock.Instant] = []
    let expected: Int

    init(expected: Int) { self.expected = expected }

    func connected(_ writer: WebSocketOutboundWriter) { lock.withLock { writers.append(writer) } }
    func failed(_ error: String) { lock.withLock { failures.append(error) } }

    func received(_ text: String) {
        let now = ContinuousClock.now
        lock.withLock {
            if !marker.isEmpty, text.contains(marker) {
                arrivals.append(now)
            } else if text.contains(#""type":"subscribed""#) {
                subscribed += 1
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

    func expect(_ marker: String) { lock.withLock { self.marker = marker; arrivals = [] } }

    func collect(timeout: Duration) async -> [ContinuousClock.Instant] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if lock.withLock({ arrivals.count >= expected }) { break }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return lock.withLock {
            defer { marker = ""; arrivals = [] }
            return arrivals
        }
    }

    func closeAll() async {
        for writer in lock.withLock({ writers }) { try? await writer.close(.normalClosure, reason: nil) }
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
