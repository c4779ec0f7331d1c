import DocketCore
import Foundation
import GRDB

/// What a copy of the embedded store holds, read from the copy itself.
public struct SQLiteCopyFacts: Codable, Sendable, Equatable {
    public var tenants: Int
    public var tickets: Int
    public var messages: Int
    public var liveEvents: Int
    /// Each tenant's latest live event id: the copy's point in each tenant's event log.
    public var latestEvents: [String: Int]
    public var migrations: [String]
    public var bytes: Int
}

/// Consistent copies of the embedded store, for `docket backup` and `docket restore`.
public enum SQLiteBackup {
    /// Copies the database at `source` — which a running server may be writing — to
    /// `destination` (a new file) with `VACUUM INTO` on a connection of its own: one read
    /// transaction, so the copy is the database as of one commit, compacted, and never torn, and
    /// the server's writer is not held up (WAL: readers and the writer do not block each other).
    /// The copy is checked (`integrity_check`) before its facts are answered.
    public static func copy(database source: String, to destination: String) throws -> SQLiteCopyFacts {
        guard FileManager.default.fileExists(atPath: source) else {
            throw DocketError(.notFound, "no database at \(source)")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw DocketError(.conflict, "\(destination) exists: a copy never overwrites")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let database = try DatabaseQueue(path: source, configuration: configuration)
        try database.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [destination]) }
        try database.close()
        return try facts(of: destination)
    }

    /// Checks the database at `path` whole (`integrity_check`) and reads what it holds; an error
    /// names what is wrong.
    public static func facts(of path: String) throws -> SQLiteCopyFacts {
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? database.close() }
        return try database.read { db in
            let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            guard problems == ["ok"] else {
                throw DocketError(.internalError, "\(path) is damaged: \(problems.prefix(5).joined(separator: "; "))")
            }
            let latest = try Row.fetchAll(db, sql: "SELECT tenant_id, MAX(id) AS latest FROM live_events GROUP BY tenant_id")
            return SQLiteCopyFacts(
                tenants: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tenants") ?? 0,
                tickets: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets") ?? 0,
                messages: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ticket_messages") ?? 0,
                liveEvents: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM live_events") ?? 0,
                latestEvents: Dictionary(uniqueKeysWithValues: latest.map { ($0["tenant_id"] as String, $0["latest"] as Int) }),
                migrations: try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid"),
                bytes: (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
    }
}
