import Foundation

/// Leases over names, for decisions that read shared state and must be taken by one server
/// instance at a time when several serve one store: least-loaded routing reads the agents' loads
/// and writes a ticket that changes them. A store one process owns (memory, SQLite) has none
/// (`TicketStore.leases` nil): the process's own turns already serialise those decisions.
public protocol LeaseStore: Sendable {
    /// Takes `name` for `holder` until `until` when it is free, expired at `now`, or already
    /// `holder`'s (then extended); false when someone else holds it.
    func takeLease(_ name: String, holder: String, until: Date, now: Date) async throws -> Bool
    /// Gives `name` back if `holder` holds it.
    func releaseLease(_ name: String, holder: String) async throws
}
