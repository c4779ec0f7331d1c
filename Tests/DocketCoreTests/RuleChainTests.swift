import DocketCore
import DocketPacks
import DocketMemory
import Foundation
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
        let services = DocketServices(store: MemoryTicketStore(), rules: EndlessEngine())
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
