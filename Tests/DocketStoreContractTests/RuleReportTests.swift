import DocketCore
import DocketTestSupport
import Foundation
import Testing

/// The rules report on every store: each pack version's evaluations, failures, budget overruns
/// and actions, counted in the write of the change that ran them (a rollout's shadow version
/// beside the active one), the failing rules by name, and the rollout of the period. A rebuild
/// from the tickets leaves them as they are.
@Suite("The rules report, on every store")
struct RuleReportTests {
    static let period = ReportRequest(from: RolloutDesk.t0.addingTimeInterval(-3600), to: RolloutDesk.t0.addingTimeInterval(2 * 86_400))

    @Test(arguments: StoreKind.available)
    func eachPackVersionsRulesAreCountedWithTheFailingRulesAndTheRollout(kind: StoreKind) async throws {
        let desk = try await RolloutDesk(kind)
        let reports = desk.services.reports
        // Three tickets on 1.0.0: its created rule runs and tags each one.
        for n in 1...3 { _ = try await desk.open(n) }
        desk.clock.advance(by: 2 * 3600)
        // 2.0.0 in shadow: both versions run for two more tickets and a note that 2.0.0 fails on.
        let rollout = try await desk.start(.shadow)
        let shadowed = try await desk.open(4)
        _ = try await desk.open(5)
        _ = try await desk.services.tickets.addNote(RolloutDesk.admin, shadowed.ticketId, content: "boom", isInternal: true)
        _ = try await desk.services.tenants.abortRollout(RolloutDesk.admin, tenantId: "t")
        // 3.0.0 in shadow runs out of budget on a new ticket.
        desk.clock.advance(by: 3600)
        _ = try await desk.start(.shadow, version: "3.0.0")
        _ = try await desk.open(6)

        var question = Self.period
        question.interval = .hour
        let answer = try await reports.rules(RolloutDesk.admin, question)
        let groups = try #require(answer.totals.groups)
        let v1 = try #require(groups["luxfree-solar@1.0.0"]), v2 = try #require(groups["luxfree-solar@2.0.0"])
        let v3 = try #require(groups["luxfree-solar@3.0.0"])
        // 1.0.0: six creations and one note, each applying a tag.
        #expect(v1.evaluations == 7 && v1.actions == 7 && v1.errors == 0 && v1.rejected == 0 && v1.averageMicros == 7)
        // 2.0.0 in shadow: two creations (tags it would have applied) and the note it failed on.
        #expect(v2.evaluations == 3 && v2.actions == 2 && v2.errors == 1 && v2.budgetOverruns == 0)
        #expect(v3.evaluations == 1 && v3.errors == 1 && v3.budgetOverruns == 1 && v3.actions == 0)
        #expect(answer.totals.figures.evaluations == 11 && answer.totals.figures.errors == 2)
        #expect(answer.by == .pack && answer.report == .rules)
        // Counted in the hour each ran: three evaluations of 1.0.0 in the first hour.
        let first = try #require(answer.buckets.first { $0.figures.evaluations > 0 })
        #expect(first.start == RolloutDesk.t0 && first.groups?["luxfree-solar@1.0.0"]?.evaluations == 3 && first.figures.evaluations == 3)
        #expect(answer.buckets.reduce(0) { $0 + $1.figures.evaluations } == 11)
        // The failing rules, by name; the rollout that ran last in the period.
        let failing = try #require(answer.failing)
        #expect(Set(failing.map { "\($0.pack) \($0.rule)" }) == [
            "luxfree-solar@2.0.0 rules/v2.0.0.lua:on_note.added", "luxfree-solar@3.0.0 rules/v3.0.0.lua:on_ticket.created",
        ])
        #expect(failing.allSatisfy { $0.errors == 1 && $0.evaluations == 1 })
        #expect(failing.first { $0.pack.hasSuffix("3.0.0") }?.budgetOverruns == 1)
        #expect(answer.rollout?.key == "luxfree-solar@3.0.0" && answer.rollout?.id != rollout.id)
        // Per day, the same totals.
        question.interval = .day
        #expect(try await reports.rules(RolloutDesk.admin, question).totals == answer.totals)

        // A rebuild recounts the tickets' figures and keeps the rules' as they were counted.
        _ = try await reports.rebuild(tenantId: "t")
        question.interval = .hour
        let rebuilt = try await reports.rules(RolloutDesk.admin, question)
        #expect(rebuilt.totals == answer.totals && rebuilt.buckets == answer.buckets && rebuilt.failing == answer.failing)
        #expect(try await reports.volume(RolloutDesk.admin, question).totals.figures.created == 6)
    }

    @Test(arguments: StoreKind.available)
    func theRulesReportIsForSupervisorsAndAdminsAndTakesNoFilters(kind: StoreKind) async throws {
        let desk = try await RolloutDesk(kind)
        let reports = desk.services.reports
        let agent = Principal(tenantId: "t", role: .agent, subject: "ana")
        await #expect(throws: DocketError.forbidden("the rules report is for supervisors and admins")) { try await reports.rules(agent, Self.period) }
        let supervisor = Principal(tenantId: "t", role: .supervisor, subject: "sofia")
        #expect(try await reports.rules(supervisor, Self.period).totals.figures.evaluations == 0)
        var filtered = Self.period
        filtered.filters[.queue] = "field"
        do {
            _ = try await reports.rules(RolloutDesk.admin, filtered)
            Issue.record("a filtered rules report was answered")
        } catch let error as DocketError {
            #expect(error.code == .badRequest && error.field == "queue")
        }
        var grouped = Self.period
        grouped.by = .pack
        await #expect(throws: DocketError.self) { try await reports.volume(RolloutDesk.admin, grouped) }
    }
}
