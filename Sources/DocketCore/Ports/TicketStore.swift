import Foundation

/// What a store adapter implements: every port of the store, one adapter behind them all
/// (memory, SQLite, MongoDB), each passing the same contract suite. Consumers never take it:
/// they take the ports they use (`StorePorts` holds them all, for the services).
///
/// Every method is scoped by tenant; no call reads or writes another tenant's data.
/// Errors are `DocketError`s (`.conflict` for duplicates, `.storeUnavailable` when down).
public protocol TicketStore: TicketRepository, TimerStore, LiveEventStore, TenantStore, RuleEventStore, PeopleStore,
    ApiKeyStore, ToolCallStore, AccountStore, WebhookStore, RolloutStore, PresenceStore, ReportStore, StoreHealth,
    MailOutletStore, QuarantineStore, MailboxStateStore, FileStore
{
    /// Leases shared by every instance on this store; nil for a store one process owns.
    var leases: (any LeaseStore)? { get }
}
