import Foundation

/// The tenant's kept report figures (`ReportDelta` rows and histogram buckets). Changes add to
/// them in their own write (`Outbox.report`); reports read sums over hours.
public protocol ReportStore: Sendable {
    /// Sums of the rows of `dimension` ("" for the whole tenant, a `ReportDimension`'s raw value,
    /// or `ReportKey.statusDimension`) whose hour starts in [from, to), per hour (or per
    /// tenant-local day with `byDay`) and value; only `values` when given.
    func reportRows(tenantId: String, dimension: String, values: [String]?, from: Int64, to: Int64, byDay: Bool) async throws -> [ReportRow]
    /// Sums per value of the rows of `dimension` whose hour starts before `before` (where a
    /// backlog starts from).
    func reportTotals(tenantId: String, dimension: String, values: [String]?, before: Int64) async throws -> [String: ReportFigures]
    /// Histogram counts of `dimension` at `grain` whose start is in [from, to).
    func reportHistogram(
        tenantId: String, grain: ReportHistogramKey.Grain, dimension: String, values: [String]?, from: Int64, to: Int64
    ) async throws -> [ReportHistogramRow]
    /// Replaces every kept figure of the tenant with `figures` (`docket reports rebuild`), in one write.
    func replaceReports(tenantId: String, with figures: ReportDelta) async throws
    /// Waits until every change committed so far counts in the figures (MongoDB folds them
    /// after the change's own write; the other stores count them in it).
    func settleReports() async throws
}

extension ReportStore {
    public func settleReports() async throws {}
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

public struct ReportHistogramRow: Sendable, Equatable {
    public var start: Int64
    public var value: String
    public var duration: ReportDuration
    public var bucket: Int
    public var count: Int64

    public init(start: Int64, value: String, duration: ReportDuration, bucket: Int, count: Int64) {
        self.start = start
        self.value = value
        self.duration = duration
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
        for (key, figures) in self.rows where key.dimension == dimension && key.hour >= from && key.hour < to {
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
        return histogram.compactMap { key, count in
            guard key.grain == grain, key.dimension == dimension, key.start >= from, key.start < to, count != 0 else { return nil }
            if let wanted, !wanted.contains(key.value) { return nil }
            return ReportHistogramRow(start: key.start, value: key.value, duration: key.duration, bucket: key.bucket, count: count)
        }.sorted { ($0.start, $0.value, $0.duration.rawValue, $0.bucket) < ($1.start, $1.value, $1.duration.rawValue, $1.bucket) }
    }
}
