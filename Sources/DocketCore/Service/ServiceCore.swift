import Foundation

/// What every use case shares: the store, the clock, the tenant and agent caches, the rules,
/// and the live event log. One per process; the services
/// (`DocketServices`) are small views over it.
public final class ServiceCore: Sendable {
    /// The store's ports (one adapter behind them all in production).
    public let stores: StorePorts
    /// Writes live events' data (DocketWire's encoder in production).
    public let wire: any WireFormat
    let clock: any WallClock
    let tenants: TenantDirectory
    let agentDirectory: AgentDirectory
    let rules: (any RuleEngine)?
    /// Told about rule outcomes, SLA events and decisions, and creations (the composition root
    /// counts them in /metrics).
    let observer: (any ServiceObserver)?
    /// Validates uploaded packs (manifest, Lua, fixtures); nil disables uploads.
    let packInspector: (any PackInspector)?
    /// Stores and delivers live events (WebSocket notifications).
    public let live: LiveEventLog
    /// Sends webhook deliveries (redeliveries from the API; the dispatcher has its own); nil: off.
    let webhookSender: (any WebhookSender)?
    /// Sends the mails that go at once rather than from the event log (password links); nil: none.
    let mailSender: (any MailSender)?
    /// Reads a quarantined mail again when an admin accepts it; nil: what the bytes say as text.
    let mailReader: (any MailReader)?
    /// The most bytes a tenant's kept files hold together (`mail.filesMegabytesPerTenant`).
    let fileQuotaBytes: Int
    public static let defaultFileQuotaBytes = 2_048 << 20
    /// Makes the DKIM keys an admin asks for (nil: keys must be given whole).
    let dkimKeys: (any DKIMKeyMaker)?
    /// Whether webhooks may name private and loopback addresses (`webhooks.allowPrivateAddresses`; tests only).
    let allowPrivateWebhooks: Bool
    /// Writers of one ticket take turns (see `TicketTurns`).
    let turns = TicketTurns()
    /// Rollout figures of changes the active version decided, waiting to join their record (see `RolloutKeeper`).
    let rolloutBatch = RolloutBatch()
    /// This instance, as the holder of leases shared with other instances (`RoutingTurn`).
    let instanceId = UUID().uuidString
    /// How often a conditional update is retried when another writer got there first.
    static let maxAttempts = 16

    /// Every port from one adapter.
    public convenience init(
        store: some TicketStore, wire: any WireFormat, clock: any WallClock = SystemClock(), tenantCacheSeconds: TimeInterval = 5,
        rules: (any RuleEngine)? = nil, observer: (any ServiceObserver)? = nil,
        packInspector: (any PackInspector)? = nil, live: LiveEventLog? = nil, webhookSender: (any WebhookSender)? = nil,
        allowPrivateWebhooks: Bool = false, dkimKeys: (any DKIMKeyMaker)? = nil, mailSender: (any MailSender)? = nil,
        mailReader: (any MailReader)? = nil, fileQuotaBytes: Int = ServiceCore.defaultFileQuotaBytes
    ) {
        self.init(
            stores: StorePorts(store), wire: wire, clock: clock, tenantCacheSeconds: tenantCacheSeconds, rules: rules, observer: observer,
            packInspector: packInspector, live: live, webhookSender: webhookSender, allowPrivateWebhooks: allowPrivateWebhooks, dkimKeys: dkimKeys, mailSender: mailSender, mailReader: mailReader, fileQuotaBytes: fileQuotaBytes)
    }

    public init(
        stores: StorePorts, wire: any WireFormat, clock: any WallClock = SystemClock(), tenantCacheSeconds: TimeInterval = 5,
        rules: (any RuleEngine)? = nil, observer: (any ServiceObserver)? = nil,
        packInspector: (any PackInspector)? = nil, live: LiveEventLog? = nil, webhookSender: (any WebhookSender)? = nil,
        allowPrivateWebhooks: Bool = false, dkimKeys: (any DKIMKeyMaker)? = nil, mailSender: (any MailSender)? = nil,
        mailReader: (any MailReader)? = nil, fileQuotaBytes: Int = ServiceCore.defaultFileQuotaBytes
    ) {
        self.dkimKeys = dkimKeys
        self.fileQuotaBytes = fileQuotaBytes
        self.mailSender = mailSender
        self.mailReader = mailReader
        self.webhookSender = webhookSender
        self.allowPrivateWebhooks = allowPrivateWebhooks
        self.observer = observer
        self.packInspector = packInspector
        self.stores = stores
        self.wire = wire
        self.clock = clock
        self.rules = rules
        self.tenants = TenantDirectory(store: stores.tenants, clock: clock, ttl: tenantCacheSeconds)
        self.agentDirectory = AgentDirectory(store: stores.people, clock: clock, ttl: tenantCacheSeconds)
        self.live = live ?? LiveEventLog(store: stores.liveEvents)
    }

}
