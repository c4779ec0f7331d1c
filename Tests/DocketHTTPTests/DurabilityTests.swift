import DocketTestSupport
import DocketCore
import DocketMongo
import DocketSQLite
import Foundation
import Synchronization
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

    /// `docket serve` on a port the kernel chooses, once it answers /health: the server holds its
    /// port from the start (a port picked here and handed over could be taken in between).
    static func serve(dataDir: URL, extra: [String] = []) async throws -> (process: ChildProcess, port: Int) {
        try await serve(
            ["--data-dir", dataDir.path, "--packs-dir", packsRoot.path, "--log-level", "warning"] + extra,
            environment: ["DOCKET_JWT_SECRET": secret])
    }

    /// `docket serve ARGUMENTS --port 0` (in `directory`, with `environment` laid over this
    /// process's; nil removes a variable), once it answers /health.
    static func serve(
        _ arguments: [String], environment changes: [String: String?] = [:], in directory: URL? = nil
    ) async throws -> (process: ChildProcess, port: Int) {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("docket-port-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: portFile) }
        let process = ChildProcess()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--port-file", portFile.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in changes { environment[key] = value }
        process.environment = environment
        if let directory { process.currentDirectoryURL = directory }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, process.isRunning {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                try await waitForHealth(port: port)
                return (process, port)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw DocketError(.storeUnavailable, "docket serve did not say its port within two minutes (exited: \(!process.isRunning))")
    }

    static func request(_ method: String, _ url: String, token: String? = nil, body: String? = nil, headers: [String: String] = [:]) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Runs the real `docket` with `arguments` (in `directory`, when given); `environment` is laid
    /// over this process's (nil removes a variable). Standard error goes with the output only
    /// when `errors` is true.
    static func cli(
        _ arguments: [String], environment changes: [String: String?], errors: Bool = false, in directory: URL? = nil,
        binary: URL = DurabilityTests.binary
    ) async throws -> (status: Int32, output: String) {
        let process = ChildProcess()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in changes { environment[key] = value }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        if errors { process.standardError = pipe }
        try process.run()
        // The child's output to its end and its exit, on a thread of their own (a command may run
        // for seconds; Swift's pool has as many threads as the machine has cores).
        let output = await onAThread {
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return output
        }
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Every ticket id of the `default` tenant.
    static func storedTickets(_ store: any TicketStore) async throws -> [String] {
        var query = TicketQuery()
        query.limit = 100
        var stored: [String] = []
        for page in 1... {
            query.page = page
            let items = try await store.listTickets(tenantId: "default", query: query).items.map(\.ticketId)
            stored += items
            if items.count < 100 { break }
        }
        return stored
    }

    /// Waits for the server to answer /health: a debug build validating every shipped pack at
    /// its first start, next to the rest of the suite, can take well over 10 s.
    static func waitForHealth(port: Int) async throws {
        for _ in 0..<1_200 {
            if let (status, _) = try? await request("GET", "http://127.0.0.1:\(port)/health"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("server on port \(port) did not become healthy")
    }

    static func token(dataDir: URL, role: String = "customer", subject: String = "kill-test") async throws -> String {
        try await cli(
            ["token", "--tenant", "default", "--role", role, "--subject", subject, "--data-dir", dataDir.path],
            environment: ["DOCKET_JWT_SECRET": secret]
        ).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func acknowledgedTicketsSurviveKillMinusNine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the docket product first")
        let dataDir = try Scratch.directory("kill")
        let token = try await Self.token(dataDir: dataDir)
        var (server, port) = try await Self.serve(dataDir: dataDir)

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
        await server.exited()
        #expect(server.terminationReason == .uncaughtSignal)

        (server, port) = try await Self.serve(dataDir: dataDir)
        defer {
            server.stopInBackground()
        }
        let (status, data) = try await Self.request("GET", "http://127.0.0.1:\(port)/api/v2/tickets?limit=100&sortOrder=asc", token: token)
        #expect(status == 200)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let stored = ((json?["tickets"] as? [[String: Any]]) ?? []).compactMap { $0["ticketId"] as? String }
        #expect(acknowledged.count == 60)
        #expect(stored == acknowledged)
    }

    /// The transactional outbox under SIGKILL: rounds of concurrent creates and claims, each
    /// round killed at a random moment; afterwards every stored ticket (acknowledged or not) has
    /// its events in the log, every acknowledged claim its claim event, once each, in id order,
    /// and every stored ticket its recorded rule event.
    @Test func everyStoredChangeHasItsEventsAfterKillMinusNineAtRandomMoments() async throws {
        let dataDir = try Scratch.directory("outbox-kill")
        try await Self.outboxUnderKill(dataDir: dataDir, extra: []) {
            let store = try SQLiteTicketStore(path: dataDir.appendingPathComponent("docket.sqlite").path)
            return (store, { try store.close() })
        }
    }

    /// The same on MongoDB, where a change's messages and events ride in its ticket's write and
    /// are moved out after it: a restart moves what a kill stranded, and the log then holds every
    /// event once, in id order (ids taken by a killed mover leave gaps).
    @Test(.enabled(if: TestStores.runsMongo)) func onMongoEveryStoredChangeHasItsEventsAfterKillMinusNine() async throws {
        let uri = try TestStores.requireMongoURI()
        let dataDir = try Scratch.directory("outbox-kill-mongo")
        let database = "docket_kill_\(UUID().uuidString.prefix(8).lowercased())"
        let shared = try #require(LiveMongoTests.withDatabase(uri, database))
        // The stand-in is slower: longer rounds, fewer writes.
        try await Self.outboxUnderKill(
            dataDir: dataDir, extra: ["--mongo-uri", shared], gapless: false, killAfter: 1_000...3_000, minimum: 10,
            open: { (try await MongoTicketStore.open(try MongoConnection(uri: shared)), {}) },
            settled: { store in
                let mongo = try #require(store as? MongoTicketStore)
                #expect(try await mongo.moveStrandedOutboxes() == 0, "the restarted server moved every stranded batch")
            })
    }

    static func outboxUnderKill(
        dataDir: URL, extra: [String], gapless: Bool = true, killAfter window: ClosedRange<Int> = 150...900, minimum: Int = 20,
        open: () async throws -> (any TicketStore, () throws -> Void),
        settled: (any TicketStore) async throws -> Void = { _ in }
    ) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the docket product first")
        let customer = try await Self.token(dataDir: dataDir)
        let agent = try await Self.token(dataDir: dataDir, role: "agent", subject: "ana")
        let admin = try await Self.token(dataDir: dataDir, role: "admin", subject: "boss")
        final class Acknowledged: Sendable {
            let state = Mutex<(created: [String], claimed: [String])>(([], []))
            func withLock<T>(_ body: (inout (created: [String], claimed: [String])) -> T) -> T { state.withLock { body(&$0) } }
        }
        let acknowledged = Acknowledged()
        var generator = SystemRandomNumberGenerator()
        let rounds = 5
        for round in 0..<rounds {
            let (server, port) = try await Self.serve(dataDir: dataDir, extra: extra)
            if round == 0 {
                _ = try await Self.request(
                    "POST", "http://127.0.0.1:\(port)/api/v2/agents", token: admin, body: #"{"id":"ana","name":"Ana","email":"ana@x.mx"}"#)
            }
            let killAfter = Duration.milliseconds(Int.random(in: window, using: &generator))
            let pid = server.processIdentifier
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<6 {
                    group.addTask {
                        for index in 0..<10_000 {
                            do {
                                let (status, data) = try await Self.request(
                                    "POST", "http://127.0.0.1:\(port)/api/v2/tickets", token: customer,
                                    body: #"{"subject":"Corte \#(round)-\#(writer)-\#(index)","description":"Sin luz"}"#)
                                guard status == 201,
                                    let id = ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["ticket"] as? [String: Any])?["ticketId"] as? String
                                else { continue }
                                acknowledged.withLock { $0.created.append(id) }
                                guard index % 2 == 0 else { continue }
                                let (claimed, _) = try await Self.request("POST", "http://127.0.0.1:\(port)/api/v2/tickets/\(id)/claim", token: agent)
                                if claimed == 200 { acknowledged.withLock { $0.claimed.append(id) } }
                            } catch {
                                return  // the server is gone
                            }
                        }
                    }
                }
                group.addTask {
                    // The window opens at the round's first acknowledged write (a loaded machine
                    // may take a while to get there), then the kill comes at a random moment.
                    let before = acknowledged.withLock { $0.created.count }
                    for _ in 0..<600 where acknowledged.withLock({ $0.created.count }) == before {
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                    try? await Task.sleep(for: killAfter)
                    kill(pid, SIGKILL)
                }
            }
            await server.exited()
            #expect(server.terminationReason == .uncaughtSignal)
        }
        let (created, claimed) = acknowledged.withLock { $0 }
        #expect(created.count > minimum, "the rounds wrote something before each kill")

        // One more start, as after a crash: MongoDB's sweeper moves what the last kill stranded.
        let (last, _) = try await Self.serve(dataDir: dataDir, extra: extra)
        let (store, close) = try await open()
        // Until every stored ticket's creation event is in the log (the sweeper's work on MongoDB;
        // at once on SQLite), or a minute: the checks below then say what is missing.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let announced = Set(try await store.liveEvents(tenantId: "default", after: 0, limit: 1_000_000).filter { $0.type == .ticketCreated }.compactMap(\.ticketId))
            if Set(try await Self.storedTickets(store)).isSubset(of: announced) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        last.terminate()
        await last.exited()
        try await settled(store)

        let log = try await store.liveEvents(tenantId: "default", after: 0, limit: 1_000_000)
        if gapless {
            #expect(log.map(\.id) == Array(1...max(1, log.count)).prefix(log.count).map { $0 }, "ids from 1 without gaps, in order")
        } else {
            #expect(zip(log, log.dropFirst()).allSatisfy { $0.id < $1.id }, "ids in order, none twice")
        }
        let stored = try await Self.storedTickets(store)
        func count(_ type: LiveEventType, _ ticketId: String) -> Int { log.filter { $0.type == type && $0.ticketId == ticketId }.count }
        #expect(Set(created).isSubset(of: Set(stored)), "every acknowledged create is stored")
        for id in stored {
            #expect(count(.ticketCreated, id) == 1, "\(id): its creation event, once")
            #expect(count(.newPendingTicket, id) + count(.ticketAssigned, id) == 1, "\(id): pending or assigned, once")
        }
        for id in claimed { #expect(count(.ticketClaimed, id) == 1, "\(id): its claim event, once") }
        let recorded = Set(try await store.recentRuleEvents(tenantId: "default", limit: 10_000).filter { $0.type == .ticketCreated }.map(\.ticketId))
        #expect(Set(stored).isSubset(of: recorded), "every stored ticket's rule event was recorded with it")
        print("outbox under kill -9 (\(store)): \(rounds) rounds, \(created.count) creates and \(claimed.count) claims acknowledged, \(stored.count) tickets stored, \(log.count) events")
        try close()
    }
}
