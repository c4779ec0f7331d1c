import ArgumentParser
import DocketAssembly
import Foundation

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the embedded store, consistently, while the server runs.",
        discussion: """
            Writes FOLDER (new or empty): docket.sqlite, a copy of the store as of one commit (SQLite's VACUUM INTO on a \
            connection of its own: the server keeps writing meanwhile and the copy is never torn), jwt-secret (the token signing \
            key, when it is a file) and backup.json (what the copy holds, written last). Put it back with docket restore. \
            For MongoDB, use mongodump --oplog.

            """ + settingsHelp())

    @Argument(help: "The folder to write (new or empty).")
    var folder: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        let manifest = try DataBackup.backup(try store.configuration(command: "backup"), to: URL(fileURLWithPath: folder))
        print(BackupCommand.summary(manifest, verb: "backed up", folder: folder))
    }

    static func summary(_ manifest: DataBackup.Manifest, verb: String, folder: String) -> String {
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        let store = manifest.store
        let size = String(format: "%.1f MB", Double(store.bytes) / 1_048_576)
        // A restore names the backup's own time; the copy's time is the backup's.
        let when = verb == "backed up" ? String(format: "in %.1f s", manifest.seconds) : "taken \(manifest.createdAt.formatted(.iso8601))"
        return "\(verb) \(count(store.tickets, "ticket")), \(count(store.messages, "message")), \(count(store.liveEvents, "event")) of "
            + "\(count(store.tenants, "tenant")) (\(size), \(when)) \(verb == "backed up" ? "to" : "from") \(folder)"
            + (manifest.signingKey ? "" : "; the signing key is DOCKET_JWT_SECRET: keep it with the backup")
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a backup back as the embedded store of a new data directory.",
        discussion: """
            Checks the backup whole (integrity and what backup.json says it holds), then copies it into --data-dir, which must \
            hold no store yet, with its signing key. Start docket serve on that directory afterwards.

            """ + settingsHelp())

    @Argument(help: "The folder docket backup wrote.")
    var folder: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        let manifest = try DataBackup.restore(try store.configuration(command: "restore"), from: URL(fileURLWithPath: folder))
        print(BackupCommand.summary(manifest, verb: "restored", folder: folder))
    }
}
