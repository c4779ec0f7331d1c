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
        // The team's summary from the kept figures; one person's (an agent's, a customer's) from
        // their own tickets, through their index; a tenant whose figures wait for a rebuild
        // after an upgrade, from its tickets.
        let counts: TicketCounts
        if filter.assignedAgent == nil, filter.customerId == nil, try await !stores.reports.reportsStale(tenantId: tenant.id) {
            counts = try await keptCounts(tenant, filter)
        } else {
            counts = try await stores.tickets.ticketCounts(tenantId: principal.tenantId, filter: filter)
        }
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
    /// `stats/summary`'s counts of the tickets created in the filter's period: the whole
    /// tenant-local hours from the kept figures (whole days from the day rows), the part-hours
    /// at either end from the tickets created in them. Wall-clock first responses are kept to
    /// the millisecond.
    func keptCounts(_ tenant: Tenant, _ filter: StatsFilter) async throws -> TicketCounts {
        let calendar = ReportCalendar(zone: tenant.timeZone)
        let hours = calendar.contribution
        let far: Int64 = 1 << 40
        // [wholeFrom, wholeTo): the hours that lie within [createdFrom, createdTo] whole.
        var wholeFrom = -far, wholeTo = far
        if let from = filter.createdFrom {
            let start = hours.hour(from)
            wholeFrom = Double(start) == from.timeIntervalSince1970 ? start : hours.hour(Date(timeIntervalSince1970: TimeInterval(start + 3600)))
        }
        if let to = filter.createdTo { wholeTo = hours.hour(to) }
        guard wholeFrom < wholeTo else { return try await stores.tickets.ticketCounts(tenantId: tenant.id, filter: filter) }
        try await stores.reports.settleReports()
        let source = ReportSource.store(stores.reports, tenantId: tenant.id)
        func sums(_ dimension: String) async throws -> [String: ReportFigures] {
            var out: [String: ReportFigures] = [:]
            for row in try await Self.rows(source, dimension: dimension, values: nil, from: wholeFrom, to: wholeTo, hourly: false, calendar: calendar) {
                out[row.value, default: ReportFigures()].add(row.figures)
            }
            return out
        }
        let all = try await sums("")[""] ?? ReportFigures()
        var counts = TicketCounts(
            total: Int(all[.created]), byStatus: try await sums(ReportKey.statusNowDimension).mapValues { Int($0[.created]) }.filter { $0.value != 0 },
            byPriority: try await sums(ReportDimension.priority.rawValue).mapValues { Int($0[.created]) }.filter { $0.value != 0 },
            escalated: Int(all[.escalated]),
            agents: try await sums(ReportDimension.agent.rawValue).compactMap { agent, figures in
                guard agent != ReportKey.unassigned, figures[.created] > 0 else { return nil }
                return AgentTicketFigures(
                    agentId: agent, assigned: Int(figures[.created]), resolved: Int(figures[.resolutionRecorded]),
                    firstResponseCount: Int(figures[.firstResponded]), firstResponseTotalSeconds: Double(figures[.firstResponseWallMillis]) / 1000,
                    firstResponseMet: Int(figures[.firstResponseFlagMet]), firstResponseMeasured: Int(figures[.firstResponseFlagMeasured]),
                    resolutionMet: Int(figures[.resolutionFlagMet]), resolutionMeasured: Int(figures[.resolutionFlagMeasured]))
            })
        // The part-hours at either end, from their tickets (a millisecond before the whole hours start).
        if let from = filter.createdFrom, Double(wholeFrom) > from.timeIntervalSince1970 {
            var edge = filter
            edge.createdTo = Date(timeIntervalSince1970: TimeInterval(wholeFrom) - 0.001)
            counts.add(try await stores.tickets.ticketCounts(tenantId: tenant.id, filter: edge))
        }
        if let to = filter.createdTo {
            var edge = filter
            edge.createdFrom = Date(timeIntervalSince1970: TimeInterval(wholeTo))
            edge.createdTo = to
            counts.add(try await stores.tickets.ticketCounts(tenantId: tenant.id, filter: edge))
        }
        return counts
    }

    static func percent(_ part: Int, _ whole: Int) -> Double? {
        whole == 0 ? nil : (Double(part) * 1000 / Double(whole)).rounded() / 10
    }
}
