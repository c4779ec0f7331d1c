import DocketCore
import Foundation

/// Runs a pack's fixtures through the engine.
public struct PackTester: Sendable {
    public struct Failure: Sendable, CustomStringConvertible {
        public var file: String
        public var caseIndex: Int
        public var name: String
        public var message: String

        public var description: String { "\(file): case \(caseIndex + 1) '\(name)': \(message)" }
    }

    let engine: LuaRuleEngine
    let pack: RulePack

    public init(engine: LuaRuleEngine, pack: RulePack) {
        self.engine = engine
        self.pack = pack
    }

    /// Runs every case of `fixtures` (read from `file`); returns the failures (empty when all pass).
    public func run(_ fixtures: RuleFixtureFile, file: String) async -> [Failure] {
        await results(fixtures, file: file).compactMap { result in
            result.passed ? nil : Failure(file: file, caseIndex: result.index, name: result.name, message: result.message ?? "")
        }
    }

    /// Every case of `fixtures` with what it expected and what the rules did.
    public func results(_ fixtures: RuleFixtureFile, file: String) async -> [FixtureCaseResult] {
        var results: [FixtureCaseResult] = []
        let tenant = Tenant(id: "fixture", name: "fixture", pack: pack.manifest, createdAt: Date(timeIntervalSince1970: 0))
        for (index, fixture) in fixtures.cases.enumerated() {
            func fail(_ message: String, actual: [[String: String]]? = nil) {
                results.append(FixtureCaseResult(
                    file: file, index: index, name: fixture.name, passed: false, expected: fixture.expect, actual: actual, message: message))
            }
            guard let type = RuleEventType(rawValue: fixture.event) else { fail("unknown event '\(fixture.event)'"); continue }
            guard let nowText = fixture.now ?? fixtures.defaults?.now, let now = Self.date(nowText) else {
                fail("'now' is missing or not ISO 8601"); continue
            }
            let agents = (fixture.agents ?? fixtures.defaults?.agents ?? []).map { agent in
                AgentView(
                    agent: Agent(
                        id: agent.id, tenantId: tenant.id, name: agent.name, email: nil, role: .agent, skills: agent.skills ?? [],
                        capacity: agent.capacity ?? 10, createdAt: now),
                    openTickets: agent.openTickets ?? 0, presence: agent.presence ?? .online)
            }
            let input = fixture.ticket
            let customer = (fixture.customer ?? fixtures.defaults?.customer).map {
                CustomerView(id: "customer", tier: $0.tier, totalTickets: $0.totalTickets ?? 0)
            } ?? CustomerView(id: "customer", tier: nil, totalTickets: 0)
            let ticket = Ticket(
                tenantId: tenant.id, ticketId: type == .ticketCreated ? "" : "FIX-0001", number: type == .ticketCreated ? 0 : 1,
                numberingYear: 2026, subject: input.subject, description: input.description,
                category: input.category ?? pack.manifest.defaultCategory, subcategory: nil, priority: input.priority ?? .medium,
                status: input.status ?? pack.manifest.workflow.initial, statusHistory: [], customerId: "customer",
                conversationId: nil, assignedAgent: input.assignedAgent, assignedAt: nil, location: nil,
                sla: TicketSLA(targets: pack.manifest.sla.target(for: input.priority ?? .medium), createdAt: now),
                resolution: nil, customerFeedback: nil, notes: [], tags: input.tags ?? [], escalation: nil, attachments: [],
                source: input.source ?? .web, createdAt: now, updatedAt: now, closedAt: nil, version: 1, queue: input.queue)
            var withFields = ticket
            withFields.fields = input.fields
            let context = RuleContext(tenant: tenant, agents: agents, customer: customer, now: now)
            let outcomes = await engine.evaluate(
                RuleEvent(type: type, ticket: withFields, details: fixture.details ?? [:], actor: "fixture"), context: context, skipping: [])
            if let broken = outcomes.first(where: { $0.error != nil }) {
                fail("\(broken.rule) failed: \(broken.error ?? "")")
                continue
            }
            let actual = outcomes.flatMap(\.actions).map(\.fields)
            if actual != fixture.expect {
                fail("expected \(Self.describe(fixture.expect)), got \(Self.describe(actual))", actual: actual)
                continue
            }
            if let steps = fixture.then {
                var clock = VirtualClock(ticket: withFields, context: context, tenant: tenant)
                if let problem = clock.take(outcomes) { fail(problem); continue }
                if let (step, problem, stepActual) = await clock.run(steps, engine: engine) {
                    fail("then[\(step)] (after \(clock.elapsed)): \(problem)", actual: stepActual)
                    continue
                }
            }
            results.append(FixtureCaseResult(
                file: file, index: index, name: fixture.name, passed: true, expected: fixture.expect, actual: actual, message: nil))
        }
        return results
    }

    /// A case's timers on a virtual clock: what its `schedule` and `cancel_timer` actions set,
    /// fired as the `then` steps move the clock on.
    struct VirtualClock {
        var ticket: Ticket
        var context: RuleContext
        let tenant: Tenant
        let start: Date

        init(ticket: Ticket, context: RuleContext, tenant: Tenant) {
            self.ticket = ticket
            self.context = context
            self.tenant = tenant
            start = context.now
        }

        var elapsed: String {
            let minutes = Int(context.now.timeIntervalSince(start) / 60)
            return minutes % 60 == 0 ? "\(minutes / 60)h" : "\(minutes / 60)h\(minutes % 60)m"
        }

        /// Applies the timer actions of `outcomes` as the core would; a problem when one is refused.
        mutating func take(_ outcomes: [RuleOutcome]) -> String? {
            for outcome in outcomes {
                for action in outcome.actions {
                    switch action {
                    case .schedule(let name, let after, let business, let keep):
                        do {
                            try RuleTimer.set(
                                &ticket, name: name, after: after, business: business, keep: keep, rule: outcome.rule, repeats: 0,
                                calendar: tenant.businessHours, now: context.now)
                        } catch let error as DocketError {
                            return "\(action.summary) would be rejected: \(error.message)"
                        } catch {
                            return "\(action.summary) would be rejected: \(error)"
                        }
                    case .cancelTimer(let name):
                        ticket.timers?.removeAll { $0.name == name }
                    default:
                        continue
                    }
                }
            }
            return nil
        }

        /// Runs the steps; the first that fails, with why and what its timers proposed.
        mutating func run(_ steps: [FixtureStep], engine: LuaRuleEngine) async -> (Int, String, [[String: String]]?)? {
            for (index, step) in steps.enumerated() {
                guard let seconds = RuleTimer.seconds(step.advance) else {
                    return (index, "advance '\(step.advance)' is not a delay (30m, 2h, 1d12h)", nil)
                }
                context.now = context.now.addingTimeInterval(TimeInterval(seconds))
                if let status = step.status { ticket.status = status }
                if let agent = step.assignedAgent { ticket.assignedAgent = agent }
                var actual: [[String: String]] = []
                let due = (ticket.timers ?? []).filter { $0.dueAt <= context.now }.sorted { ($0.dueAt, $0.name) < ($1.dueAt, $1.name) }
                ticket.timers?.removeAll { $0.dueAt <= context.now }
                for timer in due {
                    let event = RuleEvent(
                        type: .ticketTimer, ticket: ticket,
                        details: ["name": timer.name, "dueAt": CivilTime.iso8601(timer.dueAt), "setBy": timer.setBy, "repeats": String(timer.repeats)],
                        actor: "scheduler")
                    let outcomes = await engine.evaluate(event, context: context, skipping: [])
                    if let broken = outcomes.first(where: { $0.error != nil }) {
                        return (index, "\(broken.rule) failed on timer '\(timer.name)': \(broken.error ?? "")", nil)
                    }
                    actual += outcomes.flatMap(\.actions).map(\.fields)
                    if let problem = take(outcomes) { return (index, problem, actual) }
                }
                if actual != step.expect {
                    return (index, "expected \(PackTester.describe(step.expect)), got \(PackTester.describe(actual))", actual)
                }
            }
            return nil
        }
    }

    static func date(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    static func describe(_ actions: [[String: String]]) -> String {
        "[" + actions.map { action in
            "{" + action.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }.joined(separator: ", ") + "]"
    }
}
