import DocketCore
import Foundation
import GRDB
import Synchronization

/// The kept report figures: added to in each change's transaction, read as sums over hours or
/// days; histograms one row per hour or day, value and duration, their counts in a blob.
extension SQLiteTicketStore {
    /// A figure's column: `firstResponseMet` → `first_response_met`.
    static func column(_ figure: ReportFigure) -> String {
        var out = ""
        for character in figure.rawValue {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    static let figureColumns = ReportFigure.allCases.map(column)

    /// The upsert of one row of `table` adding to the figures of `mask` only (bit i: figure i):
    /// a change touches a few figures of each row, so the others are neither bound nor rewritten.
    private static func upsert(_ table: String, keys: [String], mask: UInt64) -> String {
        let columns = figureColumns.indices.filter { mask & (1 << UInt64($0)) != 0 }.map { figureColumns[$0] }
        let marks = (keys + columns).map { _ in "?" }.joined(separator: ", ")
        let sums = columns.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", ")
        let conflict = keys.filter { $0 != "day" || table == "report_days" }.joined(separator: ", ")
        return """
            INSERT INTO \(table) (\(keys.joined(separator: ", ")), \(columns.joined(separator: ", "))) VALUES (\(marks))
            ON CONFLICT (\(conflict)) DO UPDATE SET \(sums)
            """
    }

    /// Each mask's upsert SQL, made once per process.
    private static let upserts = Mutex<[UpsertKey: String]>([:])

    private struct UpsertKey: Hashable {
        var days: Bool
        var mask: UInt64
    }

    private static func upsertSQL(days: Bool, mask: UInt64) -> String {
        let key = UpsertKey(days: days, mask: mask)
        if let known = upserts.withLock({ $0[key] }) { return known }
        let sql = days
            ? upsert("report_days", keys: ["tenant_id", "dim", "day", "value"], mask: mask)
            : upsert("report_hours", keys: ["tenant_id", "dim", "hour", "value", "day"], mask: mask)
        upserts.withLock { $0[key] = sql }
        return sql
    }

    /// The figures that are not zero, as bits.
    static func mask(_ figures: ReportFigures) -> UInt64 {
        precondition(figures.values.count <= 64, "a mask holds 64 figures")
        var mask: UInt64 = 0
        for (index, value) in figures.values.enumerated() where value != 0 { mask |= 1 << UInt64(index) }
        return mask
    }

    /// Adds one row's figures through the upsert of its non-zero figures.
    private static func upsertRow(_ db: Database, days: Bool, keys: [DatabaseValue], _ figures: ReportFigures) throws {
        let mask = mask(figures)
        guard mask != 0 else { return }
        var arguments = keys
        for value in figures.values where value != 0 { arguments.append(value.databaseValue) }
        try db.cachedStatement(sql: upsertSQL(days: days, mask: mask)).execute(arguments: StatementArguments(arguments))
    }

    /// Adds `delta` to the tenant's figures, inside the caller's transaction: each row to its
    /// hour and to its day; each histogram read, added to and written back (one writer at a time).
    static func addReport(_ delta: ReportDelta, tenantId: String, _ db: Database) throws {
        guard !delta.isEmpty else { return }
        if !delta.rows.isEmpty {
            let tenant = tenantId.databaseValue
            var perDay: [DayKey: ReportFigures] = [:]
            for (key, figures) in delta.rows where !figures.isZero {
                try upsertRow(
                    db, days: false, keys: [tenant, key.dimension.databaseValue, key.hour.databaseValue, key.value.databaseValue, key.day.databaseValue],
                    figures)
                perDay[DayKey(dimension: key.dimension, day: key.day, value: key.value), default: ReportFigures()].add(figures)
            }
            for (key, figures) in perDay where !figures.isZero {
                try upsertRow(db, days: true, keys: [tenant, key.dimension.databaseValue, key.day.databaseValue, key.value.databaseValue], figures)
            }
        }
        if !delta.histogram.isEmpty {
            let read = try db.cachedStatement(sql: """
                SELECT counts FROM report_histograms WHERE tenant_id = ? AND dim = ? AND grain = ? AND start = ? AND value = ? AND duration = ?
                """)
            let write = try db.cachedStatement(sql: """
                INSERT INTO report_histograms (tenant_id, dim, grain, start, value, duration, counts) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (tenant_id, dim, grain, start, value, duration) DO UPDATE SET counts = excluded.counts
                """)
            let remove = try db.cachedStatement(sql: """
                DELETE FROM report_histograms WHERE tenant_id = ? AND dim = ? AND grain = ? AND start = ? AND value = ? AND duration = ?
                """)
            for (key, counts) in delta.histograms {
                let arguments: StatementArguments = [tenantId, key.dimension, key.grain.rawValue, key.start, key.value, key.duration.rawValue]
                var merged: [Int: Int64] = [:]
                if let stored = try Data.fetchOne(read, arguments: arguments) {
                    for entry in HistogramBlob.decode(stored) { merged[entry.bucket] = entry.count }
                }
                for entry in counts { merged[entry.bucket, default: 0] += entry.count }
                let kept = merged.filter { $0.value != 0 }.map { BucketCount(bucket: $0.key, count: $0.value) }.sorted { $0.bucket < $1.bucket }
                if kept.isEmpty {
                    try remove.execute(arguments: arguments)
                } else {
                    try write.execute(arguments: arguments + [HistogramBlob.encode(kept)])
                }
            }
        }
    }

    struct DayKey: Hashable {
        var dimension: String
        var day: Int64
        var value: String
    }

    private static let sums = figureColumns.map { "SUM(\($0))" }.joined(separator: ", ")

    static func figures(_ row: Row, from index: Int) -> ReportFigures {
        var figures = ReportFigures()
        for offset in 0..<figures.values.count { figures.values[offset] = row[index + offset] }
        return figures
    }

    static func valueFilter(_ values: [String]?) -> (String, [String]) {
        guard let values else { return ("", []) }
        return (" AND value IN (\(values.map { _ in "?" }.joined(separator: ", ")))", values)
    }

    public func reportRows(tenantId: String, dimension: String, values: [String]?, from: Int64, to: Int64, byDay: Bool) async throws -> [ReportRow] {
        let (clause, wanted) = Self.valueFilter(values)
        let (table, start) = byDay ? ("report_days", "day") : ("report_hours", "hour")
        // One row per (dimension, start, value) already (the primary key): read as kept, in key order.
        let sql = """
            SELECT \(start), value, \(Self.figureColumns.joined(separator: ", ")) FROM \(table)
            WHERE tenant_id = ? AND dim = ? AND \(start) >= ? AND \(start) < ?\(clause)
            ORDER BY \(start), value
            """
        return try await read { db in
            let arguments: [(any DatabaseValueConvertible)?] = [tenantId, dimension, from, to] + wanted.map { $0 }
            // A cursor reads each row where SQLite holds it (no copy of a row's 26 values).
            var out: [ReportRow] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
            while let row = try rows.next() { out.append(ReportRow(start: row[0], value: row[1], figures: Self.figures(row, from: 2))) }
            return out
        }
    }

    public func reportTotals(tenantId: String, dimension: String, values: [String]?, before: Int64) async throws -> [String: ReportFigures] {
        let (clause, wanted) = Self.valueFilter(values)
        // Whole days before the day holding `before` from the day rows, then that day's hours.
        return try await read { db in
            var out: [String: ReportFigures] = [:]
            let arguments: [(any DatabaseValueConvertible)?] = [tenantId, dimension, before] + wanted.map { $0 }
            let lastDay = try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT day FROM report_hours WHERE tenant_id = ? AND dim = ? AND hour < ? ORDER BY hour DESC LIMIT 1
                """), arguments: [tenantId, dimension, before])
            guard let lastDay else { return out }
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT value, \(Self.sums) FROM report_days WHERE tenant_id = ? AND dim = ? AND day < ?\(clause) GROUP BY value
                """), arguments: StatementArguments([tenantId, dimension, lastDay] + wanted.map { $0 })) {
                out[row[0], default: ReportFigures()].add(Self.figures(row, from: 1))
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT value, \(Self.sums) FROM report_hours WHERE tenant_id = ? AND dim = ? AND hour >= ? AND hour < ?\(clause) GROUP BY value
                """), arguments: StatementArguments([tenantId, dimension, lastDay] + Array(arguments[2...]))) {
                out[row[0], default: ReportFigures()].add(Self.figures(row, from: 1))
            }
            return out
        }
    }

    public func reportHistogram(
        tenantId: String, grain: ReportHistogramKey.Grain, dimension: String, values: [String]?, from: Int64, to: Int64
    ) async throws -> [ReportHistogramRow] {
        let (clause, wanted) = Self.valueFilter(values)
        let sql = """
            SELECT start, value, duration, counts FROM report_histograms
            WHERE tenant_id = ? AND dim = ? AND grain = ? AND start >= ? AND start < ?\(clause)
            ORDER BY start, value, duration
            """
        return try await read { db in
            let arguments: [(any DatabaseValueConvertible)?] = [tenantId, dimension, grain.rawValue, from, to] + wanted.map { $0 }
            var out: [ReportHistogramRow] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
            while let row = try rows.next() {
                guard let duration = ReportDuration(rawValue: row[2]) else { continue }
                out.append(ReportHistogramRow(start: row[0], value: row[1], duration: duration, counts: HistogramBlob.decode(row[3])))
            }
            return out
        }
    }

    public func replaceReports(tenantId: String, with figures: ReportDelta) async throws {
        try await write { db in
            // The rules' rows are counted as rules run and stay (`ReportKey.ruleDimensions`).
            let kept = ReportKey.ruleDimensions.sorted()
            for table in ["report_hours", "report_days", "report_histograms"] {
                try db.execute(
                    sql: "DELETE FROM \(table) WHERE tenant_id = ? AND dim NOT IN (\(kept.map { _ in "?" }.joined(separator: ", ")))",
                    arguments: StatementArguments([tenantId] + kept))
            }
            try Self.addReport(figures, tenantId: tenantId, db)
            try db.execute(sql: "DELETE FROM report_stale WHERE tenant_id = ?", arguments: [tenantId])
        }
    }

    public func reportsStale(tenantId: String) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM report_stale WHERE tenant_id = ?)"), arguments: [tenantId]) ?? false
        }
    }
}

/// A histogram's counts as stored: (bucket, count) pairs, little-endian Int32 and Int64.
enum HistogramBlob {
    static func encode(_ counts: [BucketCount]) -> Data {
        var data = Data(capacity: counts.count * 12)
        for entry in counts {
            withUnsafeBytes(of: Int32(entry.bucket).littleEndian) { data.append(contentsOf: $0) }
            withUnsafeBytes(of: entry.count.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decode(_ data: Data) -> [BucketCount] {
        var out: [BucketCount] = []
        out.reserveCapacity(data.count / 12)
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset + 12 <= raw.count {
                let bucket = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
                let count = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: Int64.self))
                out.append(BucketCount(bucket: Int(bucket), count: count))
                offset += 12
            }
        }
        return out
    }
}
