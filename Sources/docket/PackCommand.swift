import ArgumentParser
import DocketCore
import DocketPacks
import DocketRules
import Foundation

struct PackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack", abstract: "Validate, test and measure an industry pack.",
        subcommands: [Validate.self, Test.self, Bench.self])

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

        func engine(workers: Int = 1) throws -> (LoadedPack, RulePack, LuaRuleEngine) {
            let loaded = try loader.loadAll(folder.lastPathComponent)
            let pack = RulesSetup.rulePack(loaded)
            let library = try PackLoader.standardLibrary(rulesRoot: rulesRoot).map {
                StandardModule(name: $0.name, source: $0.source, path: $0.path)
            }
            return (loaded, pack, try LuaRuleEngine(packs: [pack], standardLibrary: library, workers: workers))
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the manifest, compile every Lua file in the sandbox, check the handlers and run the fixtures.")
        @OptionGroup var location: Location

        func run() async throws {
            let (loaded, pack, engine) = try location.engine()
            var problems: [String] = []
            for spec in loaded.manifest.rules ?? [] {
                let defined = try engine.functions(in: pack, file: spec.file)
                for event in spec.events {
                    let handler = RuleEventType(rawValue: event)!.handlerName
                    if !defined.contains(handler) {
                        problems.append("\(loaded.location)\(spec.file): defines no function \(handler) for \(event)")
                    }
                }
            }
            problems += await Test.failures(loaded: loaded, pack: pack, engine: engine)
            guard problems.isEmpty else {
                problems.forEach { print($0) }
                throw ExitCode.failure
            }
            print("\(loaded.manifest.id) \(loaded.manifest.version): valid (\(pack.sources.count) Lua files, \(loaded.fixtures.values.reduce(0) { $0 + $1.cases.count }) fixtures)")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the pack's fixtures (tests/*.yaml).")
        @OptionGroup var location: Location

        static func failures(loaded: LoadedPack, pack: RulePack, engine: LuaRuleEngine) async -> [String] {
            var out: [String] = []
            for (file, fixtures) in loaded.fixtures.sorted(by: { $0.key < $1.key }) {
                out += await PackTester(engine: engine, pack: pack).run(fixtures, file: loaded.location + file).map(\.description)
            }
            return out
        }

        func run() async throws {
            let (loaded, pack, engine) = try location.engine()
            let failures = await Self.failures(loaded: loaded, pack: pack, engine: engine)
            let total = loaded.fixtures.values.reduce(0) { $0 + $1.cases.count }
            failures.forEach { print($0) }
            print("\(total - failures.count) of \(total) fixtures passed")
            if !failures.isEmpty { throw ExitCode.failure }
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
            let tenant = Tenant(id: "bench", name: "bench", pack: pack.manifest, createdAt: Date())
            let now = Date()
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
            let clock = ContinuousClock()
            let started = clock.now
            var actions = 0
            for _ in 0..<iterations { actions += await engine.evaluate(event, context: context, skipping: []).first?.actions.count ?? 0 }
            let elapsed = clock.now - started
            let micros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
            print(String(format: "%@: %d evaluations of '%@' in %.2f s: %.2f µs per event (%d actions each)",
                         pack.manifest.id, iterations, fixture.name, micros / 1e6, micros / Double(iterations), actions / iterations))
        }
    }
}
