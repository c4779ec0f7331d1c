import Foundation

/// Compliance of one group of SLA clocks: how many were measured and how many met.
public struct SLACompliance: Codable, Sendable, Equatable {
    public var measured = 0
    public var met = 0
    /// Nil when nothing was measured.
    public var percent: Double? { measured == 0 ? nil : (Double(met) * 1000 / Double(measured)).rounded() / 10 }

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

extension SLADurations {
    /// From kept figures: the average of the rounded seconds, the 90th percentile from the histogram.
    init(count: Int64, seconds: Int64, histogram: [Int64]) {
        self.count = Int(count)
        averageSeconds = count == 0 ? nil : (Double(seconds) / Double(count)).rounded()
        p90Seconds = ReportHistogram.percentile(dense: histogram, 0.9).map(Double.init)
    }
}

extension ReportService {
    /// Answered from the kept figures (no ticket is read): compliance per target of the tickets
    /// created from the hour holding `from` through `to`, per priority, category and agent, and
    /// their first-response and resolution times (the average of whole seconds, the 90th
    /// percentile within the histogram's 2.5 %). A target counts once decided (met, stopped
    /// late or breached while running); next-reply targets count every reply of a ticket.
    public func slaReport(_ principal: Principal, from: Date, to: Date) async throws -> SLAReport {
        try Self.requireStaff(principal)
        let tenant = try await tenant(for: principal)
        guard from <= to else { throw DocketError(.badRequest, "from must not be after to", field: "from") }
        try await stores.reports.settleReports()
        let calendar = ReportCalendar(zone: tenant.timeZone)
        let start = calendar.contribution.hour(from)
        // `to` is inclusive: the hour holding it counts.
        let end = Int64(to.timeIntervalSince1970.rounded(.down)) + 1
        let source = ReportSource.store(stores.reports, tenantId: tenant.id)
        // Every ticket runs a first-response and a resolution target: a group of tickets names
        // them even when none is decided yet; next replies once one is.
        func compliance(_ figures: ReportFigures) -> [String: SLACompliance] {
            var out: [String: SLACompliance] = [:]
            for kind in SLAClock.Kind.allCases {
                let (measured, met, _, _) = ReportContribution.figures(kind)
                guard figures[measured] > 0 || (kind != .nextReply && figures[.created] > 0) else { continue }
                var entry = SLACompliance()
                entry.measured = Int(figures[measured])
                entry.met = Int(figures[met])
                out[kind.rawValue] = entry
            }
            return out
        }
        func grouped(_ dimension: ReportDimension) async throws -> [String: [String: SLACompliance]] {
            var sums: [String: ReportFigures] = [:]
            for row in try await Self.rows(source, dimension: dimension.rawValue, values: nil, from: start, to: end, hourly: false, calendar: calendar) {
                sums[row.value, default: ReportFigures()].add(row.figures)
            }
            return sums.mapValues(compliance).filter { !$0.value.isEmpty }
        }
        var total = ReportFigures()
        for row in try await Self.rows(source, dimension: "", values: nil, from: start, to: end, hourly: false, calendar: calendar) { total.add(row.figures) }
        var sums = ReportSums()
        for row in try await Self.histogram(source, dimension: "", values: nil, from: start, to: end, hourly: false, calendar: calendar) {
            sums.add(row)
        }
        let histograms = sums.histograms
        return SLAReport(
            from: from, to: to, tickets: Int(total[.created]), byTarget: compliance(total), byPriority: try await grouped(.priority),
            byCategory: try await grouped(.category), byAgent: try await grouped(.agent),
            firstResponse: SLADurations(count: total[.firstResponses], seconds: total[.firstResponseSeconds], histogram: histograms[.firstResponse] ?? []),
            resolution: SLADurations(count: total[.resolutions], seconds: total[.resolutionSeconds], histogram: histograms[.resolution] ?? []))
    }
}
