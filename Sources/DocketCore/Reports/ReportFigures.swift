import Foundation

/// What a report may group or filter by. Figures are kept per hour for each value of each
/// dimension (and for the whole tenant), grouped by a ticket's current value: a ticket moved
/// to another queue counts under its new queue in every hour it touched.
public enum ReportDimension: String, CaseIterable, Codable, Sendable {
    case channel, category, queue, priority, agent

    /// The value a ticket counts under.
    public func value(of ticket: Ticket) -> String {
        switch self {
        case .channel: ticket.source.rawValue
        case .category: ticket.category
        case .queue: ticket.queue ?? ReportKey.none
        case .priority: ticket.priority.rawValue
        case .agent: ticket.assignedAgent ?? ReportKey.unassigned
        }
    }

    /// Whether the ticket counts under one of `values`.
    public func matches(_ ticket: Ticket, _ values: Set<String>) -> Bool { values.contains(value(of: ticket)) }
}

/// One kept figure. Durations are business seconds (rounded to the second), kept as sums and
/// counts beside a histogram (`ReportHistogram`) for percentiles.
///
/// Where a figure is counted:
/// - `created`, the SLA figures (`firstResponse*`, `nextReply*`, `resolution*`, `breaches`):
///   in the hour the ticket was created, as `GET /reports/sla` reads them;
/// - `resolved`: in the hour of its (last) resolution, while it stays resolved or closed;
/// - `opened`: +1 in the hour a ticket became open (created, reopened), −1 in the hour it was
///   resolved or closed — the backlog at an instant is the sum of everything before it;
/// - `openNow`: in the hour a ticket was created, 1 while it is open (the age of the backlog);
/// - `ratings`: in the hour the customer rated;
/// - `rule*`: in the hour the rule ran, only in the rows of `ReportKey.packDimension` (per pack
///   version) and `ReportKey.ruleDimension` (per rule that failed or had actions rejected).
public enum ReportFigure: String, CaseIterable, Sendable {
    case created, resolved, opened, openNow
    case firstResponses, firstResponseSeconds, firstResponseMet, firstResponseMeasured
    case nextReplies, nextReplySeconds, nextReplyMet, nextReplyMeasured
    case resolutions, resolutionSeconds, resolutionMet, resolutionMeasured
    case breaches
    case ratings, ratingSum, rating1, rating2, rating3, rating4, rating5
    /// Rule handlers run; those that failed (any error), those stopped by their budget; actions
    /// applied (or, for a version in shadow, that it would have applied) and rejected; the
    /// handlers' time in microseconds.
    case ruleEvaluations, ruleErrors, ruleBudgetOverruns, ruleActions, ruleRejected, ruleMicros
    /// What `GET /tickets/stats/summary` counts of the tickets created in the hour, as they are
    /// now: escalated; with a resolution recorded; answered (and the wall-clock milliseconds from
    /// creation to the first response); the ticket's first-response and resolution SLA flags
    /// (`sla.firstResponseMet`, `sla.resolutionMet`) set, and set true.
    case escalated, resolutionRecorded, firstResponded, firstResponseWallMillis
    case firstResponseFlagMet, firstResponseFlagMeasured, resolutionFlagMet, resolutionFlagMeasured

    public var index: Int { Self.indices[self]! }
    private static let indices = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })
}

/// The figures of one row: one value per `ReportFigure`.
public struct ReportFigures: Sendable, Equatable {
    public var values: [Int64]

    public init() { values = Array(repeating: 0, count: ReportFigure.allCases.count) }

    public init(values: [Int64]) {
        precondition(values.count == ReportFigure.allCases.count)
        self.values = values
    }

    public subscript(_ figure: ReportFigure) -> Int64 {
        get { values[figure.index] }
        set { values[figure.index] = newValue }
    }

    public var isZero: Bool { values.allSatisfy { $0 == 0 } }

    public mutating func add(_ other: ReportFigures, times sign: Int64 = 1) {
        for index in values.indices { values[index] += other.values[index] * sign }
    }
}

/// Where a row of figures is kept: one hour of the tenant (its start, aligned to the tenant's
/// local hours), one dimension (nil: the whole tenant; `status` for the backlog by status) and
/// one of its values.
public struct ReportKey: Hashable, Sendable {
    /// The dimension name of the rows that hold the backlog by status (only `opened` is kept there).
    public static let statusDimension = "status"
    /// The rows of the rules' figures per pack version (value `packId@version`), and per rule
    /// that failed or had an action rejected (value `packId@version rule`). They are counted as
    /// rules run, from the audit entries each change adds — not from what a ticket keeps (its
    /// audit is trimmed) — so `docket reports rebuild` keeps them as they are.
    public static let packDimension = "pack"
    public static let ruleDimension = "rule"
    public static let ruleDimensions: Set<String> = [packDimension, ruleDimension]
    /// The rows of tickets by their status now, counted (`created`) in their creation hour:
    /// what `stats/summary` answers as `byStatus`.
    public static let statusNowDimension = "statusNow"
    /// The value of a ticket without a queue, and of one nobody is assigned.
    public static let none = "none"
    public static let unassigned = "unassigned"

    /// Seconds since 1970 of the hour's start.
    public var hour: Int64
    /// The start of the tenant-local day the hour belongs to (what day, week and month
    /// reports group by); follows from `hour` and the tenant's zone.
    public var day: Int64
    /// "" for the whole tenant.
    public var dimension: String
    public var value: String

    public init(hour: Int64, day: Int64, dimension: String, value: String) {
        self.hour = hour
        self.day = day
        self.dimension = dimension
        self.value = value
    }
}

/// Durations a histogram is kept for.
public enum ReportDuration: String, CaseIterable, Codable, Sendable {
    case firstResponse, nextReply, resolution
}

/// Where a histogram bucket's count is kept: like `ReportKey`, at the grain of an hour or a
/// tenant-local day (percentiles over a year read days, not 8,760 hours).
public struct ReportHistogramKey: Hashable, Sendable {
    public enum Grain: Int, Sendable { case hour = 0, day = 1 }
    public var grain: Grain
    public var start: Int64
    public var dimension: String
    public var value: String
    public var duration: ReportDuration
    public var bucket: Int

    public init(grain: Grain, start: Int64, dimension: String, value: String, duration: ReportDuration, bucket: Int) {
        self.grain = grain
        self.start = start
        self.dimension = dimension
        self.value = value
        self.duration = duration
        self.bucket = bucket
    }
}

/// Log-spaced buckets for durations: bucket 0 holds 0 s, bucket b ≥ 1 holds
/// [1.05^(b-1), 1.05^b) seconds. A percentile read from them is the bucket's geometric middle:
/// within 2.5 % of the exact value (and exact to the second below 20 s, where buckets hold one
/// whole second).
public enum ReportHistogram {
    public static let growth = 1.05
    private static let logGrowth = log(growth)

    public static func bucket(_ seconds: Int64) -> Int {
        guard seconds > 0 else { return 0 }
        return min(buckets - 1, Int((log(Double(seconds)) / logGrowth).rounded(.down)) + 1)
    }

    /// The value a percentile in `bucket` is read as, in whole seconds.
    public static func representative(_ bucket: Int) -> Int64 {
        guard bucket > 0 else { return 0 }
        let low = pow(growth, Double(bucket - 1)), high = pow(growth, Double(bucket))
        // Buckets narrower than a second hold one whole second: that second is exact.
        let lowSecond = low.rounded(.up)
        if lowSecond + 1 >= high { return Int64(lowSecond) }
        return Int64((low * high).squareRoot().rounded())
    }

    /// Buckets there are (a duration of more than a century falls in the last).
    public static let buckets = 512

    /// The `fraction` percentile (0.5, 0.9) of counts per bucket: the value of the bucket holding
    /// the `ceil(fraction × n)`-th smallest value (the nearest-rank method). Nil when empty.
    public static func percentile(_ counts: [Int: Int64], _ fraction: Double) -> Int64? {
        var dense = [Int64](repeating: 0, count: buckets)
        for (bucket, count) in counts { dense[min(max(bucket, 0), buckets - 1)] += count }
        return percentile(dense: dense, fraction)
    }

    /// The same over counts indexed by bucket.
    public static func percentile(dense counts: [Int64], _ fraction: Double) -> Int64? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, Int64((Double(total) * fraction).rounded(.up)))
        var seen: Int64 = 0
        for (bucket, count) in counts.enumerated() where count != 0 {
            seen += count
            if seen >= rank { return representative(bucket) }
        }
        return nil
    }
}

/// A change to the kept figures: rows and histogram buckets to add (negative to take away).
/// A change's delta is the ticket's contribution after it minus its contribution before it;
/// the sum of every ticket's contribution is what `docket reports rebuild` writes.
public struct ReportDelta: Sendable, Equatable {
    public var rows: [ReportKey: ReportFigures]
    public var histogram: [ReportHistogramKey: Int64]

    public init(rows: [ReportKey: ReportFigures] = [:], histogram: [ReportHistogramKey: Int64] = [:]) {
        self.rows = rows
        self.histogram = histogram
    }

    public static let empty = ReportDelta()

    public var isEmpty: Bool { rows.isEmpty && histogram.isEmpty }

    public mutating func add(_ other: ReportDelta, times sign: Int64 = 1) {
        for (key, figures) in other.rows {
            if let index = rows.index(forKey: key) {
                // In place: no copy of the row's figures.
                rows.values[index].add(figures, times: sign)
                if rows.values[index].isZero { rows.remove(at: index) }
            } else if !figures.isZero {
                var row = figures
                if sign != 1 { row.values = row.values.map { $0 * sign } }
                rows[key] = row
            }
        }
        for (key, count) in other.histogram {
            let sum = (histogram[key] ?? 0) + count * sign
            histogram[key] = sum == 0 ? nil : sum
        }
    }

    /// What changes from `before` to `after`: empty when the figures are the same.
    public static func change(from before: ReportDelta, to after: ReportDelta) -> ReportDelta {
        var delta = after
        delta.add(before, times: -1)
        return delta
    }
}
