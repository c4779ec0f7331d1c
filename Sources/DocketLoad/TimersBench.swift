import ArgumentParser
import DocketAssembly
import DocketCore
import Foundation
import Logging

/// `docket-load timers`: N tickets each get a rule's timer at creation, all coming due within
/// about a minute; the real scheduler (`TimerScheduler`, on the wall clock) fires them while the
/// figures are taken: how late each fired after its due time, read from the `ticket_timer`
/// events the log keeps (their `at` against the `dueAt` they carry), and that each fired once.
/// With `--mongo-uri` and `--instances N`, N systems (each with a connection of its own, as N
/// servers have) share one MongoDB database and each runs its scheduler.
struct TimersBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timers",
        abstract: "Give N tickets a rule timer due within a minute on a scratch SQLite store (or a MongoDB database shared by several instances), and measure how late the scheduler fires each.")
    @Option(help: "Tickets, one timer each.")
    var tickets: Int = 100_000
    @Option(help: "The timer's delay from each ticket's creation (the shortest is 1m).")
    var delay: String = "2m"
    @Option(help: "Concurrent creators.")
    var writers: Int = 8
    @Option(help: "Seconds the creations (and so the due times) are spread over; 0: as fast as they go.")
    var over: Int = 60
    @Option(help: "Directory of industry packs.")
    var packsDir: String = "./IndustryPacks"
    @Option(help: "Keep the store in this directory (default: a scratch one, removed at the end).")
    var dataDir: String?
    @Option(help: "Kill this process with SIGKILL this many seconds after the creations start (a crash in the middle); run again with --resume on the same --data-dir.")
    var dieAfter: Int?
    @Flag(help: "Create nothing: open --data-dir as a restarted server would, fire what is due and measure every timer of the run.")
    var resume = false
    @Option(help: "MongoDB URI (the database from its path, which should be a fresh one): the store instead of a scratch SQLite store.")
    var mongoUri: String?
    @Option(help: "Instances on the MongoDB store, each a system of its own (its own connection) running a scheduler; the first creates.")
    var instances: Int = 1

    func run() async throws {
        let dir: URL
        if let dataDir {
            dir = URL(fileURLWithPath: dataDir)
        } else {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("docket-timers-bench-\(UUID().uuidString)")
        }
        defer { if dataDir == nil { try? FileManager.default.removeItem(at: dir) } }
        guard !resume || dataDir != nil else { throw ValidationError("--resume needs the --data-dir of the run it resumes") }
        guard instances == 1 || (mongoUri != nil && !resume && dieAfter == nil) else {
            throw ValidationError("--instances needs --mongo-uri (instances share a MongoDB store), without --resume or --die-after")
        }
        let packs = resume ? dir.appendingPathComponent("IndustryPacks") : try Self.timerPacks(from: packsDir, into: dir, delay: delay)
        func configuration(_ instance: Int) throws -> Configuration {
            var flags = [
                "store.dataDir": dir.appendingPathComponent(instance == 0 ? "data" : "data-\(instance)").path, "packs.dir": packs.path,
                "events.retention": "\(tickets * 8)",
            ]
            if let mongoUri { flags["store.mongo.uri"] = mongoUri }
            return try Configuration(flags: flags, environment: [:])
        }
        var options = AssemblyOptions()
        options.tenantCacheSeconds = 60
        options.logger.logLevel = .warning
        try await DocketSystem.open(try configuration(0), options: options).use { system in
            let services = system.services
            let (service, logger) = (services.tickets, options.logger)
            if !resume {
                _ = try await services.tenants.provisionTenant(id: "bench", name: "Bench", packId: "luxfree-solar")
                try await system.stores.people.insertCustomer(Customer(
                    id: "c", tenantId: "bench", phoneNumber: "+525500000000", firstName: nil, lastName: nil, email: nil, createdAt: Date()))
            }
            let scheduler = Task { await TimerScheduler(tickets: service, logger: logger).run() }
            defer { scheduler.cancel() }
            // The other instances: a system each on the same database, running its scheduler.
            let (others, shared) = (try (1..<instances).map { try configuration($0) }, options)
            let more = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for other in others {
                        group.addTask {
                            try await DocketSystem.open(other, options: shared).use { system in
                                await TimerScheduler(tickets: system.services.tickets, logger: logger).run()
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            defer { more.cancel() }
            if instances > 1 { print("\(instances) instances on \(mongoUri ?? ""), each firing timers") }
            if let dieAfter {
                Task.detached {
                    try await Task.sleep(for: .seconds(dieAfter))
                    print("killing this process (SIGKILL) \(dieAfter) s after the creations started")
                    kill(getpid(), SIGKILL)
                }
            }
            let customer = Principal(tenantId: "bench", role: .customer, subject: "c")
            let seeding = ContinuousClock.now
            // Ticket n is created (so its timer comes due) n / tickets of the way through `over`.
            let spacing = Duration.seconds(Double(over) / Double(max(1, tickets)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<(resume ? 0 : writers) {
                    let (count, step) = (self.tickets, writers)
                    group.addTask {
                        for index in stride(from: writer, to: count, by: step) {
                            let slot = seeding + spacing * index
                            if slot > ContinuousClock.now { try await Task.sleep(until: slot) }
                            _ = try await service.createTicket(customer, NewTicket(subject: "Ticket \(index)", description: "Benchmark"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seeded = ContinuousClock.now - seeding
            if resume {
                print("resumed on \(dir.path): firing what is due, measuring all \(tickets) timers of the run")
            } else {
                print("created \(tickets) tickets with a \(delay) timer each in \(seeded) (asked: \(over) s; their timers come due over as long)")
            }
            // Wait for every timer: the ticket_timer events, read from the log until all are there.
            // The log numbers a tenant's events without gaps, but instances commit them out of
            // order: the reader goes on from the end of the run of ids it has all of (`after`),
            // and skips those it has seen beyond it.
            var lateness: [String: Double] = [:]
            var twice = 0
            var after = 0
            var seen = Set<Int>()
            let deadline = ContinuousClock.now + .seconds(Int(RuleTimer.seconds(delay) ?? 60) + 600)
            while lateness.count < tickets, ContinuousClock.now < deadline {
                let page = try await system.stores.liveEvents.liveEvents(tenantId: "bench", after: after, limit: 5_000)
                for event in page where seen.insert(event.id).inserted {
                    guard event.type == .ticketTimer, let ticketId = event.ticketId else { continue }
                    guard let due = Self.dueAt(event.data) else { continue }
                    if lateness[ticketId] != nil {
                        twice += 1
                        print("fired twice: \(ticketId)")
                    }
                    lateness[ticketId] = event.at.timeIntervalSince(due) * 1000
                }
                while seen.contains(after + 1) {
                    seen.remove(after + 1)
                    after += 1
                }
                if page.count < 5_000 { try await Task.sleep(for: .milliseconds(500)) }
            }
            let figures = Distribution(Array(lateness.values))
            print("fired \(lateness.count) of \(tickets) timers (\(twice) fired twice); lateness after the due time: \(figures.line)")
            let late = lateness.values.filter { $0 > 2_000 }.count
            print("fired more than 2 s late: \(late) (\(String(format: "%.2f", Double(late) * 100 / Double(max(1, lateness.count)))) %)")
        }
    }

    static func dueAt(_ data: String) -> Date? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any], let text = object["dueAt"] as? String else {
            return nil
        }
        return (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    /// The packs of `source` with a rule in luxfree-solar that sets a timer on every new ticket and
    /// tags the ticket when it fires (its triage fixtures, which do not expect the timer, left out).
    static func timerPacks(from source: String, into dir: URL, delay: String) throws -> URL {
        let packs = dir.appendingPathComponent("IndustryPacks")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: source), to: packs)
        let pack = packs.appendingPathComponent("luxfree-solar")
        try """
            function on_ticket_created(event, ctx)
              return { { type = "schedule", name = "bench", after = "\(delay)" } }
            end
            function on_ticket_timer(event, ctx)
              if event.details.name == "bench" then return { { type = "add_tag", tag = "timer_fired" } } end
            end
            """.write(to: pack.appendingPathComponent("rules/bench.lua"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: pack.appendingPathComponent("tests/triage.yaml"))
        let manifest = pack.appendingPathComponent("pack.yaml")
        try (try String(contentsOf: manifest, encoding: .utf8) + "  - file: rules/bench.lua\n    events: [ticket.created, ticket.timer]\n")
            .write(to: manifest, atomically: true, encoding: .utf8)
        return packs
    }
}
