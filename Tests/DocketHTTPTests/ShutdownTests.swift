import DocketTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the real `docket` binary under concurrent writes and a WebSocket client, stops it with
/// SIGTERM and checks the graceful shutdown: exit 0 within the bound, the client told 1001,
/// every acknowledged write and every recorded rule event there after a restart.
@Suite("Graceful shutdown", .serialized)
struct ShutdownTests {
    typealias Server = DurabilityTests

    /// Acknowledged ticket ids, and how many writes were attempted.
    final class Ledger: Sendable {
        let state = Mutex<(acknowledged: [String], attempts: Int, refused: Int)>(([], 0, 0))
        var acknowledged: [String] { state.withLock { $0.acknowledged } }
    }

    static func run(_ arguments: [String], dataDir: URL, packsDir: URL = packsRoot) async throws -> (status: Int32, output: String) {
        try await DurabilityTests.cli(
            arguments + ["--data-dir", dataDir.path, "--packs-dir", packsDir.path], environment: ["DOCKET_JWT_SECRET": Server.secret])
    }

    @Test func sigtermFinishesInFlightWorkFlushesAndExitsZero() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Server.binary.path), "build the docket product first")
        let dataDir = try Scratch.directory("sigterm")
        let token = try await Server.token(dataDir: dataDir)
        let (server, port) = try await Server.serve(dataDir: dataDir, extra: ["--shutdown-grace", "5"])
        let agent = try await Self.run(["token", "--tenant", "default", "--role", "agent", "--subject", "ana"], dataDir: dataDir).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let live = try await LiveClient.connect(port: port, token: agent, query: "?rooms=staff")
        _ = try await live.next("subscribed")

        // Eight writers create tickets until the server stops answering.
        let ledger = Ledger()
        let writers = Task {
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for index in 0..<200 {
                            ledger.state.withLock { $0.attempts += 1 }
                            guard let (status, data) = try? await Server.request(
                                "POST", "http://127.0.0.1:\(port)/api/v2/tickets", token: token,
                                body: #"{"subject":"Corte \#(writer)-\#(index)","description":"Sin luz en la colonia"}"#)
                            else {
                                ledger.state.withLock { $0.refused += 1 }
                                return
                            }
                            guard status == 201 else { return }
                            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
                            if let id = (json?["ticket"] as? [String: Any])?["ticketId"] as? String {
                                ledger.state.withLock { $0.acknowledged.append(id) }
                            }
                        }
                    }
                }
            }
        }
        // A hundred creates acknowledged (the writers go on until the server refuses), or a minute.
        let deadline = ContinuousClock.now + .seconds(60)
        while ledger.acknowledged.count < 100, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try #require(ledger.acknowledged.count >= 100, "the writers got \(ledger.acknowledged.count) creates acknowledged in a minute")
        let stopping = ContinuousClock.now
        kill(server.processIdentifier, SIGTERM)
        await server.exited()
        let stopped = ContinuousClock.now - stopping
        await writers.value
        let code = try await live.closed(timeout: .seconds(10))

        #expect(server.terminationReason == .exit)
        #expect(server.terminationStatus == 0)
        #expect(stopped < .seconds(10), "stopped in \(stopped); the bound is the 5 s grace plus the WebSocket goodbye")
        #expect(code == 1001, "WebSocket clients are told the server is going away")
        let acknowledged = ledger.acknowledged
        let (attempts, refused) = ledger.state.withLock { ($0.attempts, $0.refused) }
        print("SIGTERM after \(acknowledged.count) acknowledged creates (\(attempts) attempted, \(refused) refused): exited 0 in \(stopped)")

        // Every acknowledged ticket is there after a restart.
        let (restarted, restartedPort) = try await Server.serve(dataDir: dataDir)
        defer {
            restarted.stopInBackground()
        }
        var stored: Set<String> = []
        var page = 1
        while true {
            let (status, data) = try await Server.request(
                "GET", "http://127.0.0.1:\(restartedPort)/api/v2/tickets?limit=100&page=\(page)", token: token)
            try #require(status == 200)
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            let ids = ((json?["tickets"] as? [[String: Any]]) ?? []).compactMap { $0["ticketId"] as? String }
            stored.formUnion(ids)
            if ids.count < 100 { break }
            page += 1
        }
        #expect(Set(acknowledged).isSubset(of: stored), "lost: \(Set(acknowledged).subtracting(stored).sorted())")
        restarted.terminate()
        await restarted.exited()
        #expect(restarted.terminationStatus == 0)

        // Every create's rule event was recorded, in the same write as the ticket.
        // The stored versions are there already: an empty packs folder spares a second validation of every shipped pack.
        let noPacks = try Scratch.directory("no-packs")
        let (status, output) = try await Self.run(
            ["pack", "simulate", packsRoot.appendingPathComponent("luxfree-solar").path, "--tenant", "default", "--limit", "500", "--json",
             "--rules-dir", packsRoot.deletingLastPathComponent().appendingPathComponent("Rules").path],
            dataDir: dataDir, packsDir: noPacks)
        try #require(status == 0, "\(output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect((report["events"] as? Int ?? 0) >= min(stored.count, 500))
    }
}
