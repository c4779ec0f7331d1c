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
    /// The window the typing limit counts in: 10 seconds (a test widens it, so a loaded machine
    /// cannot spread its frames over two windows).
    public var typingWindow: Duration = .seconds(10)
    /// A connection told to close (too slow, idle) that is still open this much later is cut off.
    public var closeGraceSeconds: Int
    /// Socket.IO's heartbeat: the server pings this often (`socketio.pingIntervalSeconds`) and
    /// closes a session whose pong is this late (`socketio.pingTimeoutSeconds`).
    public var socketIOPingInterval: Duration = .seconds(25)
    public var socketIOPingTimeout: Duration = .seconds(20)
    /// Long-polling Socket.IO sessions one client address may hold (`http.maxConnectionsPerAddress`:
    /// as many as its connections).
    public var socketIOSessionsPerAddress = 512
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
public enum LiveCloseCode: UInt16, Sendable, CaseIterable {
    /// The server is stopping (graceful shutdown); reconnect to another instance or later.
    case goingAway = 1001
    case unauthorized = 4401
    case authTimeout = 4408
    case tooSlow = 4409
    case idle = 4410
    case tooManyConnections = 4429
}
