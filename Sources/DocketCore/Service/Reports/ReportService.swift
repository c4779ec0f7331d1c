import Foundation

/// How one agent is doing.
public struct AgentPerformance: Codable, Sendable, Equatable {
    public var agentId: String
    public var name: String?
    public var assigned: Int
    public var resolved: Int
    /// Mean time from creation to first response, over tickets that had one.
    public var avgFirstResponseSeconds: Double?
    public var firstResponseSlaMetPercent: Double?
    public var resolutionSlaMetPercent: Double?
    /// Share of all measured SLA targets (first response and resolution) that were met.
    public var slaMetPercent: Double?
}

/// `GET /tickets/stats/summary`.
public struct TicketStatistics: Codable, Sendable, Equatable {
    public var total: Int
    public var byStatus: [String: Int]
    public var byPriority: [String: Int]
    public var escalated: Int
    public var agents: [AgentPerformance]
}

extension ReportService {
    public func statistics(_ principal: Principal, _ filter: StatsFilter) async throws -> TicketStatistics {
        try Self.requireStaff(principal)
        let tenant = try await tenant(for: principal)
        let counts = try await stores.tickets.ticketCounts(tenantId: principal.tenantId, filter: filter)
        var byStatus = Dictionary(uniqueKeysWithValues: tenant.workflow.statuses.map { ($0.id, 0) })
        byStatus.merge(counts.byStatus) { $1 }
        var byPriority = Dictionary(uniqueKeysWithValues: Priority.allCases.map { ($0.rawValue, 0) })
        byPriority.merge(counts.byPriority) { $1 }
        var agents: [AgentPerformance] = []
        for figures in counts.agents {
            let name = try await stores.people.agent(tenantId: principal.tenantId, id: figures.agentId)?.name
            agents.append(AgentPerformance(
                agentId: figures.agentId, name: name, assigned: figures.assigned, resolved: figures.resolved,
                avgFirstResponseSeconds: figures.firstResponseCount == 0
                    ? nil : figures.firstResponseTotalSeconds / Double(figures.firstResponseCount),
                firstResponseSlaMetPercent: Self.percent(figures.firstResponseMet, figures.firstResponseMeasured),
                resolutionSlaMetPercent: Self.percent(figures.resolutionMet, figures.resolutionMeasured),
                slaMetPercent: Self.percent(
                    figures.firstResponseMet + figures.resolutionMet,
                    figures.firstResponseMeasured + figures.resolutionMeasured)))
        }
        agents.sort { ($0.assigned, $1.agentId) > ($1.assigned, $0.agentId) }
        return TicketStatistics(total: counts.total, byStatus: byStatus, byPriority: byPriority, escalated: counts.escalated, agents: agents)
    }
}

extension ReportService {
    static func percent(_ part: Int, _ whole: Int) -> Double? {
        whole == 0 ? nil : (Double(part) * 1000 / Double(whole)).rounded() / 10
    }
}
