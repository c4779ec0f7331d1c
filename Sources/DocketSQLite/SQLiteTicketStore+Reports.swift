import DocketCore
import Foundation
import GRDB

/// The kept report figures: added to in each change's transaction, read as sums over hours.
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

    private static let upsertRow: String = {
        let columns = figureColumns.joined(separator: ", ")
        let marks = figureColumns.map { _ in "?" }.joined(separator: ", ")
        let sums = figureColumns.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", ")
        return """
            INSERT INTO report_hours (tenant_id, dim, hour, value, day, \(columns)) VALUES (?, ?, ?, ?, ?, \(marks))
            ON CONFLICT (tenant_id, dim, hour, value) DO UPDATE SET \(sums)
            """
    }()

    private static let upsertBucket = """
        INSERT INTO report_durations (tenant_id, dim, grain, start, value, duration, bucket, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant_id, dim, grain, start, value, duration, bucket) DO UPDATE SET n = n + excluded.n
        """

    /// Adds `delta` to the tenant's figures, inside the caller's transaction.
    static func addReport(_ delta: ReportDelta, tenantId: String, _ db: Database) throws {
        guard !delta.isEmpty else { return }
        if !delta.rows.isEmpty {
            let statement = try db.cachedStatement(sql: upsertRow)
            for (key, figures) in delta.rows where !figures.isZero {
                var arguments: [(any DatabaseValueConvertible)?] = [tenantId, key.dimension, key.hour, key.value, key.day]
                arguments += figures.values.map { $0 }
                try statement.execute(arguments: StatementArguments(arguments))
            }
        }
        if !delta.histogram.isEmpty {
            let statement = try db.cachedStatement(sql: upsertBucket)
            for (key, count) in delta.histogram where count != 0 {
                try statement.execute(arguments: [
                    tenantId, key.dimension, key.grain.rawValue, key.start, key.value, key.duration.rawValue, key.bucket, count,
                ])
            }
        }
    }

    private static let sums = figureColumns.map { "SUM(\($0))" }.joined(separator: ", ")

    static func figures(_ row: Row, from index: Int) -> ReportFigures {
        ReportFigures(values: (0..<ReportFigure.allCases.count).map { row[index + $0] as Int64 })
    }

    static func valueFilter(_ values: [String]?) -> (String, [String]) {
        guard let values else { return ("", []) }
        return (" AND value IN (\(values.map { _ in "?" }.joined(separator: ", ")))", values)
    }

    public func reportRows(tenantId: String, dimension: String, values: [String]?, from: Int64, to: Int64, byDay: Bool) async throws -> [ReportRow] {
        let (clause, wanted) = Self.valueFilter(values)
        let start = byDay ? "day" : "hour"
        let sql = """
            SELECT \(start), value, \(Self.sums) FROM report_hours
            WHERE tenant_id = ? AND dim = ? AND hour >= ? AND hour < ?\(clause)
            GROUP BY \(start), value ORDER BY \(start), value
            """
        return try await read { db in
            let arguments: [(any DatabaseValueConvertible)?] = [tenantId, dimension, from, to] + wanted.map { $0 }
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)).map { row in
                ReportRow(start: row[0], value: row[1], figures: Self.figures(row, from: 2))
            }
        }
    }

    public func reportTotals(tenantId: String, dimension: String, values: [String]?, before: Int64) async throws -> [String: ReportFigures] {
        let (clause, wanted) = Self.valueFilter(values)
        let sql = "SELECT value, \(Self.sums) FROM report_hours WHERE tenant_id = ? AND dim = ? AND hour < ?\(clause) GROUP BY value"
        return try await read { db in
            let arguments: [(any DatabaseValueConvertible)?] = [tenantId, dimension, before] + wanted.map { $0 }
            var out: [String: ReportFigures] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)) {
                out[row[0]] = Self.figures(row, from: 1)
            }
            return out
        }
    }

    public func reportHistogram(
        tenantId: String, grain: ReportHistogramKey.Grain, dimension: String, values: [String]?, from: Int64, to: Int64
    ) async throws -> [ReportHistogramRow] {
        let (clause, wanted) = Self.valueFilter(values)
        let sql = """
            SELECT start, value, duration, bucket, SUM(n) FROM report_durations
            WHERE tenant_id = ? AND dim = ? AND grain = ? AND start >= ? AND start < ?\(clause)
            GROUP BY start, value, duration, bucket HAVING SUM(n) != 0 ORDER BY start, value, duration, bucket
            """
        return try await read { db in
            let arguments: [(any DatabaseValueConvertible)?] = [tenantId, dimension, grain.rawValue, from, to] + wanted.map { $0 }
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)).compactMap { row in
                guard let duration = ReportDuration(rawValue: row[2]) else { return nil }
                return ReportHistogramRow(start: row[0], value: row[1], duration: duration, bucket: row[3], count: row[4])
            }
        }
    }

    public func replaceReports(tenantId: String, with figures: ReportDelta) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM report_hours WHERE tenant_id = ?", arguments: [tenantId])
            try db.execute(sql: "DELETE FROM report_durations WHERE tenant_id = ?", arguments: [tenantId])
            try Self.addReport(figures, tenantId: tenantId, db)
        }
    }
}
