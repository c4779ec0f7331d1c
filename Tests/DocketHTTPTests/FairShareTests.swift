import DocketTestSupport
import Foundation
import Testing

/// A bounded pool that outlives a connection gives each client address a share, so one address
/// cannot empty it for everyone: Socket.IO's long-polling sessions stay after the request that
/// made them, and one address may hold `http.maxConnectionsPerAddress` of them.
@Suite("Fair shares of outliving pools")
struct FairShareTests {
    static func handshake(_ port: Int, from address: String) async throws -> String {
        let connection = try RawConnection(port: port, from: address)
        defer { connection.close() }
        connection.send("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        return await connection.untilClosed(within: 10).text
    }

    @Test func oneAddressCannotTakeEverySocketIOSession() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        // Sessions that live ten minutes without a poll: on a loaded machine the four handshakes
        // may be further apart than the default 45 s, and an expired session no longer counts.
        let (server, port) = try await DurabilityTests.serve(
            dataDir: try Scratch.directory("fair-share"),
            extra: ["--max-connections-per-address", "3", "--socketio-ping-interval", "300", "--socketio-ping-timeout", "300"])
        defer {
            server.stopInBackground()
        }
        do {
            for index in 0..<3 {
                let answer = try await Self.handshake(port, from: "127.0.0.1")
                #expect(answer.hasPrefix("HTTP/1.1 200") && answer.contains(#""sid":""#), "session \(index): \(answer.suffix(160))")
            }
            // The fourth from the same address is refused while the three live...
            let refused = try await Self.handshake(port, from: "127.0.0.1")
            #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused.prefix(200))")
            #expect(refused.contains("this address holds 3 Socket.IO sessions"))
            // ...and another address is served.
            let other = try await Self.handshake(port, from: "127.0.0.2")
            #expect(other.hasPrefix("HTTP/1.1 200"), "\(other.prefix(200))")
        }
    }
}
