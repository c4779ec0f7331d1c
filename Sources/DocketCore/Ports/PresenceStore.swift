import Foundation

/// Agents' presence (`AgentPresence`): one record per agent, holding the leases of their
/// sessions on every instance, so an agent connected to one instance is online for routing
/// done by another.
public protocol PresenceStore: Sendable {
    /// The tenant's records (agents never seen have none).
    func presences(tenantId: String) async throws -> [AgentPresence]
    /// Reads the agent's record (nil when none), lets `change` decide what to store instead
    /// (nil: nothing), and stores it — as one step, like `RolloutStore.updateRollout`: two
    /// updates of one agent, from any instance, never interleave. Answers the record before and
    /// after (the same when nothing was written).
    func updatePresence(
        tenantId: String, agentId: String, _ change: @escaping @Sendable (AgentPresence?) -> AgentPresence?
    ) async throws -> (before: AgentPresence?, after: AgentPresence?)
    /// Each agent's `PresenceMark` (what routing reads), by agent id.
    func presenceMarks(tenantId: String) async throws -> [String: PresenceMark]
    /// Agents whose earliest lease ran out by `now` (what the sweeper settles), at most `limit`.
    func expiredPresences(now: Date, limit: Int) async throws -> [(tenantId: String, agentId: String)]
}
