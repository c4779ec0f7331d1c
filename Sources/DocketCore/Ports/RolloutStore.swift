import Foundation

/// Each tenant's staged rollout record: the latest one, running or ended (`PackRollout`).
public protocol RolloutStore: Sendable {
    func rollout(tenantId: String) async throws -> PackRollout?
    /// Reads the tenant's record (nil when it has none), lets `change` decide what to store
    /// instead (nil: nothing), and stores it — all as one step: two updates of one tenant, from
    /// any instance, never interleave, so each sees the other's figures. Answers the record as
    /// stored afterwards (as read when nothing was written).
    func updateRollout(tenantId: String, _ change: @escaping @Sendable (PackRollout?) -> PackRollout?) async throws -> PackRollout?
}
