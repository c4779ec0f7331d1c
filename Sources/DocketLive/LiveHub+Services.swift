import DocketCore
import ServiceLifecycle

extension LiveHub {
    /// Once a second, closes connections that did not authenticate in time and idle ones, and
    /// cuts those that do not take their close frame; until graceful shutdown.
    public var sweeper: some Service { Sweeper(hub: self) }

    /// Run after the HTTP server in the service group, so it is shut down first: at graceful
    /// shutdown every WebSocket client is told the server is going away (1001) and given
    /// `grace` to leave before the server stops serving; clients still there are cut off.
    public func departure(grace: Duration = .seconds(5)) -> some Service { Departure(hub: self, grace: grace) }

    /// The Socket.IO clients' Engine.IO sessions: served while it runs; at graceful shutdown
    /// every session is closed and it returns once their sides ended. Run after `departure` in
    /// the service group, so it is shut down before the HTTP server waits out its long-polls.
    public var socketIOSessions: some Service { engine }

    /// Holds and releases the presence leases of staff sessions as they open and close here,
    /// in order, and renews those still open every `PresenceLimits.renewal`; at graceful
    /// shutdown the sessions still open are released (their agents go offline after the grace
    /// unless they reconnect to another instance). Nothing when presence is not tracked.
    public var presenceTracker: some Service { PresenceTracker(hub: self) }

    struct PresenceTracker: Service {
        let hub: LiveHub

        func run() async {
            guard let presence = hub.presence, let changes = hub.presenceChanges else { return }
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await change in changes {
                        switch change {
                        case .opened(let principal, let session): await presence.hold(principal, session: session)
                        case .closed(let principal, let session): await presence.release(principal, session: session)
                        }
                    }
                }
                group.addTask {
                    while !Task.isShuttingDownGracefully, !Task.isCancelled {
                        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: PresenceLimits.renewal) }
                        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { break }
                        await presence.renew(hub.staffSessions)
                    }
                    hub.presenceFeed?.finish()
                }
            }
        }
    }

    struct Sweeper: Service {
        let hub: LiveHub

        func run() async {
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                hub.sweep()
            }
        }
    }

    struct Departure: Service {
        let hub: LiveHub
        let grace: Duration

        func run() async {
            // Returns at graceful shutdown, or throws when the group is cancelled: either way, say goodbye.
            try? await gracefulShutdown()
            hub.closeAll(.goingAway, "the server is shutting down; reconnect with since=<last id>")
            let deadline = ContinuousClock.now + grace
            while hub.openConnections > 0, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            hub.sweep(force: true)
        }
    }
}
