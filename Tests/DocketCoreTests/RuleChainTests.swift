import DocketCore
import DocketWire
import DocketPacks
import DocketMemory
import DocketTestSupport
import Foundation
import Synchronization
import Testing

/// An engine whose every evaluation is a new rule that flips the priority, so each action
/// causes another event: only the depth limit ends the chain.
struct EndlessEngine: RuleEngine {
    func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome] {
        let next: Priority = event.ticket.priority == .low ? .high : .low
        return [RuleOutcome(rule: "flip-\(UUID().uuidString)", actions: [.setPriority(next)], error: nil, durationMicros: 1)]
    }

    /// Every pack version is "loaded": this engine ignores the pack.
    func prepare(packId: String, version: String) async throws {}
}

@Suite("Rule chains")
struct RuleChainTests {
    @Test func followUpEventsStopAtDepthTen() async throws {
        let services = DocketServices(store: MemoryTicketStore(), wire: DocketWireFormat(), rules: EndlessEngine())
        let pack = try PackLoader(root: packsRoot).load("luxfree-solar")
        _ = try await services.tenants.provisionTenant(id: "default", name: "t", pack: pack)
        let customer = Principal(tenantId: "default", role: .customer, subject: "c")
        let ticket = try await services.tickets.createTicket(customer, NewTicket(subject: "s", description: "d"))
        let audit = try await services.tickets.ruleAudit(Principal(tenantId: "default", role: .agent, subject: "a"), ticket.ticketId)
        #expect(audit.count == TicketService.maxRuleDepth)
        #expect(audit.map(\.depth) == Array(0..<TicketService.maxRuleDepth))
        #expect(audit.last?.rejected.first?.reason.contains("depth limit of 10") == true)
    }
}

/// Rules scripted per event type that also lend an evaluator, as the Lua engine does: the
/// whole chain then runs inside `withEvaluator`. Counts how often it was lent.
final class LendingRules: RuleEngine, RuleEvaluator, @unchecked Sendable {
    let actions: [RuleEventType: [RuleAction]]
    let lent = Mutex(0)

    init(_ actions: [RuleEventType: [RuleAction]]) { self.actions = actions }

    func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) -> [RuleOutcome] {
        let rule = "scripted:\(event.type.rawValue)"
        guard let actions = actions[event.type], !skipping.contains(rule) else { return [] }
        return [RuleOutcome(rule: rule, actions: actions, error: nil, durationMicros: 1)]
    }

    func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome] {
        let sync: (RuleEvent, RuleContext, Set<String>) -> [RuleOutcome] = evaluate
        return sync(event, context, skipping)
    }

    func withEvaluator<T: Sendable>(for context: RuleContext, _ body: @escaping @Sendable (any RuleEvaluator) -> T) async -> T? {
        lent.withLock { $0 += 1 }
        return body(self)
    }

    func prepare(packId: String, version: String) async throws {}
}

/// Counts what the observer is told of rules.
final class RuleCounter: ServiceObserver, @unchecked Sendable {
    let rules = Mutex<[String]>([])
    func ruleEvaluated(_ outcome: RuleOutcome, pack: String) { rules.withLock { $0.append(outcome.rule) } }
    func timerFired(_ type: RuleEventType, ticket: Ticket) {}
    func ticketCreated(_ ticket: Ticket) {}
    func slaDecided(_ decisions: [SLADecision], ticket: Ticket) {}
}

@Suite("Rule chains on a lent evaluator")
struct LentEvaluatorTests {
    /// The chain a create starts (a rule adds a note, names webhooks and raises the priority;
    /// the priority's rule tags the ticket) gives the same audit through the lent evaluator as one `evaluate` per event;
    /// meeting a webhook action, the chain reads the endpoints and runs again from the start,
    /// and the observer is told each rule once.
    @Test func aChainOnTheLentEvaluatorMatchesOneEvaluatePerEvent() async throws {
        let pack = try PackLoader(root: packsRoot).load("luxfree-solar")
        var audits: [[RuleAuditEntry]] = []
        var tickets: [Ticket] = []
        for lending in [true, false] {
            let store = MemoryTicketStore()
            let setup = DocketServices(store: store, wire: DocketWireFormat(), allowPrivateWebhooks: true)
            _ = try await setup.tenants.provisionTenant(id: "t", name: "T", pack: pack)
            let (hook, _) = try await setup.webhooks.create(Principal(tenantId: "t", role: .admin, subject: "boss"), WebhookInput(url: "http://127.0.0.1:9/hook"))
            let script: [RuleEventType: [RuleAction]] = [
                .ticketCreated: [.addInternalNote("llamar al supervisor"), .webhook(endpoint: hook.id, event: "alert"), .webhook(endpoint: "nope", event: nil), .setPriority(.urgent)],
                .priorityChanged: [.addTag("urgente")],
            ]
            let counter = RuleCounter()
            let engine: any RuleEngine = lending ? LendingRules(script) : ScriptedRules(actions: script)
            let services = DocketServices(store: store, wire: DocketWireFormat(), rules: engine, observer: counter, allowPrivateWebhooks: true)
            let ticket = try await services.tickets.createTicket(
                Principal(tenantId: "t", role: .customer, subject: "c1"), NewTicket(subject: "Chispas", description: "en el poste"))
            let stored = try #require(try await store.ticket(tenantId: "t", ticketId: ticket.ticketId))
            // The endpoint's id and the moment differ from one run to the other.
            audits.append(try #require(stored.ruleAudit).map { entry in
                var entry = entry
                entry.at = Date(timeIntervalSince1970: 0)
                entry.applied = entry.applied.map { $0.replacingOccurrences(of: hook.id, with: "hook") }
                entry.proposed = entry.proposed.map { $0.replacingOccurrences(of: hook.id, with: "hook") }
                entry.webhooks = entry.webhooks?.map { RuleWebhook(endpoint: $0.endpoint == hook.id ? "hook" : $0.endpoint, event: $0.event) }
                return entry
            })
            tickets.append(stored)
            #expect(counter.rules.withLock { $0 } == ["scripted:ticket.created", "scripted:priority.changed"])
            if let lender = engine as? LendingRules {
                // Once stopped at the webhook action (endpoints unknown), once through.
                #expect(lender.lent.withLock { $0 } == 2)
            }
        }
        #expect(audits[0] == audits[1])
        #expect(audits[0].map(\.rule) == ["scripted:ticket.created", "scripted:priority.changed"])
        #expect(audits[0].first?.webhooks == [RuleWebhook(endpoint: "hook", event: "alert")])
        #expect(audits[0].first?.rejected.map(\.action) == ["webhook(nope)"])
        #expect(tickets.allSatisfy { $0.tags.contains("urgente") && $0.priority == .urgent && $0.notes.contains { $0.content == "llamar al supervisor" } })
    }
}
