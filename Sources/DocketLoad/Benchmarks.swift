import ArgumentParser
@_spi(Benchmarks) import DocketAssembly
import DocketCore
import DocketPacks
@_spi(Benchmarks) import DocketRules
import Foundation

/// `docket-load rules DIR`: what a pack's rules cost per event, on a worker and through the engine.
struct RulesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Measure rule evaluation per event with the pack's first ticket.created fixture.")
    @Argument(help: "The pack's folder, e.g. IndustryPacks/luxfree-solar.")
    var directory: String
    @Option(help: "Directory of the Rules/ standard library (default: Rules next to the packs folder).")
    var rulesDir: String?
    @Option(help: "Evaluations to time.")
    var iterations: Int = 100_000

    func run() async throws {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL
        let rulesRoot = rulesDir.map { URL(fileURLWithPath: $0) }
            ?? folder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Rules")
        let loaded = try PackLoader(root: folder.deletingLastPathComponent()).loadAll(folder.lastPathComponent)
        let pack = RulesSetup.rulePack(loaded)
        let engine = try BundleInspector(rulesRoot: rulesRoot, limits: RuleLimits()).engine(for: loaded, workers: 1)
        guard let fixture = loaded.fixtures.values.flatMap(\.cases).first(where: { $0.event == "ticket.created" }) else {
            throw ValidationError("the pack has no ticket.created fixture to replay")
        }
        // The moment bench/rules_floor.c uses (Wednesday 10:00 in Mexico City, office open),
        // so both run the same path of the rule.
        let now = Date(timeIntervalSince1970: 1_795_017_600)
        let tenant = Tenant(id: "bench", name: "bench", pack: pack.manifest, createdAt: now)
        let ticket = Ticket(
            tenantId: "bench", ticketId: "", number: 0, numberingYear: 2026, subject: fixture.ticket.subject,
            description: fixture.ticket.description, category: fixture.ticket.category ?? pack.manifest.defaultCategory,
            subcategory: nil, priority: fixture.ticket.priority ?? .medium, status: pack.manifest.workflow.initial,
            statusHistory: [], customerId: "c", conversationId: nil, assignedAgent: nil, assignedAt: nil, location: nil,
            sla: TicketSLA(targets: pack.manifest.sla.target(for: .medium), createdAt: now), resolution: nil,
            customerFeedback: nil, notes: [], tags: [], escalation: nil, attachments: [], source: .web, createdAt: now,
            updatedAt: now, closedAt: nil, version: 1)
        let event = RuleEvent(type: .ticketCreated, ticket: ticket, actor: "bench")
        let context = RuleContext(tenant: tenant, agents: [], now: now)
        for _ in 0..<1000 { _ = await engine.evaluate(event, context: context, skipping: []) }
        // On the worker, back to back: what the rules cost per event (bench/rules_floor.c
        // measures the bare C call the same way).
        let (onWorker, outcomes) = try await engine.measure(event, context: context, iterations: iterations)
        // Through the engine's API, one event at a time, from the cooperative pool: adds the hop
        // to a worker and back. Then from a request thread (`WorkThreads`, where the server runs
        // requests): in place, no hop.
        let hopped = await Self.timed(iterations) { _ = await engine.evaluate(event, context: context, skipping: []) }
        let threads = WorkThreads(count: 1, name: "bench.work")
        let inPlace = await withTaskExecutorPreference(threads) {
            await Self.timed(iterations) { _ = await engine.evaluate(event, context: context, skipping: []) }
        }
        let actions = outcomes.first?.actions.count ?? 0
        print(String(format: "%@: '%@', %d evaluations: %.2f µs per event on a worker, %.2f µs end to end through evaluate, %.2f µs through evaluate on a request thread (%d actions each)",
                     pack.manifest.id, fixture.name, iterations, onWorker / 1000, hopped, inPlace, actions))
    }

    /// Mean microseconds of `body` over `iterations` calls in a row.
    static func timed(_ iterations: Int, _ body: () async -> Void) async -> Double {
        let clock = ContinuousClock()
        let started = clock.now
        for _ in 0..<iterations { await body() }
        let elapsed = clock.now - started
        return (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(max(1, iterations))
    }
}

/// `docket-load sla`: how fast the scheduler fires due SLA timers, on a scratch store built by
/// the composition root (the shipped pack's rules run on every warning and breach).
struct SLABench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sla",
        abstract: "Open N tickets on a scratch SQLite store, move the clock past every target and time the scheduler firing all warnings and breaches.")
    @Option(help: "Open tickets with timers.")
    var tickets: Int = 10_000
    @Option(help: "Directory of industry packs.")
    var packsDir: String = "./IndustryPacks"

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("docket-sla-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let start = Date(timeIntervalSince1970: 1_795_017_600)  // a Wednesday, 10:00 in Mexico City
        let clock = ManualClock(start)
        var options = AssemblyOptions.command
        options.clock = clock
        options.tenantCacheSeconds = 60
        let configuration = try Configuration(flags: ["store.dataDir": dir.path, "packs.dir": packsDir], environment: [:])
        try await DocketSystem.open(configuration, options: options).use { system in
            let services = system.services
            _ = try await services.tenants.provisionTenant(id: "bench", name: "Bench", packId: "luxfree-solar")
            try await system.stores.people.insertCustomer(Customer(
                id: "c", tenantId: "bench", phoneNumber: "+525500000000", firstName: nil, lastName: nil, email: nil, createdAt: start))
            let customer = Principal(tenantId: "bench", role: .customer, subject: "c")
            let priorities: [Priority] = [.low, .medium, .high, .urgent]
            let seeding = ContinuousClock.now
            for index in 0..<tickets {
                _ = try await services.tickets.createTicket(customer, NewTicket(subject: "Ticket \(index)", description: "Benchmark", priority: priorities[index % 4]))
            }
            print("opened \(tickets) tickets in \(ContinuousClock.now - seeding)")
            // Ten weeks later every target of every ticket is past due.
            clock.advance(by: 70 * 86_400)
            let firing = ContinuousClock.now
            var events = 0
            while true {
                let fired = try await services.tickets.fireDueTimers(limit: 500)
                if fired == 0 { break }
                events += fired
            }
            let elapsed = ContinuousClock.now - firing
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(String(format: "fired %d SLA events (warnings and breaches) for %d tickets in %.2f s: %.0f events/s, %.0f tickets/s",
                         events, tickets, seconds, Double(events) / seconds, Double(tickets) / seconds))
            let left = try await system.stores.timers.dueTimerTickets(before: clock.now(), limit: 10)
            print("timers still due: \(left.count)")
        }
    }
}
