import CMongoc
import DocketCore
import Foundation
import Logging
import NIOPosix

/// How hard MongoDB works to keep a write before acknowledging it.
public enum MongoWriteConcern: String, Sendable {
    /// `w: "majority", j: true` (the default): survives the loss of a minority and a crash.
    case majority
    /// `w: 1`: the primary only.
    case primary
}

/// Settings of the connection beyond the URI.
public struct MongoSettings: Sendable {
    /// Clients in the pool, and threads running libmongoc calls.
    public var poolSize: Int
    public var writeConcern: MongoWriteConcern
    /// How long a call waits for a usable server (unless the URI sets `serverSelectionTimeoutMS`).
    public var serverSelectionTimeoutMS: Int32
    public var appName: String

    public init(poolSize: Int = 8, writeConcern: MongoWriteConcern = .majority, serverSelectionTimeoutMS: Int32 = 5_000, appName: String = "docket") {
        self.poolSize = poolSize
        self.writeConcern = writeConcern
        self.serverSelectionTimeoutMS = serverSelectionTimeoutMS
        self.appName = appName
    }
}

/// Waits without blocking a thread: at most `permits` holders at once, FIFO. A task
/// cancelled while it waits leaves the queue at once (with `CancellationError`) instead of
/// holding its place until a permit comes.
final class AsyncSemaphore: @unchecked Sendable {
    // `permits`, `waiters` and `nextTicket` are guarded by `lock`.
    private let lock = NSLock()
    private var permits: Int
    private var waiters: [(ticket: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextTicket = 0

    init(permits: Int) { self.permits = permits }

    /// Tasks waiting now (tests read it).
    var waiting: Int { lock.withLock { waiters.count } }

    func wait() async throws {
        let acquired: Bool = lock.withLock {
            if permits > 0 { permits -= 1; return true }
            return false
        }
        if acquired { return }
        let ticket = lock.withLock {
            nextTicket += 1
            return nextTicket
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = lock.withLock {
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if permits > 0 { permits -= 1; return .success(()) }
                    waiters.append((ticket, continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let cancelled: CheckedContinuation<Void, any Error>? = lock.withLock {
                guard let index = waiters.firstIndex(where: { $0.ticket == ticket }) else { return nil }
                return waiters.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    func signal() {
        let next: CheckedContinuation<Void, any Error>? = lock.withLock {
            if waiters.isEmpty { permits += 1; return nil }
            return waiters.removeFirst().continuation
        }
        next?.resume()
    }
}

/// A pointer handed to a blocking job; only that job's thread touches what it points to.
struct Handle: @unchecked Sendable {
    let raw: OpaquePointer
}

/// One `mongoc_client_pool_t` and the threads that use it. Every libmongoc call runs in
/// `withClient` on a dedicated `NIOThreadPool` (never on an event loop or Swift's cooperative
/// pool); a semaphore sized to the pool admits a job only when a client and a thread are free,
/// and the client goes back to the pool when the job ends (cursors never leave a job).
public final class MongoConnection: Sendable {
    private let pool: Handle
    private let uri: Handle
    private let threads: NIOThreadPool
    private let gate: AsyncSemaphore
    public let databaseName: String
    public let settings: MongoSettings
    /// The URI without credentials, for logs.
    public let displayURI: String

    /// The oldest libmongoc Docket supports.
    public static let minimumVersion = (1, 23)

    private static let initialize: Void = {
        mongoc_init()
        mongoc_log_set_handler({ level, domain, message, _ in
            guard level.rawValue <= MONGOC_LOG_LEVEL_WARNING.rawValue, let message else { return }
            MongoConnection.logger.warning("libmongoc: \(String(cString: message))", metadata: ["domain": "\(domain.map { String(cString: $0) } ?? "")"])
        }, nil)
    }()

    static let logger = Logger(label: "docket.mongo")

    /// The linked libmongoc version, e.g. "1.23.1".
    public static var linkedVersion: String { String(cString: mongoc_get_version()) }

    /// Refuses a libmongoc older than 1.23 with a clear message.
    public static func checkVersion() throws {
        let major = Int(mongoc_get_major_version()), minor = Int(mongoc_get_minor_version())
        guard (major, minor) >= minimumVersion else {
            throw MongoError(
                kind: .configuration, code: 0,
                message: "libmongoc \(linkedVersion) is too old; Docket needs \(minimumVersion.0).\(minimumVersion.1) or newer (apt-get install libmongoc-dev from bookworm or later)")
        }
    }

    public init(uri text: String, settings: MongoSettings = MongoSettings()) throws {
        _ = Self.initialize
        try Self.checkVersion()
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(text, &error) else { throw MongoError(error) }
        if !mongoc_uri_has_option(uri, "serverSelectionTimeoutMS") {
            mongoc_uri_set_option_as_int32(uri, "serverSelectionTimeoutMS", settings.serverSelectionTimeoutMS)
        }
        mongoc_uri_set_option_as_bool(uri, "retryWrites", true)
        mongoc_uri_set_option_as_bool(uri, "retryReads", true)
        mongoc_uri_set_appname(uri, settings.appName)
        let concern = mongoc_write_concern_new()
        switch settings.writeConcern {
        case .majority:
            mongoc_write_concern_set_w(concern, MONGOC_WRITE_CONCERN_W_MAJORITY)
            mongoc_write_concern_set_journal(concern, true)
        case .primary:
            mongoc_write_concern_set_w(concern, 1)
        }
        mongoc_uri_set_write_concern(uri, concern)
        mongoc_write_concern_destroy(concern)
        mongoc_uri_set_option_as_int32(uri, "maxPoolSize", Int32(settings.poolSize))
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            mongoc_uri_destroy(uri)
            throw MongoError(error)
        }
        mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2)
        mongoc_client_pool_max_size(pool, UInt32(settings.poolSize))
        databaseName = mongoc_uri_get_database(uri).map { String(cString: $0) } ?? "docket"
        displayURI = Self.redacted(text)
        self.uri = Handle(raw: uri)
        self.pool = Handle(raw: pool)
        self.settings = settings
        threads = NIOThreadPool(numberOfThreads: settings.poolSize)
        threads.start()
        gate = AsyncSemaphore(permits: settings.poolSize)
    }

    static func redacted(_ uri: String) -> String {
        guard let at = uri.range(of: "@"), let scheme = uri.range(of: "://") else { return uri }
        return String(uri[..<scheme.upperBound]) + "***" + String(uri[at.lowerBound...])
    }

    /// Stops the threads and frees the pool; call once, after the last job.
    public func close() async throws {
        try await threads.shutdownGracefully()
        mongoc_client_pool_destroy(pool.raw)
        mongoc_uri_destroy(uri.raw)
    }

    /// A client of its own (not from the pool) for a thread that blocks on the server for long,
    /// such as a change stream; the caller destroys it.
    func standaloneClient() -> OpaquePointer? {
        guard let client = mongoc_client_new_from_uri(uri.raw) else { return nil }
        mongoc_client_set_error_api(client, 2)
        return client
    }

    /// Runs `body` with a client popped from the pool on one of the connection's threads.
    func withClient<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await gate.wait()
        defer { gate.signal() }
        let pool = pool
        return try await threads.runIfActive {
            guard let client = mongoc_client_pool_pop(pool.raw) else {
                throw MongoError(kind: .unavailable, code: 0, message: "no client in the pool")
            }
            defer { mongoc_client_pool_push(pool.raw, client) }
            return try body(client)
        }
    }

    /// Runs `body` with the database's collections, all on one client, in one job. libmongoc's
    /// errors come out as `MongoError`s with their kind; the store maps them to core errors.
    func job<T: Sendable>(database: String? = nil, _ body: @escaping @Sendable (MongoJob) throws -> T) async throws -> T {
        let database = database ?? databaseName
        return try await withClient { client in
            let job = MongoJob(client: client, database: database)
            defer { job.close() }
            return try body(job)
        }
    }
}

/// The collections one job uses; each handle is destroyed when the job ends.
final class MongoJob {
    let client: OpaquePointer
    let database: String
    private var open: [String: OpaquePointer] = [:]

    init(client: OpaquePointer, database: String) {
        self.client = client
        self.database = database
    }

    func collection(_ name: String) throws -> MongoCollection {
        if let existing = open[name] { return MongoCollection(pointer: existing, client: client, database: database) }
        guard let handle = mongoc_client_get_collection(client, database, name) else {
            throw MongoError(kind: .other, code: 0, message: "cannot open collection \(name)")
        }
        open[name] = handle
        return MongoCollection(pointer: handle, client: client, database: database)
    }

    /// Runs `body` in a multi-document transaction (its collections carry the session) and
    /// commits; a transient error (a write conflict with another transaction) retries the whole
    /// body up to `attempts` times. Used only where nothing else counts exactly once (the
    /// report folder); every other change is one document.
    func transaction<T>(attempts: Int = 5, _ body: (MongoJob.Transaction) throws -> T) throws -> T {
        var error = bson_error_t()
        guard let session = mongoc_client_start_session(client, nil, &error) else { throw MongoError(error) }
        defer { mongoc_client_session_destroy(session) }
        var last: MongoError?
        for _ in 0..<attempts {
            guard mongoc_client_session_start_transaction(session, nil, &error) else { throw MongoError(error) }
            do {
                let result = try body(Transaction(job: self, session: session))
                let committed = try ReplyBuffer.with { reply -> Bool in
                    if mongoc_client_session_commit_transaction(session, reply, &error) { return true }
                    if mongoc_error_has_label(reply, "TransientTransactionError") || mongoc_error_has_label(reply, "UnknownTransactionCommitResult") {
                        return false
                    }
                    throw MongoError(error)
                }
                if committed { return result }
                last = MongoError(error)
            } catch let failure as MongoError {
                _ = mongoc_client_session_abort_transaction(session, &error)
                // A conflict with another transaction: run it again from the start.
                guard failure.code == 112 || failure.code == 251 || failure.message.contains("WriteConflict") else { throw failure }
                last = failure
            } catch let other {
                _ = mongoc_client_session_abort_transaction(session, &error)
                throw other
            }
        }
        throw last ?? MongoError(kind: .other, code: 0, message: "transaction did not commit")
    }

    /// The collections of one transaction.
    struct Transaction {
        let job: MongoJob
        let session: OpaquePointer

        func collection(_ name: String) throws -> MongoCollection {
            var collection = try job.collection(name)
            collection.session = session
            return collection
        }
    }

    /// `{ping: 1}` against the admin database.
    func ping() throws {
        let command = try BSONDocument(BSONDoc([("ping", .int32(1))]))
        var error = bson_error_t()
        try ReplyBuffer.with { reply in
            guard mongoc_client_command_simple(client, "admin", command.pointer, nil, reply, &error) else { throw MongoError(error) }
        }
    }

    func close() {
        for handle in open.values { mongoc_collection_destroy(handle) }
        open = [:]
    }
}
