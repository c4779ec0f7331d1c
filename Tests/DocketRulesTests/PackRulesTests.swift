import DocketCore
import DocketPacks
import Foundation
import Testing

@testable import DocketRules

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let packsFolder = repositoryRoot.appendingPathComponent("IndustryPacks")
let rulesFolder = repositoryRoot.appendingPathComponent("Rules")

func standardLibrary() throws -> [StandardModule] {
    try PackLoader.standardLibrary(rulesRoot: rulesFolder).map { StandardModule(name: $0.name, source: $0.source, path: $0.path) }
}

func rulePack(_ loaded: LoadedPack) -> RulePack {
    RulePack(manifest: loaded.manifest, sources: loaded.ruleSources, location: loaded.location)
}

@Suite("Rules standard library")
struct StandardLibraryTests {
    static var cases: [String] {
        let modules = (try? PackLoader.libraryTests(rulesRoot: rulesFolder)) ?? []
        return modules.map(\.name)
    }

    /// The arguments above cannot throw: this says so when the library's tests cannot be read
    /// (or there are none), instead of the parameterized test silently running nothing.
    @Test func theLibraryHasLuaTests() throws {
        #expect(try !PackLoader.libraryTests(rulesRoot: rulesFolder).isEmpty)
    }

    @Test(arguments: cases)
    func luaTestsPass(module: String) throws {
        let sandbox = try LuaSandbox(limits: RuleLimits())
        for library in try standardLibrary() {
            try sandbox.define(library.name, source: library.source, chunkName: "@\(library.path)", stdlib: true)
        }
        let test = try #require(try PackLoader.libraryTests(rulesRoot: rulesFolder).first { $0.name == module })
        try sandbox.define(test.name, source: test.source, chunkName: "@\(test.path)", stdlib: false)
        try sandbox.define("runner", source: """
            local T = require("\(module)")
            function names() local out = {} for k in pairs(T) do out[#out + 1] = k end table.sort(out) return out end
            function run(name) T[name]() return true end
            """, chunkName: "@runner.lua", stdlib: false)
        let names = try sandbox.call(file: "runner", function: "names", arguments: []).arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!names.isEmpty)
        for name in names {
            do {
                #expect(try sandbox.call(file: "runner", function: "run", arguments: [.string(name)]) == true)
            } catch {
                Issue.record("\(module).\(name): \(error)")
            }
        }
    }

    @Test func everyModuleHasTests() throws {
        let modules = Set(try standardLibrary().map { $0.name.replacingOccurrences(of: "docket.", with: "") })
        let tested = Set(try PackLoader.libraryTests(rulesRoot: rulesFolder).map { $0.name.replacingOccurrences(of: "tests.", with: "").replacingOccurrences(of: "_test", with: "") })
        #expect(modules == tested)
    }
}

@Suite("Shipped packs")
struct ShippedPackTests {
    static var packs: [String] { PackLoader(root: packsFolder).availablePacks() }

    @Test(arguments: packs)
    func fixturesPass(packId: String) async throws {
        let loaded = try PackLoader(root: packsFolder).loadAll(packId)
        let pack = rulePack(loaded)
        let engine = try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 1)
        let tester = PackTester(engine: engine, pack: pack)
        var total = 0
        for (file, fixtures) in loaded.fixtures.sorted(by: { $0.key < $1.key }) {
            total += fixtures.cases.count
            for failure in await tester.run(fixtures, file: loaded.location + file) { Issue.record("\(failure)") }
        }
        #expect(total >= 12, "\(packId) has \(total) fixtures")
    }

    @Test func aFailingFixtureIsReportedWithItsFileAndCase() async throws {
        let loaded = try PackLoader(root: packsFolder).loadAll("luxfree-solar")
        let pack = rulePack(loaded)
        let engine = try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 1)
        var fixtures = try #require(loaded.fixtures["tests/triage.yaml"])
        fixtures.cases = [fixtures.cases[0]]
        fixtures.cases[0].expect = []
        let failures = await PackTester(engine: engine, pack: pack).run(fixtures, file: "IndustryPacks/luxfree-solar/tests/triage.yaml")
        #expect(failures.count == 1)
        #expect(failures.first?.description.hasPrefix("IndustryPacks/luxfree-solar/tests/triage.yaml: case 1 'sparks on a pole") == true)
    }

    @Test func aBrokenRuleFileFailsWithItsFileAndLine() throws {
        let loaded = try PackLoader(root: packsFolder).loadAll("luxfree-solar")
        var pack = rulePack(loaded)
        pack.sources["rules/triage.lua"] = "function on_ticket_created(event, ctx)\n  return {\nend\n"
        let error = #expect(throws: RuleError.self) { try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 1) }
        #expect(error?.message.contains("IndustryPacks/luxfree-solar/rules/triage.lua:3:") == true)
    }

    @Test func wrongActionShapesFailTheRuleAlone() async throws {
        let loaded = try PackLoader(root: packsFolder).loadAll("luxfree-solar")
        var pack = rulePack(loaded)
        pack.sources["rules/followup.lua"] = """
            function on_note_added() return { { type = "set_priority", priority = "extreme" } } end
            function on_status_changed() return 42 end
            """
        let engine = try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 1)
        let tenant = Tenant(id: "t", name: "t", pack: pack.manifest, createdAt: Date())
        let ticket = WorkflowFixtures.ticket(pack.manifest)
        let context = RuleContext(tenant: tenant, agents: [], now: Date())
        var outcomes = await engine.evaluate(RuleEvent(type: .noteAdded, ticket: ticket, actor: "x"), context: context, skipping: [])
        #expect(outcomes.first?.error?.contains("unknown priority 'extreme'") == true)
        outcomes = await engine.evaluate(RuleEvent(type: .statusChanged, ticket: ticket, actor: "x"), context: context, skipping: [])
        #expect(outcomes.first?.error?.contains("list of actions") == true)
        // The other rule file still runs.
        outcomes = await engine.evaluate(RuleEvent(type: .ticketCreated, ticket: ticket, actor: "x"), context: context, skipping: [])
        #expect(outcomes.count == 1 && outcomes[0].error == nil)
    }

    /// What a rule returns is read straight off the Lua stack: every wrong shape is refused
    /// with a message naming it, and nothing a returned table defines ever runs.
    @Test(arguments: [
        ("return { type = 'add_tag', tag = 'x' }", "list of actions (or nothing), not a table"),
        ("return { { type = 'add_tag', tag = 'x' }, extra = 1 }", "not both"),
        ("local t = {} for i = 1, 51 do t[i] = { type = 'add_tag', tag = 'x' } end return t", "at most 50 actions"),
        ("return { 'add_tag' }", "action 1: must be a table with a 'type', not a string"),
        ("return { { type = 'add_tag' } }", "action 1: 'tag' is required"),
        ("return { { type = 'add_tag', tag = 7 } }", "action 1: 'tag' must be a string, not a number"),
        ("return { { type = 'add_tag', tag = 'a' }, { type = 'explode' } }", "action 2: unknown action type 'explode'"),
        ("return { setmetatable({}, { __index = function() while true do end end }) }", "action 1: 'type' is required"),
        ("return { { type = 'add_internal_note', text = ('x'):rep(300000) } }", "too long"),
        ("return function() end", "not a function"),
        ("return { { type = 'assign', agent = 'a', strategy = 'least_loaded' } }", "exactly one of 'agent' or 'strategy'"),
    ])
    func resultShapesAreReadStrictly(body: String, message: String) async throws {
        let loaded = try PackLoader(root: packsFolder).loadAll("luxfree-solar")
        var pack = rulePack(loaded)
        pack.sources["rules/followup.lua"] = "function on_note_added(event, ctx)\n\(body)\nend\nfunction on_status_changed() end\n"
        let engine = try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 1)
        let tenant = Tenant(id: "t", name: "t", pack: pack.manifest, createdAt: Date())
        let context = RuleContext(tenant: tenant, agents: [], now: Date())
        let event = RuleEvent(type: .noteAdded, ticket: WorkflowFixtures.ticket(pack.manifest), actor: "x")
        let outcomes = await engine.evaluate(event, context: context, skipping: [])
        #expect(outcomes.first?.actions == [])
        #expect(outcomes.first?.error?.contains(message) == true, "\(outcomes.first?.error ?? "no error")")
        // A well-formed list still decodes in full, in order.
        pack.sources["rules/followup.lua"] = """
            function on_note_added() return { { type = "add_tag", tag = "a" }, { type = "assign", strategy = "round_robin" },
              { type = "escalate", reason = "r" }, { type = "notify", target = "staff", message = "m" } } end
            function on_status_changed() return {} end
            """
        let good = try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 1)
        let decoded = await good.evaluate(event, context: context, skipping: [])
        #expect(decoded.first?.error == nil)
        #expect(decoded.first?.actions == [
            .addTag("a"), .assign(agent: nil, strategy: "round_robin"), .escalate(to: nil, reason: "r"), .notify(target: "staff", message: "m"),
        ])
    }

    @Test func concurrentEvaluationsUseThePool() async throws {
        let loaded = try PackLoader(root: packsFolder).loadAll("luxfree-solar")
        let pack = rulePack(loaded)
        let engine = try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 2)
        let tenant = Tenant(id: "t", name: "t", pack: pack.manifest, createdAt: Date())
        var ticket = WorkflowFixtures.ticket(pack.manifest)
        ticket.subject = "Chispas"
        let frozen = ticket
        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    await engine.evaluate(
                        RuleEvent(type: .ticketCreated, ticket: frozen, actor: "x"),
                        context: RuleContext(tenant: tenant, agents: [], now: Date(timeIntervalSince1970: 1_795_000_000)), skipping: []
                    ).first?.actions.count ?? -1
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts.count == 200)
        #expect(Set(counts).count == 1)
        #expect(counts.first == 5)  // 02:53 in Mexico City: after hours, nobody on call, so a note too
    }
}

@Suite("Healthcare privacy")
struct HealthcarePrivacyTests {
    /// Whatever a patient writes, no note or tag a rule proposes contains a run of it.
    @Test func patientTextIsNeverCopiedIntoNotesOrTags() async throws {
        let loaded = try PackLoader(root: packsFolder).loadAll("healthcare")
        let pack = rulePack(loaded)
        let engine = try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 1)
        let tenant = Tenant(id: "t", name: "t", pack: pack.manifest, createdAt: Date())
        let context = RuleContext(tenant: tenant, agents: [], now: Date(timeIntervalSince1970: 1_795_017_600))
        let messages = [
            "Maria Gonzalez DOB 04/05/1961 has chest pain and HIV medication questions",
            "I feel suicidal, my therapist Dr. Stone at 555-0100 is away",
            "refill oxycodone 30mg for John Q Public, SSN 078-05-1120",
            "Trouble breathing after the new inhaler; insurance id ZXP-991-22",
            "my lab results show hepatitis, can I get a copy of my medical records",
        ]
        var proposals = 0
        for message in messages {
            var ticket = WorkflowFixtures.ticket(pack.manifest)
            ticket.subject = String(message.prefix(40))
            ticket.description = message
            var outcomes = await engine.evaluate(RuleEvent(type: .ticketCreated, ticket: ticket, actor: "p"), context: context, skipping: [])
            outcomes += await engine.evaluate(
                RuleEvent(type: .noteAdded, ticket: ticket, details: ["text": message, "author": "customer", "internal": "false"], actor: "p"),
                context: context, skipping: [])
            for action in outcomes.flatMap(\.actions) {
                let written: String
                switch action {
                case .addInternalNote(let text): written = text
                case .addTag(let tag): written = tag
                default: continue
                }
                proposals += 1
                // Any 12-character window of the patient's words appearing in the output is a leak.
                let chars = Array(message.lowercased())
                for start in 0...(max(0, chars.count - 12)) {
                    let window = String(chars[start..<min(chars.count, start + 12)])
                    #expect(!written.lowercased().contains(window), "'\(written)' copies '\(window)'")
                }
            }
        }
        #expect(proposals >= 6)
    }
}

enum WorkflowFixtures {
    static func ticket(_ manifest: PackManifest) -> Ticket {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        return Ticket(
            tenantId: "t", ticketId: "", number: 0, numberingYear: 2026, subject: "Hola", description: "Información",
            category: manifest.defaultCategory, subcategory: nil, priority: .medium, status: manifest.workflow.initial,
            statusHistory: [], customerId: "c", conversationId: nil, assignedAgent: nil, assignedAt: nil, location: nil,
            sla: TicketSLA(targets: manifest.sla.target(for: .medium), createdAt: now), resolution: nil, customerFeedback: nil,
            notes: [], tags: [], escalation: nil, attachments: [], source: .web, createdAt: now, updatedAt: now, closedAt: nil,
            version: 1)
    }
}
