import DocketCore
import DocketHTTP
import DocketLive
import DocketMongo
import DocketSQLite
import Foundation
import Logging
import ServiceLifecycle

/// Which adapter stands behind the store's ports, as `/health` names it.
public enum StoreKind: String, Sendable {
    case sqlite, mongodb
}

/// One opened store adapter as the composition root holds it: the adapter behind every port,
/// its kind and where its data is, how it closes, and what else it brings. Built once, by
/// `open`; nothing downstream asks which adapter it is.
struct StoreAdapter: Sendable {
    let store: any TicketStore
    let kind: StoreKind
    /// The MongoDB database's name, or the SQLite file.
    let location: String
    let closing: StoreClosing
    /// Whether this instance is the only writer of the event log, so stored events are
    /// delivered in commit order (the embedded store); with a shared database other instances
    /// write too, and a relay carries their events.
    let soleWriter: Bool
    /// The long-lived parts the adapter needs beside the system's own (MongoDB: the live relay,
    /// the outbox sweeper and the change stream).
    let services: @Sendable (_ events: LiveEventLog, _ hub: LiveHub, _ changeStream: Bool, _ logger: Logger) -> [any Service]
    /// The old 1-1 chat's collection in this store's own database (MongoDB only).
    let legacyChatSource: @Sendable (_ collection: String) -> (any LegacyChatSource)?

    static func open(_ configuration: Configuration, logger: Logger) async throws -> StoreAdapter {
        switch configuration.store {
        case .mongo(let uri, let concern, let poolSize):
            let connection = try MongoConnection(uri: uri, settings: MongoSettings(poolSize: poolSize, writeConcern: concern))
            let store: MongoTicketStore
            do {
                store = try await MongoTicketStore.open(connection, logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            logger.info(
                "MongoDB store opened",
                metadata: [
                    "uri": "\(connection.displayURI)", "db": "\(connection.databaseName)", "libmongoc": "\(MongoConnection.linkedVersion)",
                    "writeConcern": "\(concern.rawValue)", "poolSize": "\(poolSize)",
                ])
            return StoreAdapter(
                store: store, kind: .mongodb, location: store.database, closing: StoreClosing { try await connection.close() },
                soleWriter: false, services: { events, hub, changeStream, logger in Self.mongoServices(store, events, hub, changeStream, logger) },
                legacyChatSource: { MongoLegacyChatSource(store: store, collection: $0) })
        case .sqlite(let durability, let groupWait, let cacheMegabytes):
            let path = configuration.databasePath
            let existed = FileManager.default.fileExists(atPath: path)
            let sqlite = try SQLiteTicketStore(path: path, durability: durability, groupWait: groupWait, cacheMegabytes: cacheMegabytes)
            let migrations = try await sqlite.appliedMigrations().count
            logger.info(
                existed ? "SQLite store opened" : "SQLite store created",
                metadata: [
                    "path": "\(path)", "durability": "\(durability.rawValue)", "migrations": "\(migrations)",
                    "groupWait": "\(groupWait.inSeconds * 1_000_000) µs", "cachePerConnection": "\(cacheMegabytes) MB",
                ])
            // Closing checkpoints the WAL and waits for GRDB's queues: a blocking call, so it
            // runs on a thread of its own, never on the cooperative pool.
            let closing = StoreClosing {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    Thread.detachNewThread { continuation.resume(with: Result { try sqlite.close() }) }
                }
            }
            return StoreAdapter(
                store: sqlite, kind: .sqlite, location: path, closing: closing, soleWriter: true, services: { _, _, _, _ in [] },
                legacyChatSource: { _ in nil })
        }
    }

    /// MongoDB's parts: other instances store events too, so a relay carries theirs to this
    /// instance's clients (woken early by a change stream where the server offers one), and a
    /// change's events are moved out of its ticket after the write (the sweeper finishes moves
    /// a crash left).
    private static func mongoServices(
        _ mongo: MongoTicketStore, _ events: LiveEventLog, _ hub: LiveHub, _ changeStream: Bool, _ logger: Logger
    ) -> [any Service] {
        let wake = RelayWake()
        var parts: [any Service] = [
            LiveRelay(events, store: mongo, tenants: { hub.watchedTenants }, logger: logger, wake: wake),
            OutboxSweeper(move: { age in try await mongo.moveStrandedOutboxes(olderThan: age) }, logger: logger),
            ReportFolder(fold: { try await mongo.foldReports() }, logger: logger),
        ]
        if changeStream {
            parts.append(LiveWatchService(
                start: { onInsert, onState in
                    let watch = MongoLiveWatch.start(mongo, logger: logger, onInsert: onInsert) { state in
                        switch state {
                        case .following: onState("following", true)
                        case .unsupported(let why): onState(why, false)
                        case .stopped: break
                        }
                    }
                    return { watch.stop() }
                }, wake: wake, logger: logger))
        }
        return parts
    }
}
