import DocketCore
import DocketSQLite
import DocketTestSupport
import Foundation
import Synchronization
import Testing

/// `docket backup` of a running server under concurrent creates, then kill -9, then `docket
/// restore` into a new directory and a server on it: every create acknowledged before the backup
/// began is there, with its events; nothing in the copy is half written.
@Suite("Backup and restore", .serialized)
struct BackupTests {
    /// What the writers share: the tickets acknowledged (with when), and the signal to stop.
    final class Writes: Sendable {
        let acknowledged = Mutex<[(id: String, at: ContinuousClock.Instant)]>([])
        let stop = Atomic<Bool>(false)
        var count: Int { acknowledged.withLock { $0.count } }
        init() {}
    }

    @Test func aBackupUnderWritesAndKillMinusNineRestoresEveryAcknowledgedChange() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let root = try Scratch.directory("backup")
        let (data, copy, restored) = (root.appendingPathComponent("data"), root.appendingPathComponent("copy"), root.appendingPathComponent("restored"))
        let (server, port) = try await DurabilityTests.serve(dataDir: data)
        let token = try await DurabilityTests.token(dataDir: data)
        let writes = Writes()
        // Four writers create until told to stop; each acknowledged ticket is noted with its time.
        let writers = Task {
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        var index = 0
                        while !writes.stop.load(ordering: .relaxed) {
                            index += 1
                            guard let (status, body) = try? await DurabilityTests.request(
                                "POST", "http://127.0.0.1:\(port)/api/v2/tickets", token: token,
                                body: #"{"subject":"Corte \#(writer)-\#(index)","description":"Sin luz en la colonia"}"#),
                                status == 201,
                                let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                                let id = (json["ticket"] as? [String: Any])?["ticketId"] as? String
                            else { continue }
                            let at = ContinuousClock.now
                            writes.acknowledged.withLock { $0.append((id, at)) }
                        }
                    }
                }
            }
        }
        // Wait for writes to be under way (a condition, not a fixed time), then back up while they go on.
        let deadline = ContinuousClock.now + .seconds(60)
        while writes.count < 40, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let began = ContinuousClock.now
        let backup = try await DurabilityTests.cli(["backup", copy.path, "--data-dir", data.path], environment: [:], errors: true)
        #expect(backup.status == 0, "\(backup.output)")
        // Writes go on after the backup; then the server dies mid-write.
        let after = writes.count
        while writes.count < after + 20, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        kill(server.processIdentifier, SIGKILL)
        await server.exited()
        writes.stop.store(true, ordering: .relaxed)
        await writers.value
        let before = writes.acknowledged.withLock { $0.filter { $0.at < began }.map(\.id) }
        #expect(before.count >= 40)

        let restore = try await DurabilityTests.cli(["restore", copy.path, "--data-dir", restored.path], environment: [:], errors: true)
        #expect(restore.status == 0, "\(restore.output)")
        // The copy is whole, and every ticket in it has its creation event in the log.
        let facts = try SQLiteBackup.facts(of: restored.appendingPathComponent("docket.sqlite").path)
        #expect(facts.tickets >= before.count)
        let (again, restoredPort) = try await DurabilityTests.serve(dataDir: restored)
        defer {
            again.stopInBackground()
        }
        var stored: Set<String> = []
        var (page, pages) = (1, 1)
        repeat {
            let (status, body) = try await DurabilityTests.request(
                "GET", "http://127.0.0.1:\(restoredPort)/api/v2/tickets?limit=100&page=\(page)", token: token)
            #expect(status == 200)
            let json = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            for ticket in (json?["tickets"] as? [[String: Any]]) ?? [] { if let id = ticket["ticketId"] as? String { stored.insert(id) } }
            pages = (json?["pagination"] as? [String: Any])?["pages"] as? Int ?? 0
            page += 1
        } while page <= pages
        #expect(stored.count == facts.tickets)
        let missing = before.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "acknowledged before the backup began, missing from it: \(missing.prefix(5))")
        let created = try await Self.createdEvents(in: restored)
        #expect(created == stored, "every ticket in the copy has its ticket_created event, and no event a ticket lacks")
    }

    /// The ticket ids the restored event log announces as created (read through the store).
    static func createdEvents(in data: URL) async throws -> Set<String> {
        let store = try SQLiteTicketStore(path: data.appendingPathComponent("docket.sqlite").path)
        defer { try? store.close() }
        let events = try await store.liveEvents(tenantId: "default", after: 0, limit: 1_000_000)
        return Set(events.filter { $0.type == .ticketCreated }.compactMap(\.ticketId))
    }

    @Test func aBackupNeverOverwritesAndARestoreNeverReplacesAStore() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let root = try Scratch.directory("backup-refusals")
        let data = root.appendingPathComponent("data")
        let missing = try await DurabilityTests.cli(["backup", root.appendingPathComponent("b").path, "--data-dir", data.path], environment: [:], errors: true)
        #expect(missing.status != 0 && missing.output.contains("no embedded store"), "\(missing.output)")
        let mongo = try await DurabilityTests.cli(["backup", root.appendingPathComponent("b").path, "--mongo-uri", "mongodb://127.0.0.1:1/x"], environment: [:], errors: true)
        #expect(mongo.status != 0 && mongo.output.contains("mongodump --oplog"), "\(mongo.output)")
        let incomplete = root.appendingPathComponent("incomplete")
        try FileManager.default.createDirectory(at: incomplete, withIntermediateDirectories: true)
        let refused = try await DurabilityTests.cli(["restore", incomplete.path, "--data-dir", data.path], environment: [:], errors: true)
        #expect(refused.status != 0 && refused.output.contains("no backup.json"), "\(refused.output)")
    }
}
