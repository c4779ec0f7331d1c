import Foundation

/// The step of a report's buckets, in the tenant's time zone (weeks start on Monday).
public enum ReportInterval: String, CaseIterable, Codable, Sendable {
    case hour, day, week, month
}

/// What a report groups by: a dimension, or (the backlog only) the status.
public enum ReportGroup: String, CaseIterable, Codable, Sendable {
    case channel, category, queue, priority, agent, status
    /// The pack version (`packId@version`): the rules report, which is always grouped so.
    case pack

    var dimension: ReportDimension? { ReportDimension(rawValue: rawValue) }
    var key: String { rawValue }
}

/// The dashboard's reports.
public enum ReportKind: String, CaseIterable, Codable, Sendable {
    case volume, backlog, times, agents, satisfaction, rules
}

/// One report's question: a period, its step, a grouping and filters (one value per dimension).
public struct ReportRequest: Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var interval: ReportInterval
    public var by: ReportGroup?
    public var filters: [ReportDimension: String]
    /// Days (`YYYY-MM-DD`) in the tenant's time zone: the period starts at the first one's
    /// midnight and ends at the last one's end, whatever `from` and `to` say.
    public var fromDay: String?
    public var toDay: String?
    /// The last N days up to today, in the tenant's time zone (overrides the rest).
    public var lastDays: Int?

    public init(
        from: Date, to: Date, interval: ReportInterval = .day, by: ReportGroup? = nil, filters: [ReportDimension: String] = [:],
        fromDay: String? = nil, toDay: String? = nil, lastDays: Int? = nil
    ) {
        self.from = from
        self.to = to
        self.interval = interval
        self.by = by
        self.filters = filters
        self.fromDay = fromDay
        self.toDay = toDay
        self.lastDays = lastDays
    }

    /// A tickets export holds at most this many rows.
    public static let maxExportRows = 50_000

    /// `YYYY-MM-DD` → the instant that day starts in `zone`; nil when it is no date.
    static func startOfDay(_ text: String, in zone: TimeZone) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, text.count == 10 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
            calendar.component(.day, from: date) == parts[2]
        else { return nil }
        return calendar.startOfDay(for: date)
    }

    /// A report has at most this many buckets (an hourly report spans at most ~41 days).
    public static let maxBuckets = 1_000
    /// And spans at most this long.
    public static let maxSpan: TimeInterval = 3 * 366 * 86_400
    /// A filtered report that groups by another dimension reads the tickets behind it, at most this many.
    public static var maxTickets: Int { ReportService.maxReportTickets }
}

/// Durations of one bucket: how many, their average and percentiles, in business seconds.
public struct DurationFigures: Codable, Sendable, Equatable {
    public var count: Int64
    public var averageSeconds: Int64?
    public var p50Seconds: Int64?
    public var p90Seconds: Int64?

    init(count: Int64, seconds: Int64, histogram: [Int64]) {
        self.count = count
        averageSeconds = count > 0 ? Int64((Double(seconds) / Double(count)).rounded()) : nil
        p50Seconds = ReportHistogram.percentile(dense: histogram, 0.5)
        p90Seconds = ReportHistogram.percentile(dense: histogram, 0.9)
    }
}

/// SLA targets decided and met.
public struct ComplianceFigures: Codable, Sendable, Equatable {
    public var measured: Int64
    public var met: Int64
    public var percent: Double?

    init(measured: Int64, met: Int64) {
        self.measured = measured
        self.met = met
        percent = measured == 0 ? nil : (Double(met) * 1000 / Double(measured)).rounded() / 10
    }
}

public struct VolumeFigures: Codable, Sendable, Equatable {
    public var created: Int64
    public var resolved: Int64
}

public struct BacklogFigures: Codable, Sendable, Equatable {
    /// Open tickets at the end of the bucket (or of the period, in the totals).
    public var open: Int64
}

public struct TimesFigures: Codable, Sendable, Equatable {
    public var firstResponse: DurationFigures
    public var nextReply: DurationFigures
    public var resolution: DurationFigures
    /// `firstResponse`, `nextReply`, `resolution` → compliance of the tickets created in the bucket.
    public var sla: [String: ComplianceFigures]
    public var breaches: Int64
}

public struct SatisfactionFigures: Codable, Sendable, Equatable {
    public var ratings: Int64
    public var average: Double?
    /// `"1"` ... `"5"` → ratings.
    public var distribution: [String: Int64]
}

public struct AgentFigures: Codable, Sendable, Equatable {
    public var created: Int64
    public var resolved: Int64
    public var firstResponse: DurationFigures
    public var resolution: DurationFigures
    /// Every SLA target decided on the tickets, met.
    public var sla: ComplianceFigures
    public var ratings: Int64
    public var averageRating: Double?
}

/// What the rules of one pack version did: handlers run, failed, stopped by their budget, the
/// actions they applied (would have applied, for a version in shadow) and had rejected.
public struct RuleFigures: Codable, Sendable, Equatable {
    public var evaluations: Int64
    public var errors: Int64
    public var budgetOverruns: Int64
    public var actions: Int64
    public var rejected: Int64
    /// Per handler, in microseconds.
    public var averageMicros: Int64?
}

/// A rule that failed or had actions rejected in the period, with how often.
public struct RuleFailure: Codable, Sendable, Equatable {
    /// `packId@version`
    public var pack: String
    /// `rules/triage.lua:on_ticket_created`
    public var rule: String
    public var errors: Int64
    public var budgetOverruns: Int64
    public var rejected: Int64
    /// Runs that failed or had an action rejected.
    public var evaluations: Int64
}

/// One bucket: its start, its figures, and per group value the same figures.
public struct ReportBucket<Figures: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var start: Date?
    public var figures: Figures
    public var groups: [String: Figures]?

    enum CodingKeys: String, CodingKey { case start, groups }

    public init(start: Date?, figures: Figures, groups: [String: Figures]?) {
        self.start = start
        self.figures = figures
        self.groups = groups
    }

    /// The figures sit beside `start` and `groups` in one object.
    public func encode(to encoder: any Encoder) throws {
        try figures.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(start, forKey: .start)
        try container.encodeIfPresent(groups, forKey: .groups)
    }

    public init(from decoder: any Decoder) throws {
        figures = try Figures(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        start = try container.decodeIfPresent(Date.self, forKey: .start)
        groups = try container.decodeIfPresent([String: Figures].self, forKey: .groups)
    }
}

/// A report's answer: `GET /api/v2/reports/{volume,backlog,times,agents,satisfaction}`.
public struct ReportAnswer<Figures: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var report: ReportKind
    public var from: Date
    public var to: Date
    public var interval: ReportInterval
    public var timeZone: String
    public var by: ReportGroup?
    public var filters: [String: String]
    /// Whether the figures were read from the tickets (a filter with a grouping by another
    /// dimension) rather than from the kept aggregates.
    public var fromTickets: Bool
    public var buckets: [ReportBucket<Figures>]
    public var totals: ReportBucket<Figures>
    /// The backlog now: open tickets by status and by age (backlog only).
    public var now: BacklogNow?
    /// Per agent: name, current load and presence (agents only).
    public var agents: [AgentRow]?
    /// The rules that failed or had actions rejected in the period, most failures first, at
    /// most `ReportService.maxRuleFailures` (rules only).
    public var failing: [RuleFailure]?
    /// The tenant's staged rollout that ran during the period, with its comparison of the two
    /// versions (rules only).
    public var rollout: PackRollout?
}

public struct BacklogNow: Codable, Sendable, Equatable {
    public var open: Int64
    public var byStatus: [String: Int64]
    /// `lt1h`, `lt1d`, `lt3d`, `lt7d`, `gte7d` → open tickets created that long ago.
    public var byAge: [String: Int64]
}

public struct AgentRow: Codable, Sendable, Equatable {
    public var agentId: String
    public var name: String?
    /// Tickets assigned and not resolved or closed.
    public var load: Int
    public var presence: PresenceStatus?
}

/// Where a report reads its sums: the kept aggregates, or figures summed from tickets.
struct ReportSource: Sendable {
    let rows: @Sendable (_ dimension: String, _ values: [String]?, _ from: Int64, _ to: Int64, _ byDay: Bool) async throws -> [ReportRow]
    let totals: @Sendable (_ dimension: String, _ values: [String]?, _ before: Int64) async throws -> [String: ReportFigures]
    let histogram: @Sendable (
        _ grain: ReportHistogramKey.Grain, _ dimension: String, _ values: [String]?, _ from: Int64, _ to: Int64
    ) async throws -> [ReportHistogramRow]

    static func store(_ store: any ReportStore, tenantId: String) -> ReportSource {
        ReportSource(
            rows: { try await store.reportRows(tenantId: tenantId, dimension: $0, values: $1, from: $2, to: $3, byDay: $4) },
            totals: { try await store.reportTotals(tenantId: tenantId, dimension: $0, values: $1, before: $2) },
            histogram: { try await store.reportHistogram(tenantId: tenantId, grain: $0, dimension: $1, values: $2, from: $3, to: $4) })
    }

    static func figures(_ delta: ReportDelta) -> ReportSource {
        ReportSource(
            rows: { delta.rows(dimension: $0, values: $1, from: $2, to: $3, byDay: $4) },
            totals: { delta.totals(dimension: $0, values: $1, before: $2) },
            histogram: { delta.histogramRows(grain: $0, dimension: $1, values: $2, from: $3, to: $4) })
    }
}

/// Sums of one bucket (or group): figures and histogram counts per duration.
struct ReportSums: Sendable {
    var figures = ReportFigures()
    /// Per duration, counts indexed by bucket.
    var histograms: [ReportDuration: [Int64]] = [:]

    mutating func add(_ row: ReportRow) { figures.add(row.figures) }

    mutating func add(_ row: ReportHistogramRow) {
        // In place (the dictionary's modify accessor): no copy of the 512 counts per row.
        Self.add(row.counts, to: &histograms[row.duration, default: Self.empty])
    }

    private static let empty = [Int64](repeating: 0, count: ReportHistogram.buckets)

    private static func add(_ counts: [BucketCount], to dense: inout [Int64]) {
        for entry in counts { dense[min(max(entry.bucket, 0), ReportHistogram.buckets - 1)] += entry.count }
    }

    func duration(_ kind: ReportDuration) -> DurationFigures {
        let (count, seconds): (ReportFigure, ReportFigure) =
            switch kind {
            case .firstResponse: (.firstResponses, .firstResponseSeconds)
            case .nextReply: (.nextReplies, .nextReplySeconds)
            case .resolution: (.resolutions, .resolutionSeconds)
            }
        return DurationFigures(count: figures[count], seconds: figures[seconds], histogram: histograms[kind] ?? [])
    }

    var volume: VolumeFigures { VolumeFigures(created: figures[.created], resolved: figures[.resolved]) }

    var times: TimesFigures {
        TimesFigures(
            firstResponse: duration(.firstResponse), nextReply: duration(.nextReply), resolution: duration(.resolution),
            sla: [
                "firstResponse": ComplianceFigures(measured: figures[.firstResponseMeasured], met: figures[.firstResponseMet]),
                "nextReply": ComplianceFigures(measured: figures[.nextReplyMeasured], met: figures[.nextReplyMet]),
                "resolution": ComplianceFigures(measured: figures[.resolutionMeasured], met: figures[.resolutionMet]),
            ],
            breaches: figures[.breaches])
    }

    var satisfaction: SatisfactionFigures {
        let ratings = figures[.ratings]
        return SatisfactionFigures(
            ratings: ratings, average: ratings == 0 ? nil : (Double(figures[.ratingSum]) * 100 / Double(ratings)).rounded() / 100,
            distribution: [
                "1": figures[.rating1], "2": figures[.rating2], "3": figures[.rating3], "4": figures[.rating4], "5": figures[.rating5],
            ])
    }

    var rules: RuleFigures {
        let evaluations = figures[.ruleEvaluations]
        return RuleFigures(
            evaluations: evaluations, errors: figures[.ruleErrors], budgetOverruns: figures[.ruleBudgetOverruns], actions: figures[.ruleActions],
            rejected: figures[.ruleRejected],
            averageMicros: evaluations == 0 ? nil : Int64((Double(figures[.ruleMicros]) / Double(evaluations)).rounded()))
    }

    var agent: AgentFigures {
        let ratings = figures[.ratings]
        return AgentFigures(
            created: figures[.created], resolved: figures[.resolved], firstResponse: duration(.firstResponse),
            resolution: duration(.resolution),
            sla: ComplianceFigures(
                measured: figures[.firstResponseMeasured] + figures[.nextReplyMeasured] + figures[.resolutionMeasured],
                met: figures[.firstResponseMet] + figures[.nextReplyMet] + figures[.resolutionMet]),
            ratings: ratings, averageRating: ratings == 0 ? nil : (Double(figures[.ratingSum]) * 100 / Double(ratings)).rounded() / 100)
    }
}

/// The buckets of a period in a time zone.
struct ReportCalendar: Sendable {
    let contribution: ReportContribution
    let calendar: Calendar

    init(zone: TimeZone) {
        contribution = ReportContribution(zone: zone, resolved: "", closed: "")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        self.calendar = calendar
    }

    /// The start of the bucket holding the hour or day that starts at `start`.
    func bucket(_ start: Int64, _ interval: ReportInterval) -> Int64 {
        let date = Date(timeIntervalSince1970: TimeInterval(start))
        switch interval {
        case .hour: return start
        case .day: return contribution.day(ofHour: contribution.hour(date))
        case .week: return Int64(calendar.dateInterval(of: .weekOfYear, for: date)!.start.timeIntervalSince1970)
        case .month: return Int64(calendar.dateInterval(of: .month, for: date)!.start.timeIntervalSince1970)
        }
    }

    /// Every bucket start from the one holding `from` to the last one starting before `to`.
    func buckets(from: Date, to: Date, _ interval: ReportInterval, limit: Int) -> [Int64]? {
        var out: [Int64] = []
        var current = bucket(contribution.hour(from), interval)
        let end = Int64(to.timeIntervalSince1970.rounded(.up))
        while current < end {
            out.append(current)
            if out.count > limit { return nil }
            let date = Date(timeIntervalSince1970: TimeInterval(current))
            let next: Date? =
                switch interval {
                case .hour: date.addingTimeInterval(3600)
                case .day: calendar.date(byAdding: .day, value: 1, to: date)
                case .week: calendar.date(byAdding: .day, value: 7, to: date)
                case .month: calendar.date(byAdding: .month, value: 1, to: date)
                }
            guard let next else { return nil }
            // A day that starts at a different hour (a zone that moved its clocks at midnight) still steps forward.
            current = max(bucket(Int64(next.timeIntervalSince1970), interval), current + 3600)
        }
        return out
    }
}

extension ReportService {
    /// Checks the question, and answers the dimension and values to read and where from.
    private func plan(_ principal: Principal, _ kind: ReportKind, _ request: inout ReportRequest, zone: TimeZone) throws -> (dimension: String, values: [String]?, tickets: Bool) {
        guard principal.isStaff else { throw DocketError.forbidden("reports are for agents and admins") }
        if let days = request.lastDays {
            guard (1...1096).contains(days) else { throw DocketError(.badRequest, "lastDays is 1 to 1096", field: "lastDays") }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let today = calendar.startOfDay(for: clock.now())
            request.from = calendar.date(byAdding: .day, value: 1 - days, to: today) ?? today
            request.to = calendar.date(byAdding: .day, value: 1, to: today) ?? today.addingTimeInterval(86_400)
            request.fromDay = nil
            request.toDay = nil
        }
        if let day = request.fromDay {
            guard let start = ReportRequest.startOfDay(day, in: zone) else { throw DocketError(.badRequest, "from is not a date", field: "from") }
            request.from = start
        }
        if let day = request.toDay {
            guard let start = ReportRequest.startOfDay(day, in: zone) else { throw DocketError(.badRequest, "to is not a date", field: "to") }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            request.to = calendar.date(byAdding: .day, value: 1, to: start) ?? start.addingTimeInterval(86_400)
        }
        guard request.from < request.to else { throw DocketError(.badRequest, "from must be before to", field: "from") }
        guard request.to.timeIntervalSince(request.from) <= ReportRequest.maxSpan else {
            throw DocketError(.badRequest, "a report spans at most 3 years", field: "from")
        }
        if kind == .rules {
            guard principal.role.seesTeamFigures else { throw DocketError.forbidden("the rules report is for supervisors and admins") }
            guard request.filters.isEmpty else {
                throw DocketError(
                    .badRequest, "the rules report takes no filters: its figures are kept per pack version",
                    field: request.filters.keys.map(\.rawValue).sorted().first)
            }
            guard request.by == nil || request.by == .pack else { throw DocketError(.badRequest, "the rules report groups by pack only", field: "by") }
            request.by = .pack
            return (ReportKey.packDimension, nil, false)
        }
        if request.by == .pack { throw DocketError(.badRequest, "only the rules report groups by pack", field: "by") }
        // An agent sees their own figures; supervisors and admins the team's.
        if !principal.role.seesTeamFigures {
            request.filters[.agent] = principal.subject
        }
        if request.by == .status, kind != .backlog {
            throw DocketError(.badRequest, "only the backlog groups by status", field: "by")
        }
        if kind == .agents { request.by = .agent }
        let filters = request.filters
        if filters.isEmpty {
            return (request.by?.key ?? "", nil, false)
        }
        if kind != .backlog, filters.count == 1, let (dimension, value) = filters.first, request.by == nil || request.by?.dimension == dimension {
            return (dimension.rawValue, [value], false)
        }
        return (request.by?.key ?? "", nil, true)
    }

    /// The figures of the tickets a filtered report is about, summed from the tickets themselves.
    private func ticketFigures(_ tenant: Tenant, filters: [ReportDimension: String]) async throws -> ReportDelta {
        var query = TicketQuery()
        if let category = filters[.category] { query.category = category }
        if let priority = filters[.priority].flatMap(Priority.init(rawValue:)) { query.priority = priority }
        if let queue = filters[.queue], queue != ReportKey.none { query.queue = queue }
        if let agent = filters[.agent] { query.assignedAgent = agent == ReportKey.unassigned ? "" : agent }
        let contribution = ReportContribution(tenant)
        var figures = ReportDelta()
        var read = 0
        try await scanTickets(tenantId: tenant.id, query: query) { ticket in
            read += 1
            if read > ReportRequest.maxTickets {
                throw DocketError(
                    .badRequest,
                    "the filters hold more than \(ReportRequest.maxTickets) tickets, the most a filtered report grouped by another dimension reads: filter more",
                    field: "by")
            }
            if filters.allSatisfy({ $0.key.value(of: ticket) == $0.value }) { figures.add(contribution.contribution(ticket)) }
        }
        return figures
    }

    /// Every ticket of `query`, oldest first, a page at a time by creation time (no offsets: a
    /// million tickets read in linear time).
    func scanTickets(tenantId: String, query base: TicketQuery, _ body: (Ticket) throws -> Void) async throws {
        var query = base
        query.limit = TicketQuery.maxLimit
        query.ascending = true
        query.sortBy = .createdAt
        var boundary: Set<String> = []
        while true {
            let page = try await stores.tickets.listTickets(tenantId: tenantId, query: query)
            for ticket in page.items where !boundary.contains(ticket.ticketId) { try body(ticket) }
            guard page.items.count == query.limit, let last = page.items.last?.createdAt else { return }
            // The next page starts at the last creation time; tickets of that instant seen already are skipped.
            let same = Set(page.items.filter { $0.createdAt == last }.map(\.ticketId))
            boundary = query.createdFrom == last ? boundary.union(same) : same
            if boundary.count >= query.limit {
                throw DocketError(.internalError, "more than \(query.limit) tickets share one creation instant; cannot page past them")
            }
            query.createdFrom = last
        }
    }

    /// The tickets of `query` for a CSV export (one row per ticket), oldest first: staff only,
    /// at most `ReportRequest.maxExportRows`.
    public func exportTickets(_ principal: Principal, _ query: TicketQuery) async throws -> [Ticket] {
        try Self.requireStaff(principal)
        try TicketService.checkFilters(query, try await tenant(for: principal))
        var out: [Ticket] = []
        try await scanTickets(tenantId: principal.tenantId, query: query) { ticket in
            guard out.count < ReportRequest.maxExportRows else {
                throw DocketError(
                    .badRequest, "the export holds more than \(ReportRequest.maxExportRows) tickets, the most one export writes: narrow the filters",
                    field: "createdFrom")
            }
            out.append(ticket)
        }
        return out
    }

    /// Recomputes the tenant's kept figures from its tickets and replaces them
    /// (`docket reports rebuild`, after an upgrade or a restore): answers how many tickets it read.
    public func rebuild(tenantId: String) async throws -> Int {
        guard let tenant = try await stores.tenants.tenant(id: tenantId) else { throw DocketError.notFound("tenant", tenantId) }
        try await stores.reports.settleReports()
        let contribution = ReportContribution(tenant)
        var figures = ReportDelta()
        var count = 0
        try await scanTickets(tenantId: tenantId, query: TicketQuery()) { ticket in
            count += 1
            figures.add(contribution.contribution(ticket))
        }
        try await stores.reports.replaceReports(tenantId: tenantId, with: figures)
        return count
    }

    /// Answers one of the dashboard's reports.
    func report<Figures>(
        _ principal: Principal, _ kind: ReportKind, _ question: ReportRequest, figures render: @escaping @Sendable (ReportSums) -> Figures
    ) async throws -> ReportAnswer<Figures> {
        var request = question
        let tenant = try await tenant(for: principal)
        let zone = tenant.timeZone
        let (dimension, values, readTickets) = try plan(principal, kind, &request, zone: zone)
        let calendar = ReportCalendar(zone: zone)
        guard let starts = calendar.buckets(from: request.from, to: request.to, request.interval, limit: ReportRequest.maxBuckets) else {
            throw DocketError(
                .badRequest, "a report has at most \(ReportRequest.maxBuckets) buckets: widen the interval or narrow the period", field: "interval")
        }
        let source: ReportSource
        if readTickets {
            source = .figures(try await ticketFigures(tenant, filters: request.filters))
        } else {
            try await stores.reports.settleReports()
            source = .store(stores.reports, tenantId: tenant.id)
        }
        let from = calendar.contribution.hour(request.from)
        let to = Int64(request.to.timeIntervalSince1970.rounded(.up))
        let grouped = request.by != nil
        var buckets: [Int64: (all: ReportSums, groups: [String: ReportSums])] = [:]
        for start in starts { buckets[start] = (ReportSums(), [:]) }
        var totals = (all: ReportSums(), groups: [String: ReportSums]())
        // Rows share their starts (a year of one dimension: 8,760 hours at most): each start is
        // placed in its bucket once.
        var placed: [Int64: Int64?] = [:]
        func place(_ start: Int64) -> Int64? {
            if let known = placed[start] { return known }
            let bucket = calendar.bucket(start, request.interval)
            let found: Int64? = buckets[bucket] == nil ? nil : bucket
            placed[start] = found
            return found
        }
        // A row or a histogram counts in its bucket and the totals, and in their group's when grouped.
        func count(_ start: Int64, _ value: String, _ add: (inout ReportSums) -> Void) {
            guard let bucket = place(start) else { return }
            add(&buckets[bucket]!.all)
            add(&totals.all)
            if grouped {
                add(&buckets[bucket]!.groups[value, default: ReportSums()])
                add(&totals.groups[value, default: ReportSums()])
            }
        }
        let hourly = request.interval == .hour
        for row in try await Self.rows(source, dimension: dimension, values: values, from: from, to: to, hourly: hourly, calendar: calendar) {
            count(row.start, row.value) { $0.add(row) }
        }
        if kind == .times || kind == .agents {
            for row in try await Self.histogram(source, dimension: dimension, values: values, from: from, to: to, hourly: hourly, calendar: calendar) {
                count(row.start, row.value) { $0.add(row) }
            }
        }
        var answer = ReportAnswer<Figures>(
            report: kind, from: request.from, to: request.to, interval: request.interval, timeZone: zone.identifier, by: request.by,
            filters: Dictionary(uniqueKeysWithValues: request.filters.map { ($0.key.rawValue, $0.value) }), fromTickets: readTickets,
            buckets: starts.map { start in
                let sums = buckets[start]!
                return ReportBucket(
                    start: Date(timeIntervalSince1970: TimeInterval(start)), figures: render(sums.all),
                    groups: grouped ? sums.groups.mapValues(render) : nil)
            },
            totals: ReportBucket(start: nil, figures: render(totals.all), groups: grouped ? totals.groups.mapValues(render) : nil))
        if kind == .backlog {
            try await backlog(&answer, source: source, dimension: dimension, values: values, from: from, calendar: calendar, now: clock.now())
        }
        if kind == .agents {
            answer.agents = try await agentRows(tenant, principal: principal, seen: Set(totals.groups.keys))
        }
        if kind == .rules {
            try await ruleFindings(&answer, source: source, tenantId: tenant.id, request: request, from: from, to: to, calendar: calendar)
        }
        return answer
    }

    /// The whole days in [from, to), if any: from the first day start at or after `from` to the
    /// last day start at or before `to`.
    static func wholeDays(from: Int64, to: Int64, calendar: ReportCalendar) -> (from: Int64, to: Int64)? {
        let firstDay = calendar.contribution.day(ofHour: from)
        let wholeFrom = firstDay == from ? from : calendar.contribution.day(ofHour: firstDay + 26 * 3600)
        let lastHour = calendar.contribution.hour(Date(timeIntervalSince1970: TimeInterval(to - 1)))
        let lastDay = calendar.contribution.day(ofHour: lastHour)
        let nextDay = calendar.contribution.day(ofHour: lastDay + 26 * 3600)
        let wholeTo = nextDay <= to ? nextDay : lastDay
        return wholeFrom < wholeTo ? (wholeFrom, wholeTo) : nil
    }

    /// The rows of the hours in [from, to): per hour, or (not `hourly`) the whole days from the
    /// day rows (a year of one agent is 365 rows, not 8,760) and the part-days from the hour rows.
    static func rows(
        _ source: ReportSource, dimension: String, values: [String]?, from: Int64, to: Int64, hourly: Bool, calendar: ReportCalendar
    ) async throws -> [ReportRow] {
        guard !hourly, let whole = wholeDays(from: from, to: to, calendar: calendar) else {
            return try await source.rows(dimension, values, from, to, false)
        }
        var rows = try await source.rows(dimension, values, whole.from, whole.to, true)
        if from < whole.from { rows += try await source.rows(dimension, values, from, whole.from, false) }
        if whole.to < to { rows += try await source.rows(dimension, values, whole.to, to, false) }
        return rows
    }

    /// The histogram counts of the hours in [from, to): whole days from the daily histogram
    /// (a year reads 365 days, not 8,760 hours), the part-days at either end from the hourly one.
    static func histogram(
        _ source: ReportSource, dimension: String, values: [String]?, from: Int64, to: Int64, hourly: Bool, calendar: ReportCalendar
    ) async throws -> [ReportHistogramRow] {
        if hourly { return try await source.histogram(.hour, dimension, values, from, to) }
        guard let whole = wholeDays(from: from, to: to, calendar: calendar) else { return try await source.histogram(.hour, dimension, values, from, to) }
        var rows = try await source.histogram(.day, dimension, values, whole.from, whole.to)
        if from < whole.from { rows += try await source.histogram(.hour, dimension, values, from, whole.from) }
        if whole.to < to { rows += try await source.histogram(.hour, dimension, values, whole.to, to) }
        return rows
    }

    /// The backlog's running sum: what was open before the period, then each bucket's changes.
    private func backlog<Figures>(
        _ answer: inout ReportAnswer<Figures>, source: ReportSource, dimension: String, values: [String]?, from: Int64,
        calendar: ReportCalendar, now: Date
    ) async throws {
        let before = try await source.totals(dimension, values, from)
        var open = before.values.reduce(0) { $0 + $1[.opened] }
        var groups = before.mapValues { $0[.opened] }
        func figures(_ value: Int64) -> Figures { BacklogFigures(open: value) as! Figures }
        for index in answer.buckets.indices {
            // The bucket's figures hold its changes (rendered as `open`): add them to the running sum.
            open += (answer.buckets[index].figures as! BacklogFigures).open
            answer.buckets[index].figures = figures(open)
            if let changes = answer.buckets[index].groups {
                for (value, change) in changes { groups[value, default: 0] += (change as! BacklogFigures).open }
                answer.buckets[index].groups = groups.filter { $0.value != 0 || changes[$0.key] != nil }.mapValues(figures)
            }
        }
        answer.totals.figures = figures(open)
        if answer.totals.groups != nil { answer.totals.groups = groups.filter { $0.value != 0 }.mapValues(figures) }
        // Now: by status (the status rows), and by age (open tickets by the hour they were created).
        let far = Int64(now.timeIntervalSince1970) + 366 * 86_400
        var byStatus: [String: Int64] = [:]
        if values == nil, dimension == "" || dimension == ReportKey.statusDimension {
            for (status, figures) in try await source.totals(ReportKey.statusDimension, nil, far) where figures[.opened] != 0 {
                byStatus[status] = figures[.opened]
            }
        }
        let ageDimension = dimension == ReportKey.statusDimension ? "" : dimension
        func openNow(before seconds: TimeInterval) async throws -> Int64 {
            let cutoff = seconds == 0 ? far : calendar.contribution.hour(now.addingTimeInterval(-seconds)) + 3600
            return try await source.totals(ageDimension, values, cutoff).values.reduce(0) { $0 + $1[.openNow] }
        }
        let all = try await openNow(before: 0)
        let hour = try await openNow(before: 3600), day = try await openNow(before: 86_400)
        let threeDays = try await openNow(before: 3 * 86_400), week = try await openNow(before: 7 * 86_400)
        answer.now = BacklogNow(
            open: all, byStatus: byStatus,
            byAge: ["lt1h": all - hour, "lt1d": hour - day, "lt3d": day - threeDays, "lt7d": threeDays - week, "gte7d": week])
    }

    /// The rules report's failing rules, and the rollout that ran in the period.
    private func ruleFindings<Figures>(
        _ answer: inout ReportAnswer<Figures>, source: ReportSource, tenantId: String, request: ReportRequest, from: Int64, to: Int64,
        calendar: ReportCalendar
    ) async throws {
        var sums: [String: ReportFigures] = [:]
        for row in try await Self.rows(
            source, dimension: ReportKey.ruleDimension, values: nil, from: from, to: to, hourly: request.interval == .hour, calendar: calendar)
        {
            sums[row.value, default: ReportFigures()].add(row.figures)
        }
        answer.failing = sums.map { value, figures in
            let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
            return RuleFailure(
                pack: parts[0], rule: parts.count > 1 ? parts[1] : "", errors: figures[.ruleErrors], budgetOverruns: figures[.ruleBudgetOverruns],
                rejected: figures[.ruleRejected], evaluations: figures[.ruleEvaluations])
        }
        .sorted { ($1.errors + $1.rejected, $0.pack, $0.rule) < ($0.errors + $0.rejected, $1.pack, $1.rule) }
        .prefix(Self.maxRuleFailures).map { $0 }
        if let rollout = try await stores.rollouts.rollout(tenantId: tenantId), rollout.startedAt < request.to,
            (rollout.endedAt ?? .distantFuture) > request.from
        {
            answer.rollout = rollout
        }
    }

    /// The rules report lists at most this many failing rules.
    public static let maxRuleFailures = 50

    private func agentRows(_ tenant: Tenant, principal: Principal, seen: Set<String>) async throws -> [AgentRow] {
        let loads = try await stores.tickets.openTicketCounts(tenantId: tenant.id, finished: Self.finished(tenant))
        let presence = Dictionary(
            try await stores.presence.presences(tenantId: tenant.id).map { ($0.agentId, $0) }, uniquingKeysWith: { first, _ in first })
        let now = clock.now()
        var rows: [AgentRow] = []
        var agents: [Agent] = []
        var page = 1
        while true {
            let listed = try await stores.people.listAgents(tenantId: tenant.id, page: page, limit: 100)
            agents += listed.items
            if listed.items.count < 100 { break }
            page += 1
        }
        for agent in agents where principal.role.seesTeamFigures || agent.id == principal.subject {
            rows.append(AgentRow(
                agentId: agent.id, name: agent.name, load: loads[agent.id] ?? 0,
                presence: presence[agent.id].map { $0.status(at: now) } ?? .offline))
        }
        for id in seen.subtracting(agents.map(\.id)) where id != ReportKey.unassigned && (principal.role.seesTeamFigures || id == principal.subject) {
            rows.append(AgentRow(agentId: id, name: nil, load: loads[id] ?? 0, presence: nil))
        }
        return rows.sorted { $0.agentId < $1.agentId }
    }
}

extension ReportService {
    public func volume(_ principal: Principal, _ request: ReportRequest) async throws -> ReportAnswer<VolumeFigures> {
        try await report(principal, .volume, request) { $0.volume }
    }

    /// Open tickets at the end of each bucket, from the kept changes.
    public func backlog(_ principal: Principal, _ request: ReportRequest) async throws -> ReportAnswer<BacklogFigures> {
        try await report(principal, .backlog, request) { BacklogFigures(open: $0.figures[.opened]) }
    }

    public func times(_ principal: Principal, _ request: ReportRequest) async throws -> ReportAnswer<TimesFigures> {
        try await report(principal, .times, request) { $0.times }
    }

    public func agents(_ principal: Principal, _ request: ReportRequest) async throws -> ReportAnswer<AgentFigures> {
        try await report(principal, .agents, request) { $0.agent }
    }

    public func satisfaction(_ principal: Principal, _ request: ReportRequest) async throws -> ReportAnswer<SatisfactionFigures> {
        try await report(principal, .satisfaction, request) { $0.satisfaction }
    }

    /// What each pack version's rules did, per bucket; the rules that failed; the rollout of the period.
    public func rules(_ principal: Principal, _ request: ReportRequest) async throws -> ReportAnswer<RuleFigures> {
        try await report(principal, .rules, request) { $0.rules }
    }
}
