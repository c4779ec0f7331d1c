import Foundation

/// A use case over the shared `ServiceCore`: every service reaches the store, the clock, the
/// caches, the rules and the event log through it. Every change to a ticket goes through the
/// one change pipeline, `writer` (`TicketWriter`, in Change/), with its named steps.
protocol UseCase: Sendable {
    var core: ServiceCore { get }
}

extension UseCase {
    var stores: StorePorts { core.stores }
    var clock: any WallClock { core.clock }
    var tenants: TenantDirectory { core.tenants }
    var agentDirectory: AgentDirectory { core.agentDirectory }
    var rules: (any RuleEngine)? { core.rules }
    var observer: (any ServiceObserver)? { core.observer }
    var packInspector: (any PackInspector)? { core.packInspector }
    var live: LiveEventLog { core.live }
    var wire: any WireFormat { core.wire }

    /// The change pipeline and its steps.
    var writer: TicketWriter { TicketWriter(core: core) }
    var ruleRunner: RuleRunner { RuleRunner(core: core) }
    var conversation: ConversationKeeper { ConversationKeeper(core: core) }
    var announcer: Announcer { Announcer(core: core) }

    /// The sibling use cases, for a flow that spans them (a chat message opening a ticket).
    var tickets: TicketService { TicketService(core: core) }
    var conversations: ConversationService { ConversationService(core: core) }
}

extension ServiceCore: UseCase {
    var core: ServiceCore { self }
}

/// Tickets: open, read, list, change, claim, assign, note, escalate, resolve, and the SLA
/// timers that come due. Every change is one conditional write with its rule actions.
public struct TicketService: UseCase {
    let core: ServiceCore

    public init(core: ServiceCore) { self.core = core }

    /// Follow-up events stop at this depth (Zammad and Jira use 10 too).
    public static let maxRuleDepth = 10
}

/// The chat around a ticket: customer messages that open or join tickets, staff answers,
/// read marks, transfers, the queues of pending and own tickets, live rooms and typing.
public struct ConversationService: UseCase {
    let core: ServiceCore

    public init(core: ServiceCore) { self.core = core }
}

/// Tenants and what configures them: packs (shipped, uploaded, activated, simulated), the
/// tenant's overrides, its customers and agents, and its API keys.
public struct TenantService: UseCase {
    let core: ServiceCore

    public init(core: ServiceCore) { self.core = core }

    public static let maxSimulationEvents = 500
}

/// The AI assistant's tools: their definitions in the tenant's words, and calls done once each.
public struct AssistantService: UseCase {
    let core: ServiceCore

    public init(core: ServiceCore) { self.core = core }

    public static let maxToolCalls = 20

    public static let maxToolArgumentBytes = 64 * 1024

    /// A claimed call with no output after this long is taken over (its first run died).
    public static let abandonedToolCallSeconds: TimeInterval = 60
}

/// Reports over a tenant's tickets: statistics and SLA compliance.
public struct ReportService: UseCase {
    let core: ServiceCore

    public init(core: ServiceCore) { self.core = core }

    /// Tickets a report reads at most; a wider range is refused (narrow it).
    public static let maxReportTickets = 100_000
}

/// Every use case over one core: what the composition root builds and the adapters call.
public struct DocketServices: Sendable {
    public let core: ServiceCore
    public let tickets: TicketService
    public let conversations: ConversationService
    public let tenants: TenantService
    public let assistant: AssistantService
    public let reports: ReportService
    public let webhooks: WebhookService
    public let presence: PresenceService
    public let mail: MailService

    public init(core: ServiceCore) {
        self.core = core
        tickets = TicketService(core: core)
        conversations = ConversationService(core: core)
        tenants = TenantService(core: core)
        assistant = AssistantService(core: core)
        mail = MailService(core: core)
        reports = ReportService(core: core)
        webhooks = WebhookService(core: core)
        presence = PresenceService(core: core)
    }

    /// The services over a new core (see `ServiceCore.init`).
    public init(
        store: some TicketStore, wire: any WireFormat, clock: any WallClock = SystemClock(), tenantCacheSeconds: TimeInterval = 5,
        rules: (any RuleEngine)? = nil, observer: (any ServiceObserver)? = nil,
        packInspector: (any PackInspector)? = nil, live: LiveEventLog? = nil, webhookSender: (any WebhookSender)? = nil,
        allowPrivateWebhooks: Bool = false, dkimKeys: (any DKIMKeyMaker)? = nil, mailSender: (any MailSender)? = nil,
        mailReader: (any MailReader)? = nil, fileQuotaBytes: Int = ServiceCore.defaultFileQuotaBytes
    ) {
        self.init(core: ServiceCore(
            store: store, wire: wire, clock: clock, tenantCacheSeconds: tenantCacheSeconds, rules: rules, observer: observer,
            packInspector: packInspector, live: live, webhookSender: webhookSender, allowPrivateWebhooks: allowPrivateWebhooks, dkimKeys: dkimKeys, mailSender: mailSender, mailReader: mailReader, fileQuotaBytes: fileQuotaBytes))
    }
}
