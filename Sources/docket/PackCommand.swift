import ArgumentParser
import DocketAssembly
import DocketCore
import DocketPacks
import DocketRules
import Foundation

struct PackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack", abstract: "Validate, test and measure an industry pack.",
        subcommands: [Validate.self, Test.self, Bench.self, Simulate.self])

    struct Location: ParsableArguments {
        @Argument(help: "The pack's folder, e.g. IndustryPacks/luxfree-solar.")
        var directory: String
        @Option(help: "Directory of the Rules/ standard library (default: Rules next to the packs folder).")
        var rulesDir: String?

        var folder: URL { URL(fileURLWithPath: directory).standardizedFileURL }
        var loader: PackLoader { PackLoader(root: folder.deletingLastPathComponent()) }
        var rulesRoot: URL {
            rulesDir.map { URL(fileURLWithPath: $0) } ?? folder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Rules")
        }

        func inspector() throws -> BundleInspector { try BundleInspector(rulesRoot: rulesRoot, limits: RuleLimits()) }

        /// The pack read and decoded; problems are printed as file:line and exit non-zero.
        func load() throws -> LoadedPack {
            do {
                return try loader.loadAll(folder.lastPathComponent)
            } catch {
                error.problems.forEach { print($0) }
                throw ExitCode.failure
            }
        }

        func engine(workers: Int = 1) throws -> (LoadedPack, RulePack, LuaRuleEngine) {
            let loaded = try load()
            return (loaded, RulesSetup.rulePack(loaded), try inspector().engine(for: loaded, workers: workers))
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the manifest, compile every Lua file in the sandbox, check the handlers and run the fixtures.")
        @OptionGroup var location: Location

        func run() async throws {
            let loaded = try location.load()
            do {
                try await location.inspector().check(loaded)
            } catch let rejection as PackRejection {
                rejection.problems.forEach { print($0) }
                throw ExitCode.failure
            }
            print("\(loaded.manifest.id) \(loaded.manifest.version): valid (\(loaded.ruleSources.count) Lua files, \(loaded.fixtures.values.reduce(0) { $0 + $1.cases.count }) fixtures)")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the pack's fixtures (tests/*.yaml); failures print as file:line.")
        @OptionGroup var location: Location

        func run() async throws {
            let loaded = try location.load()
            let failures = try await location.inspector().fixtureFailures(loaded)
            let total = loaded.fixtures.values.reduce(0) { $0 + $1.cases.count }
            failures.forEach { print($0) }
            print("\(total - failures.count) of \(total) fixtures passed")
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }

    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a tenant's latest recorded events through the pack in DIR and show what would change. Reads only.")
        @OptionGroup var location: Location
        @Option(help: "Tenant whose events are replayed.")
        var tenant: String
        @Option(help: "How many of the latest events (1-500).")
        var limit: Int = 50
        @OptionGroup var installation: LocalInstallation
        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let loaded = try location.load()
            do {
                try await location.inspector().check(loaded)
            } catch let rejection as PackRejection {
                rejection.problems.forEach { print($0) }
                throw ExitCode.failure
            }
            var candidate = RulesSetup.rulePack(loaded)
            // The candidate runs under its own key so it never collides with a stored version.
            candidate.manifest.version += "+local"
            let (service, _) = try await installation.open(rulesRoot: location.rulesRoot, extraPacks: [candidate])
            let report = try await service.simulate(tenantId: tenant, candidate: candidate.manifest, limit: limit)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            print("tenant \(report.tenantId): \(report.events) events replayed, active \(report.activeVersion), candidate \(report.candidateVersion)")
            for result in report.results {
                let mark = result.changed ? "CHANGED" : "same   "
                print("\(mark) #\(result.seq) \(result.ticketId) \(result.event)")
                if result.changed {
                    print("        active:    \(result.active.joined(separator: ", "))")
                    print("        candidate: \(result.candidate.joined(separator: ", "))")
                }
                for error in result.candidateErrors { print("        error: \(error)") }
            }
            print("\(report.changed) of \(report.events) events would change")
        }
    }

    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Measure rule evaluation per event with the pack's first ticket.created fixture.")
        @OptionGroup var location: Location
        @Option(help: "Evaluations to time.")
        var iterations: Int = 100_000

        func run() async throws {
            let (loaded, pack, engine) = try location.engine()
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
            // Through the engine's API, one event at a time: adds the hop to a worker and back.
            let clock = ContinuousClock()
            let started = clock.now
            for _ in 0..<iterations { _ = await engine.evaluate(event, context: context, skipping: []) }
            let elapsed = clock.now - started
            let micros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
            let actions = outcomes.first?.actions.count ?? 0
            print(String(format: "%@: '%@', %d evaluations: %.2f µs per event on a worker, %.2f µs end to end through evaluate (%d actions each)",
                         pack.manifest.id, fixture.name, iterations, onWorker / 1000, micros / Double(iterations), actions))
        }
    }
}
