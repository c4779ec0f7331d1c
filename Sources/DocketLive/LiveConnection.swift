import DocketCore
import Foundation
import Metrics

/// One WebSocket client: who it is, the rooms it joined and the frames waiting for it.
final class LiveConnection: @unchecked Sendable {
    // Everything mutable is guarded by `lock`.
    private let lock = NSLock()
    let key: String
    private var who: Principal?
    private var rooms: [LiveRoom] = []
    private var lastSeen = ContinuousClock.now
    let opened = ContinuousClock.now
    private var typingWindow: (start: ContinuousClock.Instant, count: Int) = (.now, 0)
    private var queue: [String] = []
    private var waiter: CheckedContinuation<Void, Never>?
    private(set) var closing: (code: UInt16, reason: String)?
    /// While a replay is read, live events wait here so the client gets them after the replay.
    private var held: [(id: Int, frame: String)]?
    /// Held live events were let go since the last `takeHeldOverflow`.
    private var heldOverflowed = false
    let limit: Int

    /// Cuts the TCP connection (a client that stopped reading cannot receive a close frame).
    let abort: @Sendable () -> Void
    /// When the connection was told to close.
    private var closingSince: ContinuousClock.Instant?

    init(key: String, limit: Int, abort: @escaping @Sendable () -> Void = {}) {
        self.key = key
        self.limit = limit
        self.abort = abort
    }

    /// Dropped for falling behind: its backlog is not sent.
    var isDropped: Bool { lock.withLock { closing?.code == LiveCloseCode.tooSlow.rawValue } }

    /// Told to close longer ago than `grace`, and still here.
    func overdue(_ grace: Duration, now: ContinuousClock.Instant) -> Bool {
        lock.withLock {
            if closing != nil, closingSince == nil { closingSince = now }
            return closingSince.map { now - $0 > grace } ?? false
        }
    }

    /// Set once the client authenticated.
    var principal: Principal? { lock.withLock { who } }

    func authenticated(as principal: Principal) { lock.withLock { who = principal } }

    /// The client sent a frame.
    func touch() { lock.withLock { lastSeen = .now } }

    var idleSince: ContinuousClock.Instant { lock.withLock { lastSeen } }

    /// Counts a typing frame; false past `limit` per 10 seconds.
    func allowTyping(limit: Int, window: Duration = .seconds(10)) -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            if now - typingWindow.start > window { typingWindow = (now, 0) }
            typingWindow.count += 1
            return typingWindow.count <= limit
        }
    }

    /// The client is gone: the writer stops without sending a close frame.
    func finish() {
        let wake: CheckedContinuation<Void, Never>? = lock.withLock {
            if closing == nil { closing = (0, "") }
            defer { waiter = nil }
            return waiter
        }
        wake?.resume()
    }

    var roomList: [LiveRoom] { lock.withLock { rooms } }

    /// Rooms one connection may watch at once: every event is matched against them, so a client
    /// cannot make each delivery expensive for everyone by joining thousands.
    static let maxRooms = 200

    func join(_ room: LiveRoom) {
        lock.withLock { if !rooms.contains(room) { rooms.append(room) } }
    }

    func leave(_ room: LiveRoom) {
        lock.withLock { rooms.removeAll { $0 == room } }
    }

    /// The first joined room that delivers `event` to this client.
    func room(for event: LiveEvent) -> LiveRoom? {
        let (rooms, who) = lock.withLock { (self.rooms, self.who) }
        guard let who else { return nil }
        return rooms.first { $0.delivers(event, to: who, connection: key) }
    }

    /// Queues a frame; false when the client is too far behind (the connection is then closing).
    @discardableResult
    func enqueue(_ frame: String, id: Int = 0) -> Bool {
        let (wake, open): (CheckedContinuation<Void, Never>?, Bool) = lock.withLock {
            guard closing == nil else { return (nil, false) }
            if held != nil {
                held!.append((id, frame))
                // Live events held during a long replay are all in the log too: past the limit
                // they are let go, and the replay reads on to fetch them (`takeHeldOverflow`).
                if held!.count > limit {
                    held = []
                    heldOverflowed = true
                }
            } else if queue.count >= limit {
                closing = (LiveCloseCode.tooSlow.rawValue, "more than \(limit) events waiting; reconnect with since=<last id>")
            } else {
                queue.append(frame)
            }
            defer { waiter = nil }
            return (waiter, closing == nil)
        }
        wake?.resume()
        return open
    }

    func close(_ code: LiveCloseCode, _ reason: String) {
        let wake: CheckedContinuation<Void, Never>? = lock.withLock {
            if closing == nil { closing = (code.rawValue, reason) }
            defer { waiter = nil }
            return waiter
        }
        wake?.resume()
    }

    func hold() { lock.withLock { held = [] } }

    /// Whether held live events were let go (the replay must read on); clears the mark.
    func takeHeldOverflow() -> Bool {
        lock.withLock {
            defer { heldOverflowed = false }
            return heldOverflowed
        }
    }

    /// Queues replayed frames once the queue has room for them (the client read what was
    /// queued before): a replay goes as fast as the client reads, never more than `limit`
    /// frames ahead of it. False when the connection closed, or when the client took nothing
    /// for `patience` (it is then dropped as too slow).
    func enqueueReplayed(_ frames: [String], patience: Duration) async -> Bool {
        let deadline = ContinuousClock.now + patience
        while true {
            let (state, wake): (Bool?, CheckedContinuation<Void, Never>?) = lock.withLock {
                guard closing == nil else { return (false, nil) }
                if queue.count + frames.count <= limit {
                    queue += frames
                    defer { waiter = nil }
                    return (true, waiter)
                }
                if ContinuousClock.now > deadline {
                    closing = (LiveCloseCode.tooSlow.rawValue, "took no replayed event for \(patience); reconnect with since=<last id>")
                    defer { waiter = nil }
                    return (false, waiter)
                }
                return (nil, nil)
            }
            wake?.resume()
            if let state { return state }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Queues the replayed frames, then what arrived live meanwhile (skipping what the replay held).
    func release(replayed: [String], through lastId: Int) {
        let wake: CheckedContinuation<Void, Never>? = lock.withLock {
            let live = held ?? []
            held = nil
            let frames = replayed + live.filter { $0.id == 0 || $0.id > lastId }.map(\.frame)
            if queue.count + frames.count > limit, closing == nil {
                closing = (LiveCloseCode.tooSlow.rawValue, "more than \(limit) events waiting")
            } else {
                queue += frames
            }
            defer { waiter = nil }
            return waiter
        }
        wake?.resume()
    }

    /// The next frames to write, or the close to send; waits while there is nothing.
    func next() async -> Result<[String], CloseRequest> {
        while true {
            let ready: Result<[String], CloseRequest>? = lock.withLock {
                // What is queued goes out before the close frame, except to a client that fell behind.
                let dropped = closing?.code == LiveCloseCode.tooSlow.rawValue
                if let closing, dropped || queue.isEmpty { return .failure(CloseRequest(code: closing.code, reason: closing.reason)) }
                guard !queue.isEmpty else { return nil }
                defer { queue.removeAll(keepingCapacity: true) }
                return .success(queue)
            }
            if let ready { return ready }
            await withCheckedContinuation { continuation in
                let resumeNow = lock.withLock {
                    if closing != nil || !queue.isEmpty { return true }
                    waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    struct CloseRequest: Error {
        var code: UInt16
        var reason: String
    }
}
