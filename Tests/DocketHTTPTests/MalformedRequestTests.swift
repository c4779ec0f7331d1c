import DocketTestSupport
import Foundation
import Testing

/// Requests the HTTP parser cannot read, sent on raw sockets to the production server: each is
/// answered with the status that fits and its connection closed, well within the header timeout
/// (a parser error used to leave the connection open for good, without an answer).
@Suite("Malformed requests")
struct MalformedRequestTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let health = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"

    /// Each shape: its bytes and the status lines the connection gets, in order, before it closes.
    static let shapes: [(name: String, bytes: [UInt8], statuses: [String])] = [
        ("a raw non-ASCII byte in the query (curl's ?search=instalación typed by hand)",
         bytes("GET /api/v2/tickets?search=instalaci") + [0xC3, 0xB3] + bytes("n HTTP/1.1\r\nHost: x\r\n\r\n"), ["400"]),
        ("a raw byte in the path", bytes("GET /caf") + [0xE9] + bytes(" HTTP/1.1\r\nHost: x\r\n\r\n"), ["400"]),
        ("an HTTP version we do not speak", bytes("GET / HTTP/7.3\r\nHost: x\r\n\r\n"), ["505"]),
        ("a header line without a colon", bytes("GET / HTTP/1.1\r\nHost x\r\n\r\n"), ["400"]),
        ("a TLS hello on the plain port", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0x0D, 0x0A, 0x0D, 0x0A], ["400"]),
        ("a bad Content-Length", bytes("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n"), ["400"]),
        ("a request line of 20,000 bytes", bytes("GET /" + String(repeating: "a", count: 20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), ["414"]),
        ("a header of 100,000 bytes", bytes("GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + String(repeating: "a", count: 100_000) + "\r\n\r\n"), ["431"]),
        ("a malformed request after a good one in the same packet", bytes(health + "GET / HTTP/1.1\r\nHost x\r\n\r\n"), ["200", "400"]),
        ("a malformed request after a good one, kept alive", bytes(health) + bytes("GET / HTTP/9\r\n\r\n"), ["200", "505"]),
    ]

    @Test func everyMalformedShapeIsAnsweredAndClosed() async throws {
        // A header timeout far beyond the wait below: closing comes from the answer, not the timer.
        let app = try await TestApp(flags: ["http.headerTimeoutSeconds": "60", "http.idleTimeoutSeconds": "120"])
        try await withRunningServer(app) { port in
            for shape in Self.shapes {
                let connection = try RawConnection(port: port)
                defer { connection.close() }
                connection.send(bytes: shape.bytes)
                let (text, closed) = await connection.untilClosed(within: 10)
                let statuses = text.components(separatedBy: "\r\n").filter { $0.hasPrefix("HTTP/1.1 ") }.map { String($0.dropFirst(9).prefix(3)) }
                #expect(statuses == shape.statuses, "\(shape.name): \(text.prefix(200))")
                #expect(closed, "\(shape.name): the connection is closed")
                if statuses.last != "200" { #expect(text.contains("Connection: close"), "\(shape.name)") }
            }
            // None of them cost the address its place: the server still answers it.
            let after = try RawConnection(port: port)
            defer { after.close() }
            after.send(Self.health)
            #expect(await after.answer(timeout: 5).hasPrefix("HTTP/1.1 200"))
        }
    }

    /// With one connection allowed per address, malformed requests one after another do not lock
    /// the address out (they used to hold their places for good).
    @Test func malformedRequestsGiveBackTheAddresssPlace() async throws {
        let app = try await TestApp(flags: ["http.maxConnectionsPerAddress": "2", "http.headerTimeoutSeconds": "60"])
        try await withRunningServer(app) { port in
            for _ in 0..<6 {
                let connection = try RawConnection(port: port)
                defer { connection.close() }
                connection.send(bytes: Self.bytes("GET / HTTP/1.1\r\nHost x\r\n\r\n"))
                #expect(await connection.untilClosed(within: 10).closed)
            }
            let good = try RawConnection(port: port)
            defer { good.close() }
            good.send(Self.health)
            #expect(await good.answer(timeout: 5).hasPrefix("HTTP/1.1 200"))
        }
    }
}
