import Foundation

/// The tenant's kept report figures (`ReportDelta` rows and histogram buckets). Changes add to
/// them in their own write (`Outbox.report`); reports read sums over hours.
public protocol ReportStore: Sendable {
    /// Sums of the rows of `dimension` ("" for the whole tenant, a `ReportDimension`'s raw value,
    /// or `ReportKey.statusDimension`) whose hour starts in [from, to), per hour and value; with
    /// `byDay`, of the tenant-local days that start in [from, to), per day. Only `values` when given.
    func reportRows(tenantId: String, dimension: String, values: [String]?, from: Int64, to: Int64, byDay: Bool) async throws -> [ReportRow]
    /// Sums per value of the rows of `dimension` whose hour starts before `before` (where a
    /// backlog starts from).
    func reportTotals(tenantId: String, dimension: String, values: [String]?, before: Int64) async throws -> [String: ReportFigures]
    /// Histogram counts of `dimension` at `grain` whose start is in [from, to).
    func reportHistogram(
        tenantId: String, grain: ReportHistogramKey.Grain, dimension: String, values: [String]?, from: Int64, to: Int64
    ) async throws -> [ReportHistogramRow]
    /// Replaces every kept figure of the tenant with `figures` (`docket reports rebuild`), in one
    /// write, except the rules' rows (`ReportKey.ruleDimensions`); the tenant's figures are then
    /// no longer stale.
    func replaceReports(tenantId: String, with figures: ReportDelta) async throws
    /// Whether the tenant had tickets before an upgrade added figures, and was not rebuilt
    /// since: its figures lack those tickets' part (`stats/summary` then counts the tickets).
    func reportsStale(tenantId: String) async throws -> Bool
    /// Waits until every change committed so far counts in the figures (MongoDB folds them
    /// after the change's own write; the other stores count them in it).
    func settleReports() async throws
}

extension ReportStore {
    public func settleReports() async throws {}
    public func reportsStale(tenantId: String) async throws -> Bool { false }
}

/// A sum of kept rows: one hour (or day) and one value.
public struct ReportRow: Sendable, Equatable {
    public var start: Int64
    public var value: String
    public var figures: ReportFigures

    public init(start: Int64, value: String, figures: ReportFigures) {
        self.start = start
        self.value = value
        self.figures = figures
    }
}

/// One histogram of one hour (or day), value and duration: its non-zero buckets, in order.
public struct ReportHistogramRow: Sendable, Equatable {
    public var start: Int64
    public var value: String
    public var duration: ReportDuration
    public var counts: [BucketCount]

    public init(start: Int64, value: String, duration: ReportDuration, counts: [BucketCount]) {
        self.start = start
        self.value = value
        self.duration = duration
        self.counts = counts
    }

    /// How many values the histogram holds.
    public var total: Int64 { counts.reduce(0) { $0 + $1.count } }
}

public struct BucketCount: Sendable, Equatable {
    public var bucket: Int
    public var count: Int64

    public init(bucket: Int, count: Int64) {
        self.bucket = bucket
        self.count = count
    }
}

extension ReportDelta {
    /// What `reportRows` answers over these figures (the memory store's query, and the
    /// reference the store tests compare with).
    public func rows(dimension: String, values: [String]?, from: Int64, to: Int64, byDay: Bool) -> [ReportRow] {
        let wanted = values.map(Set.init)
        var sums: [String: [Int64: ReportFigures]] = [:]
        for (key, figures) in self.rows where key.dimension == dimension {
            let start = byDay ? key.day : key.hour
            guard start >= from, start < to else { continue }
            if let wanted, !wanted.contains(key.value) { continue }
            sums[key.value, default: [:]][byDay ? key.day : key.hour, default: ReportFigures()].add(figures)
        }
        return sums.flatMap { value, starts in starts.map { ReportRow(start: $0.key, value: value, figures: $0.value) } }
            .sorted { ($0.start, $0.value) < ($1.start, $1.value) }
    }

    public func totals(dimension: String, values: [String]?, before: Int64) -> [String: ReportFigures] {
        let wanted = values.map(Set.init)
        var sums: [String: ReportFigures] = [:]
        for (key, figures) in self.rows where key.dimension == dimension && key.hour < before {
            if let wanted, !wanted.contains(key.value) { continue }
            sums[key.value, default: ReportFigures()].add(figures)
        }
        return sums
    }

    public func histogramRows(grain: ReportHistogramKey.Grain, dimension: String, values: [String]?, from: Int64, to: Int64) -> [ReportHistogramRow] {
        let wanted = values.map(Set.init)
        var rows: [HistogramKey: [BucketCount]] = [:]
        for (key, count) in histogram where key.grain == grain && key.dimension == dimension && key.start >= from && key.start < to && count != 0 {
            if let wanted, !wanted.contains(key.value) { continue }
            rows[HistogramKey(start: key.start, value: key.value, duration: key.duration), default: []].append(BucketCount(bucket: key.bucket, count: count))
        }
        return rows.map { key, counts in
            ReportHistogramRow(start: key.start, value: key.value, duration: key.duration, counts: counts.sorted { $0.bucket < $1.bucket })
        }.sorted { ($0.start, $0.value, $0.duration.rawValue) < ($1.start, $1.value, $1.duration.rawValue) }
    }

    /// The histograms of this delta, one per (grain, start, dimension, value, duration): what
    /// the stores keep as one record each.
    public var histograms: [ReportHistogramKey: [BucketCount]] {
        var out: [ReportHistogramKey: [BucketCount]] = [:]
        for (key, count) in histogram where count != 0 {
            var whole = key
            whole.bucket = 0
            out[whole, default: []].append(BucketCount(bucket: key.bucket, count: count))
        }
        return out
    }

    struct HistogramKey: Hashable {
        var start: Int64
        var value: String
        var duration: ReportDuration
    }
}
