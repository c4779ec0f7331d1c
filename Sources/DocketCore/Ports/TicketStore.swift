import Foundation

/// Where Docket keeps its data: every port of the store, one adapter behind them all. Every
/// adapter (memory, SQLite, MongoDB) passes the same contract suite.
///
/// Every method is scoped by tenant; no call reads or writes another tenant's data.
/// Errors are `DocketError`s (`.conflict` for duplicates, `.storeUnavailable` when down).
public protocol TicketStore: TicketRepository, SLATimerStore, LiveEventStore, TenantStore, RuleEventStore, PeopleStore,
    ApiKeyStore, ToolCallStore, AccountStore, WebhookStore
{
    /// Cheap round trip used by `/health`.
    func ping() async throws
    /// A short description for logs and `/health` (kind and location).
    var description: String { get }
}
