import DocketCore
import DocketPacks
import Foundation
import Synchronization
import Testing

@testable import DocketRules

/// Rules evaluated on the request executor's threads (`WorkThreads`): in place, with the same
/// outcomes as on the engine's own workers; a version whose rules run long is sent back to its
/// own workers, so it cannot hold the threads every tenant's requests run on.
@Suite("Rules on the request threads")
struct InPlaceEvaluationTests {
    static let work = WorkThreads(count: 2, name: "test.rules.work")

    static func luxfree() throws -> RulePack { rulePack(try PackLoader(root: packsFolder).loadAll("luxfree-solar")) }

    static func event(_ pack: RulePack) -> (RuleEvent, RuleContext) {
        var ticket = WorkflowFixtures.ticket(pack.manifest)
        ticket.subject = "Chispas en el poste"
        ticket.description = "Salen chispas del poste frente a mi casa"
        let tenant = Tenant(id: "t-\(pack.manifest.version)", name: "t", pack: pack.manifest, createdAt: Date())
        return (RuleEvent(type: .ticketCreated, ticket: ticket, actor: "x"), RuleContext(tenant: tenant, agents: [], now: Date()))
    }

    @Test func onARequestThreadRulesRunInPlaceAndDecideAsOnTheirWorkers() async throws {
        let pack = try Self.luxfree()
        let engine = try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 2)
        let (event, context) = Self.event(pack)
        let runtime = try await engine.runtime(for: pack.key, packId: pack.manifest.id, version: pack.manifest.version)

        let hopped = await engine.evaluate(event, context: context, skipping: [])
        #expect(runtime.inPlace.load(ordering: .relaxed) == 0, "off the request threads, evaluations hop to a worker")
        let inPlace = await withTaskExecutorPreference(Self.work) {
            #expect(WorkThread.isCurrent)
            return await engine.evaluate(event, context: context, skipping: [])
        }
        #expect(runtime.inPlace.load(ordering: .relaxed) == 1)
        #expect(!hopped.isEmpty && hopped.allSatisfy { $0.error == nil })
        #expect(inPlace.map(\.rule) == hopped.map(\.rule))
        #expect(inPlace.map(\.actions) == hopped.map(\.actions))
        #expect(hopped.flatMap(\.actions).contains(.setPriority(.urgent)))
    }

    @Test func rulesSeeTheChannelATicketCameBy() async throws {
        var pack = try Self.luxfree()
        pack.manifest.version = "9.9.9-channel"
        pack.sources["rules/triage.lua"] = """
            function on_ticket_created(event, ctx)
              if event.ticket.channel == "email" then return { { type = "add_tag", tag = "by_" .. event.ticket.channel } } end
              return {}
            end
            """
        let engine = try LuaRuleEngine(packs: [pack], standardLibrary: try standardLibrary(), workers: 1)
        var (event, context) = Self.event(pack)
        event.ticket.source = .email
        let byMail = await engine.evaluate(event, context: context, skipping: [])
        #expect(byMail.flatMap(\.actions).contains(.addTag("by_email")), "\(byMail)")
        event.ticket.source = .web
        #expect(!(await engine.evaluate(event, context: context, skipping: [])).flatMap(\.actions).contains(.addTag("by_email")))
    }

    @Test func aVersionWhoseRulesRunLongHopsToItsOwnWorkersWhileTheOthersStayInPlace() async throws {
        let fast = try Self.luxfree()
        var slow = fast
        slow.manifest.version = "9.9.9-slow"
        slow.sources["rules/triage.lua"] = "function on_ticket_created(event, ctx) while true do end end\n"
        // Bounded by time: every slow evaluation runs its whole 30 ms.
        let limits = RuleLimits(instructionLimit: 10_000_000_000, memoryLimitBytes: 8 << 20, timeoutMs: 30)
        // Sent away for an hour, not 10 s: a loaded machine may stall this test for seconds.
        let engine = try LuaRuleEngine(
            packs: [fast, slow], standardLibrary: try standardLibrary(), limits: limits, workers: 2,
            inPlace: InPlacePolicy(hopNanos: 3_600_000_000_000))
        let slowRuntime = try await engine.runtime(for: slow.key, packId: slow.manifest.id, version: slow.manifest.version)
        let fastRuntime = try await engine.runtime(for: fast.key, packId: fast.manifest.id, version: fast.manifest.version)
        let (slowEvent, slowContext) = Self.event(slow)
        let (fastEvent, fastContext) = Self.event(fast)

        // The first long evaluation runs in place (nothing was known of it) and marks its version.
        let first = await withTaskExecutorPreference(Self.work) { await engine.evaluate(slowEvent, context: slowContext, skipping: []) }
        #expect(first.contains { $0.error?.hasPrefix("budget") == true })
        #expect(slowRuntime.inPlace.load(ordering: .relaxed) == 1)
        #expect(slowRuntime.hopping)

        // Then six long evaluations and forty short ones at once, all from the request threads.
        let progress = Progress()
        let outcomes = await withTaskExecutorPreference(Self.work) {
            await withTaskGroup(of: (Bool, [RuleOutcome]).self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let outcome = await engine.evaluate(slowEvent, context: slowContext, skipping: [])
                        progress.slowFinished()
                        return (true, outcome)
                    }
                }
                for _ in 0..<40 {
                    group.addTask {
                        let outcome = await engine.evaluate(fastEvent, context: fastContext, skipping: [])
                        progress.fastFinished()
                        return (false, outcome)
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(outcomes.count == 46)
        for (isSlow, outcome) in outcomes {
            if isSlow {
                #expect(outcome.contains { $0.error?.hasPrefix("budget") == true })
            } else {
                #expect(outcome.allSatisfy { $0.error == nil } && outcome.flatMap(\.actions).contains(.setPriority(.urgent)))
            }
        }
        // The long ones waited on their own version's two workers (three turns of 30 ms); the
        // short ones never waited for them and all ran in place on the request threads.
        #expect(slowRuntime.inPlace.load(ordering: .relaxed) == 1)
        #expect(fastRuntime.inPlace.load(ordering: .relaxed) == 40)
        #expect(progress.fastDoneWhenTheLastSlowFinished == 40, "the last long evaluation ended after every short one")
    }
}

/// How many short evaluations had ended as each long one ended.
private final class Progress: Sendable {
    private let state = Mutex((fastDone: 0, atSlowEnds: [Int]()))

    func fastFinished() { state.withLock { $0.fastDone += 1 } }
    func slowFinished() { state.withLock { $0.atSlowEnds.append($0.fastDone) } }
    var fastDoneWhenTheLastSlowFinished: Int? { state.withLock { $0.atSlowEnds.max() } }
}
