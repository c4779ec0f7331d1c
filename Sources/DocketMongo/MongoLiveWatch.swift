import CMongoc
import DocketCore
import Foundation
import Logging

/// Follows the live event log with a change stream where the server offers one: every event
/// any instance stores is announced by its tenant (`onInsert`), so the relay reads the log at
/// once instead of at its next poll. libmongoc's change stream blocks, so it runs on a thread of
/// its own with a client of its own. After an error it reopens from the last resume token; a
/// server without change streams stops it for good (`onState(.unsupported)`) and the relay keeps
/// polling.
public final class MongoLiveWatch: @unchecked Sendable {
    public enum State: Sendable, Equatable {
        case following
        case unsupported(String)
        case stopped
    }

    // `stopping` is guarded by `lock`.
    private let lock = NSLock()
    private var stopping = false
    /// How long one wait for a change may block; also how soon `stop` is noticed.
    static let maxAwaitMS: Int64 = 200

    private init() {}

    private var isStopping: Bool { lock.withLock { stopping } }

    /// Starts following `live_events` of the store's database.
    public static func start(
        _ store: MongoTicketStore, logger: Logger, onInsert: @escaping @Sendable (String) -> Void,
        onState: @escaping @Sendable (State) -> Void
    ) -> MongoLiveWatch {
        let watch = MongoLiveWatch()
        let connection = store.connection, database = store.database
        let thread = Thread {
            WorkThread.nameCurrent("docket.watch")
            watch.follow(connection, database: database, logger: logger, onInsert: onInsert, onState: onState)
        }
        thread.start()
        return watch
    }

    /// Stops following: the thread lets go of its client within `maxAwaitMS` (never blocks the caller).
    public func stop() {
        lock.withLock { stopping = true }
    }

    private func follow(
        _ connection: MongoConnection, database: String, logger: Logger, onInsert: @Sendable (String) -> Void,
        onState: @Sendable (State) -> Void
    ) {
        guard let client = connection.standaloneClient() else {
            onState(.unsupported("no client for the change stream"))
            return
        }
        defer { mongoc_client_destroy(client) }
        guard let collection = mongoc_client_get_collection(client, database, MongoTicketStore.Collections.liveEvents) else {
            onState(.unsupported("no collection handle"))
            return
        }
        defer { mongoc_collection_destroy(collection) }
        var token: BSONDoc?
        var following = false
        while !isStopping {
            var options: BSONDoc = ["maxAwaitTimeMS": .int64(Self.maxAwaitMS)]
            if let token { options["resumeAfter"] = .document(token) }
            guard let pipeline = try? BSONDocument(["pipeline": [["$match": ["operationType": "insert"]]]] as [String: Any]),
                let opts = try? BSONDocument(options), let stream = mongoc_collection_watch(collection, pipeline.pointer, opts.pointer)
            else {
                onState(.unsupported("the change stream could not be opened"))
                return
            }
            defer { mongoc_change_stream_destroy(stream) }
            if let problem = Self.error(stream) {
                // A server without change streams (a standalone mongod answers 40573) will not
                // grow them: poll. Other errors (a failover) are retried.
                if !following || problem.code == 40573 || problem.code == 40324 {
                    onState(.unsupported(problem.message))
                    return
                }
                logger.warning("live event change stream failed; reopening", metadata: ["error": "\(problem.message)"])
                Thread.sleep(forTimeInterval: 1)
                continue
            }
            if !following {
                following = true
                onState(.following)
            }
            while !isStopping {
                var change: OpaquePointer?
                if mongoc_change_stream_next(stream, &change), let change {
                    if let document = try? BSONDocument.read(change), let tenant = document["fullDocument"]?.document?["tenantId"]?.string {
                        onInsert(tenant)
                    }
                    if let resume = mongoc_change_stream_get_resume_token(stream) { token = try? BSONDocument.read(resume) }
                } else if let problem = Self.error(stream) {
                    logger.warning("live event change stream failed; reopening", metadata: ["error": "\(problem.message)"])
                    Thread.sleep(forTimeInterval: 1)
                    break
                }
            }
        }
        onState(.stopped)
    }

    private static func error(_ stream: OpaquePointer) -> (code: UInt32, message: String)? {
        var error = bson_error_t()
        var reply: OpaquePointer?
        guard mongoc_change_stream_error_document(stream, &error, &reply) else { return nil }
        let message = withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (error.code, message)
    }
}
