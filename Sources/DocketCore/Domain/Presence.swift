import Foundation

/// Whether an agent is there to take tickets.
public enum PresenceStatus: String, Codable, Sendable, CaseIterable {
    /// A console, WebSocket or Socket.IO session of theirs is open, and they did not say they are away.
    case online
    /// A session is open, but they said they are away.
    case away
    /// No session of theirs is open (or the last one closed more than `PresenceLimits.grace` ago).
    case offline
}

/// The limits of presence tracking.
public enum PresenceLimits {
    /// A session's lease: renewed every `renewal` while it is open; a session whose instance
    /// died stops counting when its lease runs out.
    public static let lease: TimeInterval = 30
    /// How often an instance renews the leases of its open sessions.
    public static let renewal: Duration = .seconds(10)
    /// How long a closed session still counts, so a reconnect (a page reload, a network blip)
    /// does not flap the agent offline and online: they are offline at most this long after
    /// their last session closed (plus the sweeper's second).
    public static let grace: TimeInterval = 20
    /// Sessions one agent may hold at once (tabs, phones); more are not counted (the oldest
    /// leases are dropped).
    public static let sessionsPerAgent = 32
    /// Waiting tickets an agent's coming online carries out at once (oldest first); the rest
    /// wait for the next agent to come online or for the scheduler's pass.
    public static let drainBatch = 100
}

/// One agent's presence as the store keeps it: the leases of their open sessions (on any
/// instance), whether they said they are away, and the status staff were last told.
public struct AgentPresence: Codable, Sendable, Equatable {
    public struct Session: Codable, Sendable, Equatable {
        /// The connection's key (unique per instance) with the instance, so instances never collide.
        public var id: String
        public var instance: String
        /// The lease: the session counts until then (renewed while open; `grace` after it closed).
        public var until: Date
        /// Set once the session closed (it still counts until `until`).
        public var closed: Bool?

        public init(id: String, instance: String, until: Date, closed: Bool? = nil) {
            self.id = id
            self.instance = instance
            self.until = until
            self.closed = closed
        }
    }

    public var tenantId: String
    public var agentId: String
    public var sessions: [Session]
    /// Set while the agent says they are away (kept across sessions until they say otherwise).
    public var away: Bool
    /// The status staff were last told (a `agent_presence` live event), and since when.
    public var announced: PresenceStatus
    public var since: Date
    /// Bumped by every stored change (MongoDB's conditional replace).
    public var revision: Int

    public init(tenantId: String, agentId: String, sessions: [Session] = [], away: Bool = false, announced: PresenceStatus = .offline, since: Date, revision: Int = 0) {
        self.tenantId = tenantId
        self.agentId = agentId
        self.sessions = sessions
        self.away = away
        self.announced = announced
        self.since = since
        self.revision = revision
    }

    /// The status at `now`, from the leases (not from what was announced).
    public func status(at now: Date) -> PresenceStatus {
        guard sessions.contains(where: { $0.until > now }) else { return .offline }
        return away ? .away : .online
    }

    /// When the earliest lease runs out (the sweeper's key); nil without sessions.
    public var nextExpiry: Date? { sessions.map(\.until).min() }

    /// Drops the leases that ran out by `now`.
    mutating func prune(now: Date) {
        sessions.removeAll { $0.until <= now }
    }

    /// Opens or renews `session`'s lease (keeping at most `sessionsPerAgent`, newest first).
    mutating func hold(_ session: Session, now: Date) {
        prune(now: now)
        sessions.removeAll { $0.id == session.id && $0.instance == session.instance }
        sessions.append(session)
        if sessions.count > PresenceLimits.sessionsPerAgent {
            sessions = Array(sessions.sorted { $0.until > $1.until }.prefix(PresenceLimits.sessionsPerAgent))
        }
    }

    /// Brings `announced` to the status at `now`; answers whether it changed.
    mutating func settle(now: Date) -> Bool {
        let status = status(at: now)
        guard status != announced else { return false }
        announced = status
        since = now
        return true
    }
}

/// What routing needs of an agent's presence, without the record: until when a lease holds
/// them online, and whether they said they are away (stores read it without decoding records).
public struct PresenceMark: Sendable, Equatable {
    public var onlineUntil: Date?
    public var away: Bool

    public init(onlineUntil: Date?, away: Bool) {
        self.onlineUntil = onlineUntil
        self.away = away
    }

    public func status(at now: Date) -> PresenceStatus {
        guard let onlineUntil, onlineUntil > now else { return .offline }
        return away ? .away : .online
    }
}

extension AgentPresence {
    /// When the latest lease runs out (nil without sessions).
    public var onlineUntil: Date? { sessions.map(\.until).max() }
    public var mark: PresenceMark { PresenceMark(onlineUntil: onlineUntil, away: away) }
}

/// The presence of an agent as the API and the console show it.
public struct PresenceView: Codable, Sendable, Equatable {
    public var agentId: String
    public var status: PresenceStatus
    /// Since when the status holds (nil: never seen).
    public var since: Date?
    /// Sessions counting now.
    public var sessions: Int

    public init(agentId: String, status: PresenceStatus, since: Date?, sessions: Int) {
        self.agentId = agentId
        self.status = status
        self.since = since
        self.sessions = sessions
    }
}

/// What an agent says of themselves (`PUT /api/v2/presence/me`): `away`, or `online` to be back.
public struct PresenceChoice: Codable, Sendable {
    public var status: PresenceStatus

    public init(status: PresenceStatus) { self.status = status }
}
