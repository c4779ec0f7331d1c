import DocketCore
import DocketWire
import DocketHTTP
import DocketLive
import DocketMongo
import DocketPacks
import DocketRules
import DocketSQLite
import DocketWebhooks
import DocketMail
import NIOSSL
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// What differs between the server, a CLI command and a test; production uses the defaults.
public struct AssemblyOptions: Sendable {
    public var clock: any WallClock = SystemClock()
    /// How long tenants and agents are cached (0 in tests that change them behind the service).
    public var tenantCacheSeconds: TimeInterval = 5
    /// Packs the rules engine holds from the start, besides the versions it loads from the store.
    public var preloadedPacks: [RulePack] = []
    public var ruleWorkers = ProcessInfo.processInfo.activeProcessorCount
    /// Store every valid pack of `packs.dir` as a shipped version at start.
    public var installShippedPacks = true
    /// Create (or upgrade) the tenant `default` from `tenant.defaultPack`.
    public var provisionDefaultTenant = true
    /// Where `/metrics` reads from; `DocketSystem.bootstrap` installs one as the process's factory.
    public var metrics = PrometheusCollectorRegistry()
    /// Names this instance in the live events it stores (random unless given).
    public var instanceName: String?
    /// On MongoDB, follow the event log with a change stream where the server offers one
    /// (false: poll only; for measuring the difference).
    public var mongoChangeStream = true
    public var logger = Logger(label: "docket")

    public init() {}

    /// For CLI commands that work on the data and exit: one rules worker, warnings only.
    public static var command: AssemblyOptions {
        var options = AssemblyOptions()
        options.ruleWorkers = 1
        options.provisionDefaultTenant = false
        var logger = Logger(label: "docket")
        logger.logLevel = .warning
        options.logger = logger
        return options
    }
}

/// The composition root: turns a `Configuration` into a running Docket — the store (SQLite or
/// MongoDB), the rules engine, the event log, the service, the WebSocket hub and the HTTP
/// application, with every long-lived part a swift-service-lifecycle `Service`. `docket serve`,
/// the CLI commands and the HTTP tests all build the system here.
public final class DocketSystem: Sendable {
    public static let version = "0.1.0"

    public let configuration: Configuration
    /// The store adapter, behind every port (tests inspect it directly).
    public let store: any TicketStore
    /// The store's ports, as the services and the CLI reach them.
    public var stores: StorePorts { services.core.stores }
    public var storeKind: StoreKind { adapter.kind }
    public let services: DocketServices
    public let engine: LuaRuleEngine
    public let inspector: BundleInspector
    public let tokens: TokenAuthority
    public let hub: LiveHub
    public let events: LiveEventLog
    /// Console sign-in (bcrypt passwords, sessions, one-time links, widget customers).
    public let accounts: AccountService
    public let logger: Logger
    let options: AssemblyOptions
    let adapter: StoreAdapter
    let webhookSender: WebhookHTTPSender

    /// Opens the store and builds everything around it; installs the shipped packs and the
    /// default tenant as `options` say.
    public static func open(_ configuration: Configuration, options: AssemblyOptions = .init()) async throws -> DocketSystem {
        let logger = options.logger
        let directory = DataDirectory(configuration.dataDirectory)
        if try directory.prepare() {
            logger.info("data directory created", metadata: ["path": "\(directory.url.path)"])
        } else {
            logger.info("data directory", metadata: ["path": "\(directory.url.path)"])
        }
        let adapter = try await StoreAdapter.open(configuration, logger: logger)
        do {
            return try await DocketSystem(configuration, options: options, adapter: adapter, directory: directory)
        } catch {
            try? await adapter.closing.close()
            throw error
        }
    }

    private init(
        _ configuration: Configuration, options: AssemblyOptions, adapter: StoreAdapter, directory: DataDirectory
    ) async throws {
        let logger = options.logger
        self.configuration = configuration
        self.options = options
        let store = adapter.store
        self.store = store
        self.adapter = adapter
        self.logger = logger
        tokens = try await TokenAuthority(secret: try directory.signingSecret(configured: configuration.jwtSecret, logger: logger))
        inspector = try BundleInspector(rulesRoot: configuration.rulesDirectory, limits: configuration.ruleLimits)
        engine = try LuaRuleEngine(
            packs: options.preloadedPacks, standardLibrary: inspector.library, limits: inspector.limits, workers: options.ruleWorkers,
            source: { packId, version in try await store.packVersion(packId: packId, version: version).map(RulesSetup.rulePack) })
        var liveSettings = LiveEventSettings(retainedPerTenant: configuration.eventsRetention, ordered: adapter.soleWriter)
        if let name = options.instanceName { liveSettings.origin = name }
        events = LiveEventLog(store: store, settings: liveSettings) { error in
            logger.warning("a live event could not be stored (delivered live only)", metadata: ["error": "\(error)"])
        }
        webhookSender = WebhookHTTPSender(
            timeout: configuration.webhooksTimeout, allowPrivateAddresses: configuration.webhooksAllowPrivateAddresses, version: Self.version)
        services = DocketServices(
            store: store, wire: DocketWireFormat(), clock: options.clock, tenantCacheSeconds: options.tenantCacheSeconds, rules: engine,
            observer: ServiceMetrics(logger: logger), packInspector: inspector, live: events, webhookSender: webhookSender,
            allowPrivateWebhooks: configuration.webhooksAllowPrivateAddresses, dkimKeys: DKIMSigner(), mailSender: Self.mailSender(configuration),
            mailReader: LenientMailReader(), fileQuotaBytes: configuration.mailFilesBytesPerTenant)
        accounts = AccountService(
            core: services.core, hasher: BcryptHasher(cost: configuration.bcryptCost),
            policy: SessionPolicy(idle: configuration.http.console.sessionIdle))
        hub = LiveHub(settings: configuration.live, presence: services.presence)
        events.addSink(hub)
        if options.installShippedPacks {
            try await RulesSetup.installShipped(
                configuration.packsDirectory.map(PackLoader.init(root:)), tenants: services.tenants,
                required: options.provisionDefaultTenant ? configuration.defaultPack : nil, logger: logger)
        }
        if options.provisionDefaultTenant {
            let (tenant, outcome) = try await services.tenants.provisionTenant(id: "default", name: nil, packId: configuration.defaultPack)
            logger.info(
                "tenant ready",
                metadata: [
                    "tenant.id": "\(tenant.id)", "pack.id": "\(tenant.pack.id)", "pack.version": "\(tenant.pack.version)",
                    "outcome": "\(outcome.rawValue)",
                ])
        }
    }

    /// Installs swift-log (stderr at `log.level`) and swift-metrics (Prometheus, read by
    /// `/metrics`) for the process, and returns the options the server runs with. Once per process.
    public static func bootstrap(_ configuration: Configuration) -> AssemblyOptions {
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var options = AssemblyOptions()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: options.metrics))
        options.logger = Logger(label: "docket")
        return options
    }

    /// The embedded store of a data directory alone, without rules or service (the benchmark
    /// kit seeds and measures it directly).
    @_spi(Benchmarks) public static func embeddedStore(in dataDirectory: URL) throws -> SQLiteTicketStore {
        try DataDirectory(dataDirectory).prepare()
        return try SQLiteTicketStore(path: dataDirectory.appendingPathComponent("docket.sqlite").path)
    }

    /// The signing key of `configuration` (for `docket token`, which needs no store).
    /// The token authority of an existing data directory (or DOCKET_JWT_SECRET): it never makes a
    /// key, since a token signed with a key the server does not hold is refused.
    public static func tokenAuthority(_ configuration: Configuration) async throws -> TokenAuthority {
        let secret = try DataDirectory(configuration.dataDirectory).signingSecret(configured: configuration.jwtSecret, logger: nil, create: false)
        return try await TokenAuthority(secret: secret)
    }

    /// Where the data is: the MongoDB database's name, or the SQLite file.
    public var storeLocation: String { adapter.location }

    /// The old 1-1 chat's collection as a source for `LegacyChatImport`: in the database of
    /// `uri` (the old application's MongoDB), or without one in this store's own database when
    /// the store is MongoDB; nil otherwise.
    public func legacyChatSource(uri: String?, collection: String) throws -> (any LegacyChatSource)? {
        if let uri {
            return MongoLegacyChatSource(connection: try MongoConnection(uri: uri, settings: MongoSettings(poolSize: 1)), collection: collection)
        }
        return adapter.legacyChatSource(collection)
    }

    /// Runs `body`, then closes the store, whether `body` threw or not.
    public func use<T>(_ body: (DocketSystem) async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body(self)
        } catch {
            try? await close()
            throw error
        }
        try await close()
        return result
    }

    var httpDependencies: HTTPDependencies {
        HTTPDependencies(
            services: services, accounts: accounts, tokens: tokens, metrics: options.metrics, storeKind: storeKind.rawValue, live: liveRoutes)
    }

    /// The live layer's endpoints, authenticated by the HTTP adapter's credentials and mounted on
    /// its server: the only place the two adapters meet.
    var liveRoutes: LiveRoutes {
        let check = CredentialCheck(tokens: tokens, services: services, accounts: accounts, console: configuration.http.console)
        let live = LiveEndpoints(
            services: services, hub: hub,
            access: LiveAccess(
                request: { try await check.principal(of: $0) }, credential: { try await check.principal(of: $0) },
                header: { try CredentialCheck.credential($0) }))
        return LiveRoutes(
            webSocketPath: LiveEndpoints.webSocketPath, socketIOPath: LiveEndpoints.socketIOPath,
            mountUpgrades: { router in
                live.mountUpgrades(on: router) { context in context.channel }
            },
            webSocketWithoutUpgrade: { try await live.webSocketWithoutUpgrade($0) }, socketIOPoll: { try await live.socketIOPoll($0, address: $1) },
            socketIOPost: { try await live.socketIOPost($0, context: $1) })
    }

    /// Every route, for tests that inspect them.
    public func router() throws -> Router<DocketRequestContext> {
        try httpRouter(httpDependencies, settings: httpSettings)
    }

    var httpSettings: HTTPSettings {
        var settings = configuration.http
        settings.version = Self.version
        settings.webSocket = WebSocketLimits(maxFrameBytes: configuration.live.maxFrameBytes, pingIntervalSeconds: configuration.live.pingIntervalSeconds)
        let (logger, host, portFile) = (logger, configuration.http.host, configuration.portFile)
        settings.onListening = { port in
            logger.info("listening", metadata: ["address": "http://\(host):\(port)"])
            if let portFile { Self.writePort(port, to: portFile, logger: logger) }
        }
        return settings
    }

    /// Writes a listener's port to `path` for scripts and tests: whole, then moved into place,
    /// so a reader never sees half a number.
    static func writePort(_ port: Int, to path: String, logger: Logger) {
        let partial = path + ".partial"
        do {
            try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: partial))
            guard rename(partial, path) == 0 else { throw SetupError("rename: \(String(cString: strerror(errno)))") }
        } catch {
            logger.error("cannot write the port file", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// The long-lived parts, in start order (they stop in reverse): the store's closing, the
    /// SLA scheduler, the store adapter's own parts (MongoDB: live relay, outbox sweeper, change
    /// stream), the hub's sweeper, the webhook deliveries and mail out (the receiver too, with `mail.port`).
    /// Each says in the log when it is slow to stop.
    public var lifecycle: [any Service] {
        let parts: [any Service] =
            [adapter.closing, TimerScheduler(tickets: services.tickets, presence: services.presence, logger: logger)]
            + adapter.services(events, hub, options.mongoChangeStream, logger)
            + [
                hub.sweeper,
                hub.presenceTracker,
                OutboxConsumer(
                    name: "webhook delivery",
                    round: { [dispatcher = WebhookDispatcher(core: services.core, sender: webhookSender, instance: events.settings.origin)] in
                        try await dispatcher.runOnce()
                    }, logger: logger),
            ]
        let mail: [any Service] =
            [OutboxConsumer(
                name: "mail out",
                round: { [dispatcher = MailDispatcher(core: services.core, sender: Self.mailSender(configuration), instance: events.settings.origin)] in
                    try await dispatcher.runOnce()
                }, logger: logger)]
            + (configuration.mail.map { [MailIntakeService($0, services: services, store: adapter.store, logger: logger)] } ?? [])
            + [MailboxFetchService(
                services: services, store: adapter.store, client: Self.mailboxClient(configuration),
                parsing: { var limits = MailLimits(); limits.maxBytes = configuration.mailMaxMessageBytes; return limits }(),
                instance: events.settings.origin, logger: logger)]
        return (parts + mail).map { StopWatch(inner: $0, name: ($0 as? OutboxConsumer)?.name ?? "\(type(of: $0))", logger: logger) }
    }

    /// The HTTP application with the long-lived parts as its services (the tests run it so).
    public func application() throws -> Application<RouterResponder<DocketRequestContext>> {
        try httpApplication(httpDependencies, settings: httpSettings, services: lifecycle, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: Socket.IO sessions are closed,
    /// WebSocket clients are told 1001 and given a moment, the server stops accepting and lets
    /// in-flight requests finish (at most `http.shutdownGraceSeconds`), the scheduler and relay
    /// stop and the store is closed. Returns normally after a graceful shutdown.
    public func run() async throws {
        FileDescriptorLimit.raise(for: configuration.http.maxConnections, logger: logger)
        let application = try application()
        let departureGrace = Duration.seconds(min(5, max(1, configuration.shutdownGrace.components.seconds)))
        var group = ServiceGroupConfiguration(
            services: [
                .init(service: application.timedStop("http server", logger)),
                // After the application, so they are shut down first: Socket.IO sessions are
                // closed (releasing their long-polls), then WebSocket clients told 1001.
                .init(service: hub.departure(grace: departureGrace).timedStop("websocket departure", logger, patience: departureGrace + .seconds(1))),
                .init(service: hub.socketIOSessions.timedStop("socket.io sessions", logger)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownGrace + .seconds(5)
        // Every task the server starts (connections, requests, the long-lived parts) prefers the
        // request executor: the adapters do their short blocking work there in place.
        let work = WorkThreads(count: configuration.workThreads)
        try await withTaskExecutorPreference(work) {
            try await ServiceGroup(configuration: group).run()
        }
        // A cancelled shutdown (past the grace) skips the services' own cleanup paths.
        try await adapter.closing.close()
        logger.info("stopped")
    }

    /// Closes the store, for commands that open the system, work and exit. Safe to call more
    /// than once.
    public func close() async throws {
        try await adapter.closing.close()
    }
}

/// Keeps the store open while the system runs; at graceful shutdown (or cancellation) it
/// closes the store, once.
final class StoreClosing: Service, @unchecked Sendable {
    // `closing` is guarded by `lock`: the one close, which every caller awaits.
    private let lock = NSLock()
    private var closing: Task<Void, any Error>?
    private let closeStore: @Sendable () async throws -> Void

    init(_ closeStore: @escaping @Sendable () async throws -> Void) {
        self.closeStore = closeStore
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }

    /// Closes the store once; every caller, the first or a later one, returns when the close
    /// is done (or throws its error).
    func close() async throws {
        let task = lock.withLock {
            // Outside any cancelled task: a cancelled shutdown must still close the store.
            if closing == nil { closing = Task { [closeStore] in try await closeStore() } }
            return closing!
        }
        try await task.value
    }
}

/// Builds Docket from its configuration, as `docket serve` runs it: the system and its HTTP
/// application (with the long-lived services). Tests call it with their own options.
public func buildApplication(
    _ configuration: Configuration, options: AssemblyOptions = .init()
) async throws -> (system: DocketSystem, application: Application<RouterResponder<DocketRequestContext>>) {
    let system = try await DocketSystem.open(configuration, options: options)
    return (system, try system.application())
}

extension DocketSystem {
    /// Mail out over SMTP to the tenant's relay, trusting the system's certificates or
    /// `mail.relayCAFile`'s.
    /// The IMAP client the mailboxes are fetched with (trusting `mail.relayCAFile` when set).
    static func mailboxClient(_ configuration: Configuration) -> IMAPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.mailRelayCAFile { tls.trustRoots = .file(file) }
        return IMAPClient(tls: tls, maxMessageBytes: configuration.mailMaxMessageBytes)
    }

    static func mailSender(_ configuration: Configuration) -> SMTPMailSender {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.mailRelayCAFile { tls.trustRoots = .file(file) }
        return SMTPMailSender(submitter: SMTPSubmitter(hostname: configuration.mailHeloName, tls: tls))
    }
}
