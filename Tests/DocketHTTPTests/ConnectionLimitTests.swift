import DocketTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A blocking loopback socket, just enough to hold connections open.
// Test-only: one task uses a connection at a time (its fd is only read and written by that caller).
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    /// Connects to 127.0.0.1:`port` from `source` (any 127.x.y.z address is this machine's loopback).
    init(port: Int, from source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, 0) }
    }

    func send(bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }

    /// Everything the server sends until it closes the connection (a reset counts as closed), on
    /// a thread of its own; `closed` false when it was still open after `timeout` seconds.
    func untilClosed(within timeout: Double) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let end = Date().addingTimeInterval(timeout)
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while Date() < end {
                    var poller = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&poller, 1, Int32(max(1, end.timeIntervalSinceNow * 1000))) > 0 else { continue }
                    let count = recv(self.fd, &buffer, buffer.count, 0)
                    guard count > 0 else {
                        continuation.resume(returning: (String(decoding: received, as: UTF8.self), true))
                        return
                    }
                    received += buffer[0..<count]
                }
                continuation.resume(returning: (String(decoding: received, as: UTF8.self), false))
            }
        }
    }

    /// Whatever arrives within `timeout` seconds (empty if nothing).
    func receive(timeout: Double) -> String {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }

    /// `receive` on a thread of its own: a blocking poll on the cooperative pool would hold up
    /// the in-process server that has to answer.
    func answer(timeout: Double) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.receive(timeout: timeout)) }
        }
    }

    func close() { _ = Glibc.close(fd) }

    /// Whether the server closed the connection within `timeout` seconds (whatever it sent first
    /// is read and dropped), on a thread of its own.
    func closedByServer(within timeout: Double) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let end = Date().addingTimeInterval(timeout)
                var buffer = [UInt8](repeating: 0, count: 4096)
                while Date() < end {
                    var poller = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&poller, 1, Int32(max(1, end.timeIntervalSinceNow * 1000))) > 0 else { continue }
                    if recv(self.fd, &buffer, buffer.count, 0) <= 0 {
                        continuation.resume(returning: true)
                        return
                    }
                }
                continuation.resume(returning: false)
            }
        }
    }
}

/// Runs the production Application on a real port for `body`.
/// Runs the production Application for `body` on a port the kernel chose (the server writes
/// it to its port file once it listens).
func withRunningServer(_ app: TestApp, _ body: (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.app.run() }
        defer { group.cancelAll() }
        let deadline = ContinuousClock.now + .seconds(60)
        var port: Int?
        while port == nil, ContinuousClock.now < deadline {
            port = (try? String(contentsOf: app.portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if port == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        try await body(try #require(port, "the server did not listen within a minute"))
    }
}

@Suite("Connection limit")
struct ConnectionLimitTests {
    @Test func connectionsBeyondTheLimitWaitUntilOneCloses() async throws {
        // Run the production Application itself: HummingbirdTesting's live mode rebuilds the
        // configuration without its connections delegate (Hummingbird 2.28.1).
        let app = try await TestApp(maxConnections: 2)
        try await withRunningServer(app) { port in
            let request = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
            let first = try RawConnection(port: port)
            let second = try RawConnection(port: port)
            first.send(request)
            second.send(request)
            #expect(await first.answer(timeout: 15).hasPrefix("HTTP/1.1 200"))
            #expect(await second.answer(timeout: 15).hasPrefix("HTTP/1.1 200"))
            // Both stay open (keep-alive): a third connection is not served...
            let third = try RawConnection(port: port)
            defer { third.close() }
            third.send(request)
            #expect(await third.answer(timeout: 1).isEmpty)
            // ...until one of the first two goes away.
            first.close()
            #expect(await third.answer(timeout: 15).hasPrefix("HTTP/1.1 200"))
            second.close()
        }
    }
}

@Suite("Idle, slow and greedy connections")
struct ConnectionRulesTests {
    static let health = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"

    /// One address holding more connections than its cap cannot starve anyone else: the ones
    /// past the cap get a 503 and are closed, and a client from another address is answered.
    @Test func oneAddressPastItsCapCannotStarveOthers() async throws {
        let app = try await TestApp(
            maxConnections: 64, flags: ["http.maxConnectionsPerAddress": "20", "http.headerTimeoutSeconds": "60"])
        try await withRunningServer(app) { port in
            var idle: [RawConnection] = []
            defer { idle.forEach { $0.close() } }
            for _ in 0..<60 { idle.append(try RawConnection(port: port, from: "127.0.0.1")) }
            // Those past the cap (whichever the server accepted last) were told 503 and closed.
            let refused = await withTaskGroup(of: Bool.self) { group in
                for connection in idle { group.addTask { await connection.answer(timeout: 5).hasPrefix("HTTP/1.1 503") } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(refused == 40)
            let fresh = try RawConnection(port: port, from: "127.0.0.2")
            defer { fresh.close() }
            fresh.send(Self.health)
            // Served while the other address still holds its connections (a starved client would
            // wait for them to close); the answer's wait bounds it, no clock is read besides.
            #expect(await fresh.answer(timeout: 5).hasPrefix("HTTP/1.1 200"), "another address is served while the first holds its cap")
        }
    }

    /// A connection that sends nothing, or its head a byte at a time, is cut off at the header
    /// timeout; one that keeps alive with nothing to ask is closed at the idle timeout.
    @Test func silentAndSlowHeaderConnectionsAreCutOffAndIdleOnesClosed() async throws {
        let app = try await TestApp(flags: ["http.headerTimeoutSeconds": "1", "http.idleTimeoutSeconds": "2"])
        try await withRunningServer(app) { port in
            let silent = try RawConnection(port: port)
            defer { silent.close() }
            #expect(await silent.closedByServer(within: 3), "a connection that sends nothing")

            let slow = try RawConnection(port: port)
            defer { slow.close() }
            let dripping = Task.detached {
                for byte in Self.health.utf8.map({ String(UnicodeScalar($0)) }) {
                    slow.send(byte)
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(await slow.closedByServer(within: 4), "a head sent a byte every 200 ms")
            dripping.cancel()

            let kept = try RawConnection(port: port)
            defer { kept.close() }
            kept.send(Self.health)
            #expect(await kept.answer(timeout: 5).hasPrefix("HTTP/1.1 200"))
            #expect(!(await kept.closedByServer(within: 1)), "open for the next request a while")
            #expect(await kept.closedByServer(within: 3), "closed once idle past the idle timeout")
        }
    }

    /// A body that trickles in below the minimum rate is cut off; one at a fair pace is served.
    @Test func aBodyBelowTheMinimumRateIsCutOff() async throws {
        // The rate is counted once the header timeout (3 s) has passed: the fair body is whole
        // long before, however late a loaded machine runs its timers and reads.
        let app = try await TestApp(flags: ["http.headerTimeoutSeconds": "3", "http.minBodyBytesPerSecond": "1000"])
        let customer = try await app.token(.customer, "cust1")
        try await withRunningServer(app) { port in
            func head(_ length: Int) -> String {
                "POST /api/v2/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(customer)\r\nContent-Type: application/json\r\nContent-Length: \(length)\r\n\r\n"
            }
            // A fair pace: 4,000 bytes/s (four times the minimum, so a loaded machine's late
            // timers do not make it slow), the body complete in 0.75 s.
            let body = #"{"content":""# + String(repeating: "a", count: 2_986) + #""}"#
            let fair = try RawConnection(port: port)
            defer { fair.close() }
            fair.send(head(body.utf8.count))
            for chunk in stride(from: 0, to: body.count, by: 400) {
                fair.send(String(body.dropFirst(chunk).prefix(400)))
                try await Task.sleep(for: .milliseconds(100))
            }
            let answer = await fair.answer(timeout: 10)
            #expect(answer.hasPrefix("HTTP/1.1 201"), "a body at four times the minimum rate is served: \(answer.prefix(200))")

            // A trickle: 100 bytes/s of a 50,000-byte body the route is waiting for.
            let slow = try RawConnection(port: port)
            defer { slow.close() }
            slow.send(head(50_000))
            let dripping = Task.detached {
                for _ in 0..<200 {
                    slow.send("          ")
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(await slow.closedByServer(within: 15), "100 bytes/s against a minimum of 1,000")
            dripping.cancel()
        }
    }
}
