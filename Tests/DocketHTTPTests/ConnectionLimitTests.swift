import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A blocking loopback socket, just enough to hold connections open.
// Test-only: one task uses a connection at a time (its fd is only read and written by that caller).
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
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
}

@Suite("Connection limit")
struct ConnectionLimitTests {
    @Test func connectionsBeyondTheLimitWaitUntilOneCloses() async throws {
        // Run the production Application itself: HummingbirdTesting's live mode rebuilds the
        // configuration without its connections delegate (Hummingbird 2.28.1).
        let port = Int.random(in: 20_000..<40_000)
        let app = try await TestApp(maxConnections: 2, port: port)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.app.run() }
            defer { group.cancelAll() }
            var ready = false
            for _ in 0..<100 where !ready {
                if let probe = try? RawConnection(port: port) {
                    probe.close()
                    ready = true
                } else {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            try #require(ready)
            try await Task.sleep(for: .milliseconds(100))
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
