import Foundation

/// The live event log: each tenant's events numbered without gaps, kept for reconnecting clients.
public protocol LiveEventStore: Sendable {
    /// Stores one tenant's events in order, giving each the tenant's next id, and drops the
    /// tenant's events older than the latest `retain`. Returns the events with their ids.
    func appendLiveEvents(_ events: [LiveEvent], retain: Int) async throws -> [LiveEvent]
    /// The tenant's stored events with `id > after`, oldest first.
    func liveEvents(tenantId: String, after: Int, limit: Int) async throws -> [LiveEvent]
    /// The oldest and latest stored ids of the tenant; nil when it has none.
    func liveEventBounds(tenantId: String) async throws -> LiveEventBounds?
}

public struct LiveEventBounds: Sendable, Equatable {
    public var oldest: Int
    public var latest: Int

    public init(oldest: Int, latest: Int) {
        self.oldest = oldest
        self.latest = latest
    }
}
