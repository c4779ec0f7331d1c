import DocketCore
import DocketSQLite
import Foundation

/// `docket backup DIR` and `docket restore DIR`: the embedded store with its signing key, as a
/// folder of three files — `docket.sqlite` (a consistent copy, see `SQLiteBackup`), `jwt-secret`
/// and `backup.json` (what the copy holds, written last: a folder without it is no backup).
public enum DataBackup {
    public struct Manifest: Codable, Sendable {
        public var format = 1
        public var createdAt: Date
        public var docket: String
        /// The data directory it was taken from.
        public var source: String
        /// Whether `jwt-secret` is in the backup (false when the server's key is DOCKET_JWT_SECRET).
        public var signingKey: Bool
        public var store: SQLiteCopyFacts
        /// How long the copy took, in seconds.
        public var seconds: Double
    }

    static let database = "docket.sqlite", key = "jwt-secret", manifest = "backup.json"

    /// Backs up the embedded store of `configuration` (a running server's, or a stopped one's)
    /// into `folder`, which must be new or empty.
    public static func backup(_ configuration: Configuration, to folder: URL) throws -> Manifest {
        try requireEmbedded(configuration, "backup")
        let data = configuration.dataDirectory
        guard FileManager.default.fileExists(atPath: configuration.databasePath) else {
            throw SetupError("no embedded store in \(data.path) (docket.sqlite): point --data-dir at the server's data directory")
        }
        try prepareEmpty(folder)
        let started = ContinuousClock.now
        let partial = folder.appendingPathComponent(database + ".partial")
        let facts = try SQLiteBackup.copy(database: configuration.databasePath, to: partial.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: partial.path)
        try FileManager.default.moveItem(at: partial, to: folder.appendingPathComponent(database))
        let keyFile = data.appendingPathComponent(key)
        let hasKey = FileManager.default.fileExists(atPath: keyFile.path)
        if hasKey {
            try FileManager.default.copyItem(at: keyFile, to: folder.appendingPathComponent(key))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.appendingPathComponent(key).path)
        }
        let elapsed = ContinuousClock.now - started
        let manifest = Manifest(
            createdAt: Date(), docket: DocketSystem.version, source: data.path, signingKey: hasKey, store: facts,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        try write(manifest, to: folder.appendingPathComponent(Self.manifest))
        return manifest
    }

    /// Puts the backup in `folder` back as the embedded store of `configuration`, whose data
    /// directory must hold no store yet. The copy is checked whole first.
    public static func restore(_ configuration: Configuration, from folder: URL) throws -> Manifest {
        try requireEmbedded(configuration, "restore")
        let manifestURL = folder.appendingPathComponent(manifest)
        guard let bytes = try? Data(contentsOf: manifestURL) else {
            throw SetupError("\(folder.path) is no complete backup: it has no \(manifest) (written last by docket backup)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let saved = try decoder.decode(Manifest.self, from: bytes)
        let copy = folder.appendingPathComponent(database)
        let facts = try SQLiteBackup.facts(of: copy.path)
        guard facts.tickets == saved.store.tickets, facts.liveEvents == saved.store.liveEvents, facts.latestEvents == saved.store.latestEvents else {
            throw SetupError("\(copy.path) does not hold what \(manifest) says it does: the backup was changed after it was made")
        }
        let data = configuration.dataDirectory
        for name in [database, database + "-wal", database + "-shm"] where FileManager.default.fileExists(atPath: data.appendingPathComponent(name).path) {
            throw SetupError("\(data.path) already holds a store (\(name)): restore into a new or empty data directory")
        }
        try DataDirectory(data).prepare()
        let partial = data.appendingPathComponent(database + ".partial")
        try? FileManager.default.removeItem(at: partial)
        try FileManager.default.copyItem(at: copy, to: partial)
        try FileManager.default.moveItem(at: partial, to: data.appendingPathComponent(database))
        let savedKey = folder.appendingPathComponent(key), keyFile = data.appendingPathComponent(key)
        if saved.signingKey {
            if let existing = try? Data(contentsOf: keyFile) {
                guard existing == (try Data(contentsOf: savedKey)) else {
                    throw SetupError("\(keyFile.path) holds another signing key: remove it to take the backup's (tokens signed with it would be refused)")
                }
            } else {
                try FileManager.default.copyItem(at: savedKey, to: keyFile)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
            }
        }
        return saved
    }

    static func requireEmbedded(_ configuration: Configuration, _ command: String) throws {
        if case .mongo = configuration.store {
            throw SetupError(
                "docket \(command) copies the embedded store; for MongoDB use mongodump --oplog / mongorestore --oplogReplay (or a snapshot of a replica-set member), as the README says")
        }
    }

    static func prepareEmpty(_ folder: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try FileManager.default.contentsOfDirectory(atPath: folder.path)).isEmpty else {
                throw SetupError("\(folder.path) is not a new or empty folder: a backup never overwrites")
            }
        } else {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    static func write(_ manifest: Manifest, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(manifest).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}
