import Foundation

/// Compliance of one group of SLA clocks: how many were measured and how many met.
public struct SLACompliance: Codable, Sendable, Equatable {
    public var measured = 0
    public var met = 0
    /// Nil when nothing was measured.
    public var percent: Double? { measured == 0 ? nil : (Double(met) * 1000 / Double(measured)).rounded() / 10 }

    mutating func add(_ clock: SLAClock) {
        // A clock counts once it is decided: stopped (met or not) or breached while running.
        if let met = clock.met {
            measured += 1
            if met { self.met += 1 }
        } else if clock.breachedAt != nil {
            measured += 1
        }
    }

    enum CodingKeys: String, CodingKey { case measured, met, percent }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        measured = try c.decode(Int.self, forKey: .measured)
        met = try c.decode(Int.self, forKey: .met)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(measured, forKey: .measured)
        try c.encode(met, forKey: .met)
        try c.encodeIfPresent(percent, forKey: .percent)
    }
}

/// Business-time durations of stopped clocks, in seconds.
public struct SLADurations: Codable, Sendable, Equatable {
    public var count: Int
    public var averageSeconds: Double?
    public var p90Seconds: Double?

    init(_ values: [Double]) {
        count = values.count
        guard !values.isEmpty else { return }
        averageSeconds = (values.reduce(0, +) / Double(values.count)).rounded()
        let sorted = values.sorted()
        p90Seconds = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)].rounded()
    }
}

/// `GET /api/v2/reports/sla`: compliance per target, priority, category and agent over tickets
/// created in a date range, and first-response and resolution times in business time.
public struct SLAReport: Codable, Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var tickets: Int
    /// `firstResponse`, `nextReply`, `resolution` → compliance.
    public var byTarget: [String: SLACompliance]
    /// Priority → target → compliance; the same by category and by agent (`unassigned`).
    public var byPriority: [String: [String: SLACompliance]]
    public var byCategory: [String: [String: SLACompliance]]
    public var byAgent: [String: [String: SLACompliance]]
    public var firstResponse: SLADurations
    public var resolution: SLADurations
}

extension ReportService {
}

extension ReportService {
    public func slaReport(_ principal: Principal, from: Date, to: Date) async throws -> SLAReport {
        try Self.requireStaff(principal)
        _ = try await tenant(for: principal)
        guard from <= to else { throw DocketError(.badRequest, "from must not be after to", field: "from") }
        var query = TicketQuery()
        query.createdFrom = from
        query.createdTo = to
        query.limit = TicketQuery.maxLimit
        query.ascending = true
        var byTarget: [String: SLACompliance] = [:]
        var byPriority: [String: [String: SLACompliance]] = [:]
        var byCategory: [String: [String: SLACompliance]] = [:]
        var byAgent: [String: [String: SLACompliance]] = [:]
        var firstResponse: [Double] = [], resolution: [Double] = []
        var count = 0
        while true {
            let page = try await stores.tickets.listTickets(tenantId: principal.tenantId, query: query)
            if query.page == 1, page.total > ReportService.maxReportTickets {
                throw DocketError(
                    .badRequest, "the range holds \(page.total) tickets; a report reads at most \(ReportService.maxReportTickets): narrow it", field: "from")
            }
            for ticket in page.items {
                count += 1
                for clock in ticket.sla.clocks ?? [] {
                    let kind = clock.kind.rawValue
                    byTarget[kind, default: SLACompliance()].add(clock)
                    byPriority[ticket.priority.rawValue, default: [:]][kind, default: SLACompliance()].add(clock)
                    byCategory[ticket.category, default: [:]][kind, default: SLACompliance()].add(clock)
                    byAgent[ticket.assignedAgent ?? "unassigned", default: [:]][kind, default: SLACompliance()].add(clock)
                    if clock.stoppedAt != nil {
                        if clock.kind == .firstResponse { firstResponse.append(clock.consumedSeconds) }
                        if clock.kind == .resolution { resolution.append(clock.consumedSeconds) }
                    }
                }
            }
            if page.items.count < query.limit { break }
            query.page += 1
        }
        return SLAReport(
            from: from, to: to, tickets: count, byTarget: byTarget, byPriority: byPriority, byCategory: byCategory, byAgent: byAgent,
            firstResponse: SLADurations(firstResponse), resolution: SLADurations(resolution))
    }
}
