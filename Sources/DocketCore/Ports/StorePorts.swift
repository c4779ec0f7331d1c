import Foundation

/// The store's ports, each a narrow protocol, as the services reach them: `stores.tickets`,
/// `stores.people`... One adapter usually stands behind them all (`init(_:)`); a test may put a
/// different one behind any port.
public struct StorePorts: Sendable {
    public var tickets: any TicketRepository
    public var timers: any TimerStore
    public var liveEvents: any LiveEventStore
    public var tenants: any TenantStore
    public var ruleEvents: any RuleEventStore
    public var people: any PeopleStore
    public var apiKeys: any ApiKeyStore
    public var toolCalls: any ToolCallStore
    public var accounts: any AccountStore
    public var webhooks: any WebhookStore
    public var rollouts: any RolloutStore
    public var presence: any PresenceStore
    public var reports: any ReportStore
    public var mailOutlets: any MailOutletStore
    public var mailboxes: any MailboxStateStore
    public var files: any FileStore
    public var quarantine: any QuarantineStore
    public var health: any StoreHealth
    /// Leases across instances; nil when one process owns the store.
    public var leases: (any LeaseStore)?

    /// Every port from one adapter.
    public init(_ store: some TicketStore) {
        tickets = store
        timers = store
        liveEvents = store
        tenants = store
        ruleEvents = store
        people = store
        apiKeys = store
        toolCalls = store
        accounts = store
        webhooks = store
        rollouts = store
        presence = store
        reports = store
        mailOutlets = store
        mailboxes = store
        files = store
        quarantine = store
        health = store
        leases = store.leases
    }
}
