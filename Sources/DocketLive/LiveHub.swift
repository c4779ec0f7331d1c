import DocketCore
import Foundation
import Metrics

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
    /// Staff sessions opening and closing, in order, for `presenceTracker` to hold and release
    /// their leases (nil: presence is not tracked).
    let presenceFeed: AsyncStream<PresenceChange>.Continuation?
    let presenceChanges: AsyncStream<PresenceChange>?
    let presence: PresenceService?

    enum PresenceChange: Sendable {
        case opened(Principal, String)
        case closed(Principal, String)
    }

    public init(settings: LiveSettings, presence: PresenceService? = nil) {
        self.settings = settings
        self.presence = presence
        if presence != nil {
            let (stream, feed) = AsyncStream<PresenceChange>.makeStream()
            (presenceChanges, presenceFeed) = (stream, feed)
        } else {
            (presenceChanges, presenceFeed) = (nil, nil)
        }
        engine = EngineServer(
            settings: EngineSettings(
                pingInterval: settings.socketIOPingInterval, pingTimeout: settings.socketIOPingTimeout,
                maxPayload: settings.maxFrameBytes * 16, queueLimit: max(settings.queueLimit * 2, 64),
                maxSessions: settings.maxConnectionsPerTenant * 2, maxSessionsPerAddress: settings.socketIOSessionsPerAddress))
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
        if count != nil, principal.hasPresence { presenceFeed?.yield(.opened(principal, connection.key)) }
        return count != nil
    }

    /// Staff sessions open here now (their leases are renewed while they are).
    var staffSessions: [(principal: Principal, session: String)] {
        lock.withLock {
            tenants.values.flatMap(\.values).compactMap { connection in
                connection.principal.flatMap { $0.hasPresence ? ($0, connection.key) : nil }
            }
        }
    }

    func unregister(_ connection: LiveConnection) {
        let count: Int = lock.withLock {
            pending[connection.key] = nil
            if let tenant = connection.principal?.tenantId, tenants[tenant]?[connection.key] != nil {
                if let principal = connection.principal, principal.hasPresence { presenceFeed?.yield(.closed(principal, connection.key)) }
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
            var frames: [LiveRoom: LiveFrame] = [:]
            var sent = 0
            var drains: [LiveConnection] = []
            for connection in connections {
                guard let room = connection.room(for: event) else { continue }
                let frame: LiveFrame
                if let cached = frames[room] {
                    frame = cached
                } else {
                    frame = LiveFrame(Self.frame(event, room: room))
                    frames[room] = frame
                }
                let queued = connection.enqueue(frame, id: event.id)
                if queued.open { sent += 1 } else { dropped.increment() }
                if queued.drain { drains.append(connection) }
            }
            LiveConnection.drain(drains)
            delivered.increment(by: sent)
        }
    }

    /// `{"type":…,"room":…,"id":…,"data":…}`; typing frames have `"id":null`.
    static func frame(_ event: LiveEvent, room: LiveRoom) -> String {
        let id = event.type.isEphemeral || event.id == 0 ? "null" : String(event.id)
        return #"{"type":"\#(event.type.rawValue)","room":"\#(room)","id":\#(id),"data":\#(event.data)}"#
    }
}
