import DocketCore
import Foundation

/// The kept report figures on MongoDB. A change's `ReportDelta` rides in its document's outbox
/// batch (one single-document write, as its events do); the mover puts it in `report_deltas`
/// under the batch's id (idempotent), and the folder adds pending deltas to `report_hours` and
/// `report_durations` and deletes them in one multi-document transaction — the one place the
/// adapter uses one. Why: an `$inc` on several documents cannot otherwise be made to count
/// exactly once when a folder dies half way, and the transaction also serialises folders on
/// other instances (they conflict on the deltas they delete, and the loser retries). Writers
/// never touch the hot hour documents, so they never conflict with each other.
extension MongoTicketStore {
    enum ReportCollections {
        static let deltas = "report_deltas", hours = "report_hours", days = "report_days", histograms = "report_histograms"
        /// `{_id: "version", figures: N}`: the figures this database counts; `{_id: "stale:<tenant>"}`
        /// for each tenant whose tickets came before an upgrade added figures, until it is rebuilt.
        static let state = "report_state"
    }

    /// The batch field a delta rides in.
    static func reportDocument(_ delta: ReportDelta) -> BSONDoc {
        let rows: [BSONValue] = delta.rows.compactMap { key, figures in
            guard !figures.isZero else { return nil }
            return .document(BSONDoc([
                ("d", .string(key.dimension)), ("h", .int64(key.hour)), ("y", .int64(key.day)), ("v", .string(key.value)),
                ("f", .document(figureFields(figures))),
            ]))
        }
        let buckets: [BSONValue] = delta.histogram.compactMap { key, count in
            guard count != 0 else { return nil }
            return .document(BSONDoc([
                ("g", .integer(key.grain.rawValue)), ("s", .int64(key.start)), ("d", .string(key.dimension)), ("v", .string(key.value)),
                ("k", .string(key.duration.rawValue)), ("b", .integer(key.bucket)), ("n", .int64(count)),
            ]))
        }
        return BSONDoc([("rows", .array(rows)), ("hist", .array(buckets))])
    }

    static func figureFields(_ figures: ReportFigures) -> BSONDoc {
        BSONDoc(ReportFigure.allCases.compactMap { figure in figures[figure] == 0 ? nil : (figure.rawValue, .int64(figures[figure])) })
    }

    static func figures(_ document: BSONDoc?) -> ReportFigures {
        var figures = ReportFigures()
        for figure in ReportFigure.allCases {
            if let value = document?[figure.rawValue]?.int { figures[figure] = Int64(value) }
        }
        return figures
    }

    static func reportDelta(_ document: BSONDoc) -> ReportDelta {
        var delta = ReportDelta()
        if case .array(let rows)? = document["rows"] {
            for case .document(let row) in rows {
                guard let dimension = row["d"]?.string, let hour = row["h"]?.int, let day = row["y"]?.int, let value = row["v"]?.string else { continue }
                delta.rows[ReportKey(hour: Int64(hour), day: Int64(day), dimension: dimension, value: value), default: ReportFigures()]
                    .add(figures(row["f"]?.document))
            }
        }
        if case .array(let buckets)? = document["hist"] {
            for case .document(let item) in buckets {
                guard let grain = item["g"]?.int.flatMap(ReportHistogramKey.Grain.init), let start = item["s"]?.int,
                    let dimension = item["d"]?.string, let value = item["v"]?.string,
                    let duration = item["k"]?.string.flatMap(ReportDuration.init), let bucket = item["b"]?.int, let count = item["n"]?.int
                else { continue }
                let key = ReportHistogramKey(grain: grain, start: Int64(start), dimension: dimension, value: value, duration: duration, bucket: bucket)
                delta.histogram[key, default: 0] += Int64(count)
            }
        }
        return delta
    }

    /// Moves a batch's delta to `report_deltas` (a second mover finds it there).
    static func moveReport(_ job: MongoJob, tenant: String, batch id: String, _ report: BSONDoc?) throws {
        guard let report else { return }
        var document = report
        document["_id"] = .string(id)
        document["tenantId"] = .string(tenant)
        do {
            try job.collection(ReportCollections.deltas).insertOne(document)
        } catch let error as MongoError where error.kind == .duplicateKey {
            // Moved already.
        }
    }

    /// Adds pending deltas to the kept figures, `limit` at a time, until none wait; answers how
    /// many it folded.
    @discardableResult
    public func foldReports(limit: Int = 200) async throws -> Int {
        try await job { job in
            var folded = 0
            while true {
                let count = try job.transaction { transaction -> Int in
                    let deltas = try transaction.collection(ReportCollections.deltas).find([:], FindOptions(sort: [("_id", 1)], limit: limit))
                    guard !deltas.isEmpty else { return 0 }
                    var sums: [String: ReportDelta] = [:]
                    for document in deltas {
                        guard let tenant = document["tenantId"]?.string else { continue }
                        sums[tenant, default: ReportDelta()].add(Self.reportDelta(document))
                    }
                    for (tenant, delta) in sums { try Self.addReport(delta, tenant: tenant, transaction.collection) }
                    let ids = deltas.compactMap { $0["_id"] }
                    try transaction.collection(ReportCollections.deltas).deleteMany(["_id": ["$in": BSONValue.array(ids)]])
                    return deltas.count
                }
                folded += count
                if count < limit { return folded }
            }
        }
    }

    static func hourKey(_ tenant: String, _ key: ReportKey) -> String { "\(tenant)|\(key.dimension)|\(key.hour)|\(key.value)" }

    /// Adds a delta to the hour and day documents and to the histogram documents (one per hour
    /// or day, value and duration; a bucket's count is the field `c.<bucket>`).
    static func addReport(_ delta: ReportDelta, tenant: String, _ collection: (String) throws -> MongoCollection) throws {
        let hours = try collection(ReportCollections.hours), days = try collection(ReportCollections.days)
        let histograms = try collection(ReportCollections.histograms)
        var perDay: [ReportKey: ReportFigures] = [:]
        for (key, figures) in delta.rows where !figures.isZero {
            try hours.updateOne(["_id": hourKey(tenant, key)], [
                "$inc": figureFields(figures),
                "$setOnInsert": BSONDoc([
                    ("tenantId", .string(tenant)), ("dim", .string(key.dimension)), ("hour", .int64(key.hour)), ("day", .int64(key.day)),
                    ("value", .string(key.value)),
                ]),
            ], upsert: true)
            perDay[ReportKey(hour: key.day, day: key.day, dimension: key.dimension, value: key.value), default: ReportFigures()].add(figures)
        }
        for (key, figures) in perDay where !figures.isZero {
            try days.updateOne(["_id": "\(tenant)|\(key.dimension)|\(key.day)|\(key.value)"], [
                "$inc": figureFields(figures),
                "$setOnInsert": BSONDoc([
                    ("tenantId", .string(tenant)), ("dim", .string(key.dimension)), ("day", .int64(key.day)), ("value", .string(key.value)),
                ]),
            ], upsert: true)
        }
        for (key, counts) in delta.histograms {
            let id = "\(tenant)|\(key.dimension)|\(key.grain.rawValue)|\(key.start)|\(key.value)|\(key.duration.rawValue)"
            try histograms.updateOne(["_id": id], [
                "$inc": BSONDoc(counts.map { ("c.\($0.bucket)", BSONValue.int64($0.count)) }),
                "$setOnInsert": BSONDoc([
                    ("tenantId", .string(tenant)), ("dim", .string(key.dimension)), ("grain", .integer(key.grain.rawValue)),
                    ("start", .int64(key.start)), ("value", .string(key.value)), ("duration", .string(key.duration.rawValue)),
                ]),
            ], upsert: true)
        }
    }

    public func settleReports() async throws {
        _ = try await moveStrandedOutboxes(olderThan: 0)
        try await foldReports()
    }

    static func match(tenant: String, dimension: String, values: [String]?, field: String, from: Int64?, to: Int64) -> [String: Any] {
        var range: [String: Any] = ["$lt": BSONValue.int64(to)]
        if let from { range["$gte"] = BSONValue.int64(from) }
        var match: [String: Any] = ["tenantId": tenant, "dim": dimension, field: range]
        if let values { match["value"] = ["$in": BSONValue.array(values.map { .string($0) })] }
        return match
    }

    static var sumFields: [String: Any] {
        Dictionary(uniqueKeysWithValues: ReportFigure.allCases.map { ($0.rawValue, ["$sum": "$\($0.rawValue)"] as [String: Any]) })
    }

    public func reportRows(tenantId: String, dimension: String, values: [String]?, from: Int64, to: Int64, byDay: Bool) async throws -> [ReportRow] {
        try await job { job in
            var group = Self.sumFields
            group["_id"] = ["s": byDay ? "$day" : "$hour", "v": "$value"]
            let results = try job.collection(byDay ? ReportCollections.days : ReportCollections.hours).aggregate([
                ["$match": Self.match(tenant: tenantId, dimension: dimension, values: values, field: byDay ? "day" : "hour", from: from, to: to)],
                ["$group": group],
            ])
            return results.compactMap { document -> ReportRow? in
                guard let id = document["_id"]?.document, let start = id["s"]?.int, let value = id["v"]?.string else { return nil }
                return ReportRow(start: Int64(start), value: value, figures: Self.figures(document))
            }.sorted { ($0.start, $0.value) < ($1.start, $1.value) }
        }
    }

    public func reportTotals(tenantId: String, dimension: String, values: [String]?, before: Int64) async throws -> [String: ReportFigures] {
        try await job { job in
            var group = Self.sumFields
            group["_id"] = "$value"
            let results = try job.collection(ReportCollections.hours).aggregate([
                ["$match": Self.match(tenant: tenantId, dimension: dimension, values: values, field: "hour", from: nil, to: before)],
                ["$group": group],
            ])
            var out: [String: ReportFigures] = [:]
            for document in results {
                if let value = document["_id"]?.string { out[value] = Self.figures(document) }
            }
            return out
        }
    }

    public func reportHistogram(
        tenantId: String, grain: ReportHistogramKey.Grain, dimension: String, values: [String]?, from: Int64, to: Int64
    ) async throws -> [ReportHistogramRow] {
        try await job { job in
            var match = Self.match(tenant: tenantId, dimension: dimension, values: values, field: "start", from: from, to: to)
            match["grain"] = grain.rawValue
            return try job.collection(ReportCollections.histograms).find(match).compactMap { document -> ReportHistogramRow? in
                guard let start = document["start"]?.int, let value = document["value"]?.string,
                    let duration = document["duration"]?.string.flatMap(ReportDuration.init), let counts = document["c"]?.document
                else { return nil }
                let entries = counts.fields.compactMap { field -> BucketCount? in
                    guard let bucket = Int(field.key), let count = field.value.int, count != 0 else { return nil }
                    return BucketCount(bucket: bucket, count: Int64(count))
                }.sorted { $0.bucket < $1.bucket }
                return entries.isEmpty ? nil : ReportHistogramRow(start: Int64(start), value: value, duration: duration, counts: entries)
            }.sorted { ($0.start, $0.value, $0.duration.rawValue) < ($1.start, $1.value, $1.duration.rawValue) }
        }
    }

    /// The figures this code counts: an upgrade that adds figures raises it, and marks the
    /// tenants that have tickets as stale until they are rebuilt.
    static let figuresVersion = 2

    /// At open: a database whose figures are older than this code's marks its tenants with
    /// tickets stale (idempotent; instances opening together mark the same tenants).
    static func markStaleReports(_ job: MongoJob) throws {
        let state = try job.collection(ReportCollections.state)
        if let known = try state.findOne(["_id": "version"])?["figures"]?.int, known >= figuresVersion { return }
        for tenant in try job.collection(Collections.tenants).find([:]) {
            guard let id = tenant["_id"]?.string ?? tenant["id"]?.string else { continue }
            if try job.collection(Collections.tickets).count(["tenantId": id], limit: 1) > 0 {
                _ = try state.updateOne(["_id": "stale:\(id)"], ["$set": ["tenantId": id]], upsert: true)
            }
        }
        _ = try state.updateOne(["_id": "version"], ["$set": ["figures": figuresVersion]], upsert: true)
    }

    public func reportsStale(tenantId: String) async throws -> Bool {
        try await job { job in try job.collection(ReportCollections.state).findOne(["_id": "stale:\(tenantId)"]) != nil }
    }

    /// Not one write on MongoDB: the tenant's figures are deleted, then written again. Run it
    /// while the tenant's tickets are not changing (after an upgrade or a restore).
    public func replaceReports(tenantId: String, with figures: ReportDelta) async throws {
        try await job { job in
            try job.collection(ReportCollections.deltas).deleteMany(["tenantId": tenantId])
            // The rules' rows are counted as rules run and stay (`ReportKey.ruleDimensions`).
            for collection in [ReportCollections.hours, ReportCollections.days, ReportCollections.histograms] {
                try job.collection(collection).deleteMany(["tenantId": tenantId, "dim": ["$nin": ReportKey.ruleDimensions.sorted()]])
            }
            try Self.addReport(figures, tenant: tenantId, job.collection)
            _ = try job.collection(ReportCollections.state).deleteMany(["_id": "stale:\(tenantId)"])
        }
    }
}
