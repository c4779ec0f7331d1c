import DocketCore
import Foundation
import Metrics

/// Limits and timers of the WebSocket endpoint (`ws.*` settings).
public struct LiveSettings: Sendable {
    /// Connections one tenant may hold at once (`ws.maxConnectionsPerTenant`); the next is
    /// closed with 4429.
    public var maxConnectionsPerTenant: Int
    /// Frames waiting for one client (`ws.queueLimit`); a client this far behind is closed
    /// with 4409 instead of growing the server's memory.
    public var queueLimit: Int
    /// Largest frame a client may send (`ws.maxFrameBytes`); larger ones close the connection (1009).
    public var maxFrameBytes: Int
    /// Protocol ping period (`ws.pingIntervalSeconds`); a peer that has not answered the previous
    /// ping when the next is due is dropped.
    public var pingIntervalSeconds: Int
    /// A connection that sends no frame for this long is closed with 4410 (`ws.idleTimeoutSeconds`);
    /// clients keep alive with `{"type":"ping"}` frames.
    public var idleTimeoutSeconds: Int
    /// Time to authenticate with an `auth` frame when no header was sent (`ws.authTimeoutSeconds`); 4408.
    public var authTimeoutSeconds: Int
    /// Events read from the log per page of a replay (a replay is as long as the retention allows).
    public var replayPage: Int
    /// Typing frames a connection may send per 10 seconds; the rest are dropped.
    public var typingPerTenSeconds: Int
    /// A connection told to close (too slow, idle) that is still open this much later is cut off.
    public var closeGraceSeconds: Int
    /// Socket.IO's heartbeat: the server pings this often (`socketio.pingIntervalSeconds`) and
    /// closes a session whose pong is this late (`socketio.pingTimeoutSeconds`).
    public var socketIOPingInterval: Duration = .seconds(25)
    public var socketIOPingTimeout: Duration = .seconds(20)
    /// A replaying client that takes no frame for this long is dropped as too slow (4409).
    var replayPatience: Duration { .seconds(closeGraceSeconds) }

    public init(
        maxConnectionsPerTenant: Int = 10_000, queueLimit: Int = 512, maxFrameBytes: Int = 64 * 1024, pingIntervalSeconds: Int = 30,
        idleTimeoutSeconds: Int = 300, authTimeoutSeconds: Int = 10, replayPage: Int = 256, typingPerTenSeconds: Int = 10,
        closeGraceSeconds: Int = 10
    ) {
        self.closeGraceSeconds = closeGraceSeconds
        self.maxConnectionsPerTenant = maxConnectionsPerTenant
        self.queueLimit = queueLimit
        self.maxFrameBytes = maxFrameBytes
        self.pingIntervalSeconds = pingIntervalSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.authTimeoutSeconds = authTimeoutSeconds
        self.replayPage = replayPage
        self.typingPerTenSeconds = typingPerTenSeconds
    }
}

/// Close codes the endpoint uses besides the protocol's own (1000 normal, 1009 too big).
public enum LiveCloseCode: UInt16, Sendable {
    /// The server is stopping (graceful shutdown); reconnect to another instance or later.
    case goingAway = 1001
    case unauthorized = 4401
    case authTimeout = 4408
    case tooSlow = 4409
    case idle = 4410
    case tooManyConnections = 4429
}

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
    func allowTyping(limit: Int) -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            if now - typingWindow.start > .seconds(10) { typingWindow = (now, 0) }
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

/// Fans live events out to this instance's WebSocket clients, per tenant. Frames are built once
/// per event and room, whatever the number of clients.
public final class LiveHub: LiveEventSink, @unchecked Sendable {
    // `tenants`, `pending` and `toldLatest` are guarded by `lock`.
    private let lock = NSLock()
    private var tenants: [String: [String: LiveConnection]] = [:]
    /// Per active tenant, the lowest "latest id" its clients here were told at welcome: the
    /// relay delivers from there, so nothing another instance stored after it is missed.
    private var toldLatest: [String: Int] = [:]
    /// Connections that have not authenticated yet.
    private var pending: [String: LiveConnection] = [:]
    let settings: LiveSettings
    let connectionsGauge = Gauge(label: "docket_ws_connections")
    let delivered = Counter(label: "docket_ws_frames_total")
    let dropped = Counter(label: "docket_ws_slow_consumers_total")

    /// The Socket.IO clients' Engine.IO sessions (run as `socketIOSessions`).
    let engine: EngineServer

    public init(settings: LiveSettings) {
        self.settings = settings
        engine = EngineServer(
            settings: EngineSettings(
                pingInterval: settings.socketIOPingInterval, pingTimeout: settings.socketIOPingTimeout,
                maxPayload: settings.maxFrameBytes * 16, queueLimit: max(settings.queueLimit * 2, 64),
                maxSessions: settings.maxConnectionsPerTenant * 2))
    }

    /// Connections open now, over all tenants.
    public var connectionCount: Int { lock.withLock { tenants.values.reduce(0) { $0 + $1.count } } }

    /// Tenants with at least one connection here (the multi-instance relay watches these).
    public var activeTenants: [String] { lock.withLock { Array(tenants.keys) } }

    /// The active tenants and the event id the relay must deliver after (nil: not told yet).
    public var watchedTenants: [(tenant: String, after: Int?)] {
        lock.withLock { tenants.keys.map { ($0, toldLatest[$0]) } }
    }

    /// A client of `tenant` was told `latest` is the newest stored event.
    func told(_ tenant: String, latest: Int) {
        lock.withLock {
            guard tenants[tenant] != nil else { return }
            toldLatest[tenant] = min(toldLatest[tenant] ?? latest, latest)
        }
    }

    /// A new connection, waiting for its credential.
    func accept(_ connection: LiveConnection) {
        lock.withLock { pending[connection.key] = connection }
    }

    /// Moves the connection into its tenant; false at the tenant's connection limit.
    func authenticate(_ connection: LiveConnection, as principal: Principal) -> Bool {
        let count: Int? = lock.withLock {
            pending[connection.key] = nil
            var list = tenants[principal.tenantId] ?? [:]
            guard list.count < settings.maxConnectionsPerTenant else { return nil }
            connection.authenticated(as: principal)
            list[connection.key] = connection
            tenants[principal.tenantId] = list
            return tenants.values.reduce(0) { $0 + $1.count }
        }
        if let count { connectionsGauge.record(count) }
        return count != nil
    }

    func unregister(_ connection: LiveConnection) {
        let count: Int = lock.withLock {
            pending[connection.key] = nil
            if let tenant = connection.principal?.tenantId {
                tenants[tenant]?[connection.key] = nil
                if tenants[tenant]?.isEmpty == true {
                    tenants[tenant] = nil
                    toldLatest[tenant] = nil
                }
            }
            return tenants.values.reduce(0) { $0 + $1.count }
        }
        connectionsGauge.record(count)
    }

    /// Closes connections that did not authenticate in time, and idle ones; with `force`, cuts
    /// off every connection still open (the end of a shutdown).
    func sweep(force: Bool = false) {
        let now = ContinuousClock.now
        let (waiting, live) = lock.withLock { (Array(pending.values), tenants.values.flatMap(\.values)) }
        if force {
            for connection in waiting + live { connection.abort() }
            return
        }
        for connection in waiting where now - connection.opened > .seconds(settings.authTimeoutSeconds) {
            connection.close(.authTimeout, "no credential within \(settings.authTimeoutSeconds) s")
        }
        for connection in live where now - connection.idleSince > .seconds(settings.idleTimeoutSeconds) {
            connection.close(.idle, "no frame for \(settings.idleTimeoutSeconds) s; send {\"type\":\"ping\"} to stay connected")
        }
        // A client that does not even take its close frame is cut off.
        for connection in waiting + live where connection.overdue(.seconds(settings.closeGraceSeconds), now: now) {
            connection.abort()
        }
    }

    /// Tells every connection, authenticated or not, to close with `code`.
    func closeAll(_ code: LiveCloseCode, _ reason: String) {
        let all = lock.withLock { Array(pending.values) + tenants.values.flatMap(\.values) }
        for connection in all { connection.close(code, reason) }
    }

    /// Connections open now, authenticated or not.
    var openConnections: Int { lock.withLock { pending.count + tenants.values.reduce(0) { $0 + $1.count } } }

    public func deliver(_ events: [LiveEvent]) {
        for event in events {
            guard let connections = lock.withLock({ tenants[event.tenantId].map { Array($0.values) } }) else { continue }
            var frames: [LiveRoom: String] = [:]
            var sent = 0
            for connection in connections {
                guard let room = connection.room(for: event) else { continue }
                let frame: String
                if let cached = frames[room] {
                    frame = cached
                } else {
                    frame = Self.frame(event, room: room)
                    frames[room] = frame
                }
                if connection.enqueue(frame, id: event.id) { sent += 1 } else { dropped.increment() }
            }
            delivered.increment(by: sent)
        }
    }

    /// `{"type":…,"room":…,"id":…,"data":…}`; typing frames have `"id":null`.
    static func frame(_ event: LiveEvent, room: LiveRoom) -> String {
        let id = event.type.isEphemeral || event.id == 0 ? "null" : String(event.id)
        return #"{"type":"\#(event.type.rawValue)","room":"\#(room)","id":\#(id),"data":\#(event.data)}"#
    }
}
