import DocketCore
import DocketSQLite
import DocketTestSupport
import Foundation
import Testing

/// The scheduler across a real restart of `docket serve` on the embedded store: SLA timers and
/// rules' timers that came due while the process was dead fire once when it starts again — no
/// earlier, no twice.
@Suite("SLA and rule timers across a real restart")
struct SLARestartTests {
    /// The shipped packs, with luxfree-solar's urgent first response due in 60 s (warned at 50 %:
    /// the kill must come within 30 s of the create, which a loaded machine keeps).
    static func quickPacks(in root: URL) throws -> URL {
        let packs = root.appendingPathComponent("IndustryPacks")
        try FileManager.default.copyItem(at: packsRoot, to: packs)
        let manifest = packs.appendingPathComponent("luxfree-solar/pack.yaml")
        var text = try String(contentsOf: manifest, encoding: .utf8)
        for (from, to) in [
            ("urgent: { firstResponse: 15m,", "urgent: { firstResponse: 60s,"),
            ("warning: { percent: 75, minutesBefore: 15 }", "warning: { percent: 50, minutesBefore: 0 }"),
        ] {
            try #require(text.contains(from), "pack.yaml no longer says \(from)")
            text = text.replacingOccurrences(of: from, with: to)
        }
        try text.write(to: manifest, atomically: true, encoding: .utf8)
        return packs
    }

    static func serve(_ data: URL, packs: URL) async throws -> (process: ChildProcess, port: Int) {
        try await DurabilityTests.serve(
            ["--data-dir", data.path, "--packs-dir", packs.path, "--log-level", "warning"], environment: ["DOCKET_JWT_SECRET": DurabilityTests.secret])
    }

    @Test func timersDueWhileTheServerWasDeadFireOnceAtTheNextStart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let root = try Scratch.directory("sla-restart")
        let (packs, data) = (try Self.quickPacks(in: root), root.appendingPathComponent("data"))
        var (server, port) = try await Self.serve(data, packs: packs)
        let customer = try await DurabilityTests.token(dataDir: data)
        let admin = try await DurabilityTests.token(dataDir: data, role: "admin", subject: "boss")
        let (status, body) = try await DurabilityTests.request(
            "POST", "http://127.0.0.1:\(port)/api/v2/tickets", token: customer,
            body: #"{"subject":"Poste inclinado","description":"El poste se ve inclinado","priority":"urgent"}"#)
        try #require(status == 201, "\(String(decoding: body, as: UTF8.self))")
        let ticket = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["ticket"] as? [String: Any])
        let id = try #require(ticket["ticketId"] as? String)
        let due = try #require(((ticket["sla"] as? [String: Any])?["firstResponseDueAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
        // Dead before the warning (30 s) fired — the log says so, not a clock — and both the warning
        // and the breach come due while it is.
        kill(server.processIdentifier, SIGKILL)
        await server.exited()
        #expect(try await Self.slaEvents(data, ticket: id).isEmpty, "nothing fired before the kill")
        while Date() < due.addingTimeInterval(1) { try await Task.sleep(for: .milliseconds(100)) }

        (server, port) = try await Self.serve(data, packs: packs)
        // The breach rule tags the ticket: wait for it (at most a minute).
        let deadline = ContinuousClock.now + .seconds(60)
        var tags: [String] = []
        while !tags.contains("sla_vencido"), ContinuousClock.now < deadline {
            let (_, read) = try await DurabilityTests.request("GET", "http://127.0.0.1:\(port)/api/v2/tickets/\(id)", token: admin)
            tags = ((try? JSONSerialization.jsonObject(with: read) as? [String: Any])?["ticket"] as? [String: Any])?["tags"] as? [String] ?? []
            if !tags.contains("sla_vencido") { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(tags.contains("sla_vencido"), "the breach fired after the restart")
        server.terminate()
        await server.exited()
        #expect(server.terminationStatus == 0)

        // Once each: the first response's warning and breach, in the log.
        let events = try await Self.slaEvents(data, ticket: id)
        #expect(events.filter { $0 == "sla_warning" }.count == 1, "\(events)")
        #expect(events.filter { $0 == "sla_breached" }.count == 1, "\(events)")
    }

    /// A rule's timer (the shortest, 1 minute) set at creation; the server killed at once; the
    /// timer fires once at the next start, through the rules.
    @Test func aRuleTimerDueWhileTheServerWasDeadFiresOnceAtTheNextStart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let root = try Scratch.directory("timer-restart")
        let packs = root.appendingPathComponent("IndustryPacks")
        try FileManager.default.copyItem(at: packsRoot, to: packs)
        let pack = packs.appendingPathComponent("luxfree-solar")
        try """
            function on_ticket_created(event, ctx)
              return { { type = "schedule", name = "check", after = "1m" } }
            end
            function on_ticket_timer(event, ctx)
              if event.details.name == "check" then return { { type = "add_tag", tag = "timer_fired" } } end
            end
            """.write(to: pack.appendingPathComponent("rules/check.lua"), atomically: true, encoding: .utf8)
        // Its triage fixtures do not expect the timer's action.
        try FileManager.default.removeItem(at: pack.appendingPathComponent("tests/triage.yaml"))
        let manifest = pack.appendingPathComponent("pack.yaml")
        try (try String(contentsOf: manifest, encoding: .utf8) + "  - file: rules/check.lua\n    events: [ticket.created, ticket.timer]\n")
            .write(to: manifest, atomically: true, encoding: .utf8)
        let data = root.appendingPathComponent("data")
        var (server, port) = try await Self.serve(data, packs: packs)
        let customer = try await DurabilityTests.token(dataDir: data)
        let admin = try await DurabilityTests.token(dataDir: data, role: "admin", subject: "boss")
        let (status, body) = try await DurabilityTests.request(
            "POST", "http://127.0.0.1:\(port)/api/v2/tickets", token: customer, body: #"{"subject":"Medidor","description":"El medidor no marca"}"#)
        try #require(status == 201, "\(String(decoding: body, as: UTF8.self))")
        let created = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["ticket"] as? [String: Any])
        let id = try #require(created["ticketId"] as? String)
        #expect(created["timers"] == nil, "a customer does not see the timers")
        let (_, staffRead) = try await DurabilityTests.request("GET", "http://127.0.0.1:\(port)/api/v2/tickets/\(id)", token: admin)
        let ticket = try #require((try JSONSerialization.jsonObject(with: staffRead) as? [String: Any])?["ticket"] as? [String: Any])
        let timer = try #require((ticket["timers"] as? [[String: Any]])?.first { $0["name"] as? String == "check" }, "\(ticket["timers"] ?? "no timers")")
        let due = try #require((timer["dueAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
        kill(server.processIdentifier, SIGKILL)
        await server.exited()
        #expect(try await Self.events(data, ticket: id, [.ticketTimer]).isEmpty, "nothing fired before the kill")
        while Date() < due.addingTimeInterval(1) { try await Task.sleep(for: .milliseconds(200)) }

        (server, port) = try await Self.serve(data, packs: packs)
        let deadline = ContinuousClock.now + .seconds(60)
        var tags: [String] = []
        while !tags.contains("timer_fired"), ContinuousClock.now < deadline {
            let (_, read) = try await DurabilityTests.request("GET", "http://127.0.0.1:\(port)/api/v2/tickets/\(id)", token: admin)
            tags = ((try? JSONSerialization.jsonObject(with: read) as? [String: Any])?["ticket"] as? [String: Any])?["tags"] as? [String] ?? []
            if !tags.contains("timer_fired") { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(tags.contains("timer_fired"), "the timer fired after the restart")
        server.terminate()
        await server.exited()
        #expect(server.terminationStatus == 0)
        #expect(try await Self.events(data, ticket: id, [.ticketTimer]) == ["ticket_timer"])
    }

    /// The SLA events the log holds for `ticket`, in order (read through the store, the server stopped).
    static func slaEvents(_ data: URL, ticket: String) async throws -> [String] {
        try await events(data, ticket: ticket, [.slaWarning, .slaBreached])
    }

    /// The events of `types` the log holds for `ticket`, in order (read through the store, the server stopped).
    static func events(_ data: URL, ticket: String, _ types: Set<LiveEventType>) async throws -> [String] {
        let store = try SQLiteTicketStore(path: data.appendingPathComponent("docket.sqlite").path)
        defer { try? store.close() }
        return try await store.liveEvents(tenantId: "default", after: 0, limit: 100_000)
            .filter { $0.ticketId == ticket && types.contains($0.type) }.map(\.type.rawValue)
    }
}
