import Foundation

/// Restricts the statistics to one agent or one customer.
public struct StatsFilter: Sendable, Equatable {
    public var assignedAgent: String?
    public var customerId: String?
    public var createdFrom: Date?
    public var createdTo: Date?

    public init(assignedAgent: String? = nil, customerId: String? = nil, createdFrom: Date? = nil, createdTo: Date? = nil) {
        self.assignedAgent = assignedAgent
        self.customerId = customerId
        self.createdFrom = createdFrom
        self.createdTo = createdTo
    }
}

extension StatsFilter {
    /// The ticket list these statistics count (every ticket of the filter, in any status).
    public var query: TicketQuery {
        var query = TicketQuery()
        query.assignedAgent = assignedAgent
        query.customerId = customerId
        query.createdFrom = createdFrom
        query.createdTo = createdTo
        return query
    }
}

/// Raw per-agent figures the store aggregates.
public struct AgentTicketFigures: Sendable, Equatable {
    public var agentId: String
    public var assigned: Int
    public var resolved: Int
    public var firstResponseCount: Int
    public var firstResponseTotalSeconds: Double
    public var firstResponseMet: Int
    public var firstResponseMeasured: Int
    public var resolutionMet: Int
    public var resolutionMeasured: Int

    public init(
        agentId: String, assigned: Int, resolved: Int, firstResponseCount: Int, firstResponseTotalSeconds: Double,
        firstResponseMet: Int, firstResponseMeasured: Int, resolutionMet: Int, resolutionMeasured: Int
    ) {
        self.agentId = agentId
        self.assigned = assigned
        self.resolved = resolved
        self.firstResponseCount = firstResponseCount
        self.firstResponseTotalSeconds = firstResponseTotalSeconds
        self.firstResponseMet = firstResponseMet
        self.firstResponseMeasured = firstResponseMeasured
        self.resolutionMet = resolutionMet
        self.resolutionMeasured = resolutionMeasured
    }
}

public struct TicketCounts: Sendable, Equatable {
    public var total: Int
    public var byStatus: [String: Int]
    public var byPriority: [String: Int]
    public var escalated: Int
    public var agents: [AgentTicketFigures]

    public init(total: Int, byStatus: [String: Int], byPriority: [String: Int], escalated: Int, agents: [AgentTicketFigures]) {
        self.total = total
        self.byStatus = byStatus
        self.byPriority = byPriority
        self.escalated = escalated
        self.agents = agents
    }
}

extension TicketCounts {
    /// Adds the counts of other tickets (another part of a period).
    public mutating func add(_ other: TicketCounts) {
        total += other.total
        byStatus.merge(other.byStatus, uniquingKeysWith: +)
        byPriority.merge(other.byPriority, uniquingKeysWith: +)
        escalated += other.escalated
        var merged = Dictionary(uniqueKeysWithValues: agents.map { ($0.agentId, $0) })
        for figures in other.agents {
            guard var known = merged[figures.agentId] else {
                merged[figures.agentId] = figures
                continue
            }
            known.assigned += figures.assigned
            known.resolved += figures.resolved
            known.firstResponseCount += figures.firstResponseCount
            known.firstResponseTotalSeconds += figures.firstResponseTotalSeconds
            known.firstResponseMet += figures.firstResponseMet
            known.firstResponseMeasured += figures.firstResponseMeasured
            known.resolutionMet += figures.resolutionMet
            known.resolutionMeasured += figures.resolutionMeasured
            merged[figures.agentId] = known
        }
        agents = merged.values.sorted { $0.agentId < $1.agentId }
    }
}
