import DocketTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the real `docket` binary, kills it with SIGKILL and checks that every write it
/// acknowledged is still there after a restart.
@Suite("Durability", .serialized)
struct DurabilityTests {
    static let secret = "durability-secret-durability-secret-!!"

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("docket")
    }

    static func start(dataDir: URL, port: Int, extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "\(port)", "--data-dir", dataDir.path, "--packs-dir", packsRoot.path, "--log-level", "warning"] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKET_JWT_SECRET"] = secret
        process.environment = environment
        try process.run()
        return process
    }

    static func request(_ method: String, _ url: String, token: String? = nil, body: String? = nil) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    static func waitForHealth(port: Int) async throws {
        for _ in 0..<200 {
            if let (status, _) = try? await request("GET", "http://127.0.0.1:\(port)/health"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("server on port \(port) did not become healthy")
    }

    static func token(dataDir: URL) throws -> String {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["token", "--tenant", "default", "--role", "customer", "--subject", "kill-test", "--data-dir", dataDir.path]
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKET_JWT_SECRET"] = secret
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func acknowledgedTicketsSurviveKillMinusNine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the docket product first")
        let dataDir = try Scratch.directory("kill")
        let port = Int.random(in: 20_000..<40_000)
        let token = try Self.token(dataDir: dataDir)
        var server = try Self.start(dataDir: dataDir, port: port)
        try await Self.waitForHealth(port: port)

        var acknowledged: [String] = []
        for index in 0..<60 {
            let (status, data) = try await Self.request(
                "POST", "http://127.0.0.1:\(port)/api/v2/tickets", token: token,
                body: #"{"subject":"Corte \#(index)","description":"Sin luz en la colonia"}"#)
            #expect(status == 201)
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            if let id = (json?["ticket"] as? [String: Any])?["ticketId"] as? String { acknowledged.append(id) }
        }
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        #expect(server.terminationReason == .uncaughtSignal)

        server = try Self.start(dataDir: dataDir, port: port)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        try await Self.waitForHealth(port: port)
        let (status, data) = try await Self.request("GET", "http://127.0.0.1:\(port)/api/v2/tickets?limit=100&sortOrder=asc", token: token)
        #expect(status == 200)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let stored = ((json?["tickets"] as? [[String: Any]]) ?? []).compactMap { $0["ticketId"] as? String }
        #expect(acknowledged.count == 60)
        #expect(stored == acknowledged)
    }
}
