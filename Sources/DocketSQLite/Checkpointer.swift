import Foundation
import DocketCore
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the write-ahead log into the database on a thread of its own, so no write waits for
/// it. SQLite's automatic checkpoint ran on the writer, inside the commit that crossed the
/// threshold: that commit — and every write queued behind it — waited while ~32 MiB were
/// copied (the p99 of a create at 32 connections was ~45 ms with it, ~22 ms without).
///
/// The writer's connection reports the log's size after each commit (a WAL hook, which also
/// turns the automatic checkpoint off); past `threshold` pages this thread runs PASSIVE
/// checkpoints on its own connection — they never block the writer or readers. The log only
/// starts over when a write transaction begins with all of it copied, which a copy racing a
/// busy writer rarely sees: so the writer, before its next transaction, copies the little
/// committed since (`finishOnWriter`). Should readers keep the log from starting over until it
/// is `backstop` pages, a RESTART checkpoint waits for them (holding new writes meanwhile, for
/// at most `restartWaitMilliseconds`, then it gives up until a later round),
/// and past the backstop the writer also copies the log itself after its commits (as SQLite's
/// automatic checkpoint did), so the log cannot grow without bound even if this thread fails.
final class Checkpointer: Sendable {
    /// Pages in the log that start a checkpoint (~32 MiB): a page many writes touch is copied
    /// once per checkpoint, so fewer checkpoints write fewer bytes per change.
    static let defaultThreshold: Int32 = 8000
    let threshold: Int32
    var backstop: Int32 { 8 * threshold }
    /// The longest a RESTART checkpoint holds new writes while readers finish.
    static let restartWaitMilliseconds = 50

    private let path: String
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private struct State {
        var requested = false
        var stopped = false
        var started = false
        var checkpoints = 0
        var lastError: String?
        /// The bulk of the log was copied here: the writer finishes the copy before its next
        /// transaction (see `finishOnWriter`).
        var finish = false
        var restarts = 0
    }
    private let state = Mutex(State())

    init(path: String, threshold: Int32 = Checkpointer.defaultThreshold) {
        self.path = path
        self.threshold = threshold
    }

    /// Checkpoints run so far, the writer's finishing copies, and the last failure (nil if none).
    var report: (checkpoints: Int, finished: Int, lastError: String?) {
        state.withLock { ($0.checkpoints, $0.restarts, $0.lastError) }
    }

    /// On the writer, between transactions: once this thread has copied the bulk of the log,
    /// copies what was committed since (little) so the log is whole in the database; the
    /// writer's next transaction then starts the log over. Readers in the middle of a read can
    /// keep that from happening; it is tried again after the next background copy.
    func finishOnWriter(_ connection: OpaquePointer?) {
        let finish: Bool = state.withLock { state in
            defer { state.finish = false }
            return state.finish
        }
        guard finish else { return }
        var log: Int32 = 0
        var copied: Int32 = 0
        _ = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        state.withLock { $0.restarts += 1 }
    }

    /// Makes `connection` report its commits here (every connection of the store: only the
    /// writer commits).
    func watch(_ connection: OpaquePointer?) {
        sqlite3_wal_hook(connection, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    func start() {
        let start: Bool = state.withLock { state in
            guard !state.started, !state.stopped else { return false }
            state.started = true
            return true
        }
        if start {
            Thread.detachNewThread { [self] in
                WorkThread.nameCurrent("docket.ckpt")
                run()
            }
        }
    }

    /// After a commit, with the pages now in the log. Past the backstop (this thread failed,
    /// or readers kept the log from starting over), the writer copies the log itself, as
    /// SQLite's automatic checkpoint would.
    fileprivate func committed(walPages: Int32, connection: OpaquePointer?) {
        guard walPages >= threshold else { return }
        if walPages >= backstop {
            var log: Int32 = 0
            var copied: Int32 = 0
            _ = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
            state.withLock { $0.restarts += 1 }
        }
        request()
    }

    /// Asks for a checkpoint now (at most one waits).
    func request() {
        let signal: Bool = state.withLock { state in
            guard !state.requested, !state.stopped else { return false }
            state.requested = true
            return true
        }
        if signal { wake.signal() }
    }

    /// Ends the thread (after the checkpoint running, if any) and closes its connection.
    func stop() {
        let running: Bool = state.withLock { state in
            defer { state.stopped = true }
            return state.started && !state.stopped
        }
        guard running else { return }
        wake.signal()
        finished.wait()
    }

    private func run() {
        defer { finished.signal() }
        var connection: OpaquePointer?
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(connection)
            state.withLock { $0.lastError = message }
            return
        }
        defer { sqlite3_close(connection) }
        sqlite3_busy_timeout(connection, 10_000)
        // A connection that has read nothing does not know the database is in WAL mode yet
        // (a checkpoint on it does nothing and answers -1 frames): read the mode once.
        if sqlite3_exec(connection, "PRAGMA journal_mode", nil, nil, nil) != SQLITE_OK {
            state.withLock { $0.lastError = String(cString: sqlite3_errmsg(connection)) }
        }
        while true {
            wake.wait()
            let stopped: Bool = state.withLock { state in
                state.requested = false
                return state.stopped
            }
            if stopped { return }
            checkpoint(connection)
        }
    }

    /// PASSIVE rounds until the log is copied whole (the writer appends meanwhile, less each
    /// round), then RESTART if the log is past the backstop.
    private func checkpoint(_ connection: OpaquePointer?) {
        var log: Int32 = 0
        var copied: Int32 = 0
        for _ in 0..<8 {
            let code = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
            state.withLock { state in
                state.checkpoints += 1
                if code != SQLITE_OK, code != SQLITE_BUSY { state.lastError = String(cString: sqlite3_errmsg(connection)) }
            }
            if code != SQLITE_OK || copied >= log { break }
        }
        state.withLock { $0.finish = true }
        if log >= backstop, copied < log {
            // RESTART holds new writes while it waits for readers: a reader that stays long (a
            // `docket backup` reads one snapshot for the whole copy) must not stall the writes
            // for the busy timeout, so it waits briefly and tries again on a later round.
            sqlite3_busy_timeout(connection, Int32(Self.restartWaitMilliseconds))
            _ = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_RESTART, &log, &copied)
            sqlite3_busy_timeout(connection, 10_000)
            state.withLock { $0.checkpoints += 1 }
        }
    }
}

/// SQLite's WAL hook: called on the writer after each commit with the pages in the log.
private func walHook(_ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _: UnsafePointer<CChar>?, _ pages: Int32) -> Int32 {
    if let context { Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().committed(walPages: pages, connection: connection) }
    return SQLITE_OK
}
