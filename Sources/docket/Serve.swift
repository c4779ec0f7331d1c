import ArgumentParser
import DocketAssembly
import DocketCore
import DocketHTTP
import DocketMongo
import DocketPacks
import DocketRules
import DocketSQLite
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server: on the embedded SQLite store, or on MongoDB with --mongo-uri.")

    @Option(help: "Address to listen on (http.host, DOCKET_HOST; default 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (http.port, DOCKET_PORT; default 8080).")
    var port: Int?
    @Option(help: "Directory for the database and signing key (store.dataDir, DOCKET_DATA_DIR; default ./data).")
    var dataDir: String?
    @Option(help: "Directory of industry packs (packs.dir, DOCKET_PACKS_DIR; default ./IndustryPacks).")
    var packsDir: String?
    @Option(help: "Pack the 'default' tenant is configured from (tenant.defaultPack, DOCKET_DEFAULT_PACK; default luxfree-solar).")
    var defaultPack: String?
    @Option(help: "Largest request body in bytes (http.maxBodyBytes, DOCKET_MAX_BODY_BYTES; default 1048576).")
    var maxBodyBytes: Int?
    @Option(help: "Most connections served at once; more wait in the backlog (http.maxConnections, DOCKET_MAX_CONNECTIONS; default 1024).")
    var maxConnections: Int?
    @Option(help: "SQLite durability: normal or full (store.sqlite.durability, DOCKET_SQLITE_DURABILITY; default normal).")
    var sqliteDurability: String?
    @Option(help: "Directory of the Rules/ standard library (rules.libraryDir, DOCKET_RULES_DIR; default: Rules next to the packs directory).")
    var rulesDir: String?
    @Option(help: "VM instructions one rule evaluation may run (rules.instructionLimit, DOCKET_RULES_INSTRUCTION_LIMIT; default 2000000).")
    var rulesInstructionLimit: Int?
    @Option(help: "Memory one rule evaluation may add (rules.memoryLimitBytes, DOCKET_RULES_MEMORY_LIMIT_BYTES; default 8388608).")
    var rulesMemoryLimitBytes: Int?
    @Option(help: "Wall-clock limit of one rule evaluation (rules.timeoutMs, DOCKET_RULES_TIMEOUT_MS; default 50).")
    var rulesTimeoutMs: Int?
    @Option(help: "MongoDB URI; the database name comes from its path (default docket). Without it, the embedded SQLite store (store.mongo.uri, DOCKET_MONGO_URI).")
    var mongoUri: String?
    @Option(help: "MongoDB write concern: majority (w: majority, j: true) or primary (w: 1) (store.mongo.writeConcern, DOCKET_MONGO_WRITE_CONCERN; default majority).")
    var mongoWriteConcern: String?
    @Option(help: "MongoDB clients and blocking threads (store.mongo.poolSize, DOCKET_MONGO_POOL_SIZE; default 8).")
    var mongoPoolSize: Int?
    @Option(help: "Live events kept per tenant for reconnecting clients (events.retention, DOCKET_EVENTS_RETENTION; default 10000).")
    var eventsRetention: Int?
    @Option(help: "WebSocket connections per tenant (ws.maxConnectionsPerTenant, DOCKET_WS_MAX_CONNECTIONS_PER_TENANT; default 10000).")
    var wsMaxConnectionsPerTenant: Int?
    @Option(help: "Frames waiting for one WebSocket client before it is dropped with 4409 (ws.queueLimit, DOCKET_WS_QUEUE_LIMIT; default 512).")
    var wsQueueLimit: Int?
    @Option(help: "Largest WebSocket frame a client may send (ws.maxFrameBytes, DOCKET_WS_MAX_FRAME_BYTES; default 65536).")
    var wsMaxFrameBytes: Int?
    @Option(help: "WebSocket ping period in seconds; an unanswered ping drops the peer (ws.pingIntervalSeconds, DOCKET_WS_PING_INTERVAL; default 30).")
    var wsPingInterval: Int?
    @Option(help: "Seconds without a frame from a WebSocket client before it is closed with 4410 (ws.idleTimeoutSeconds, DOCKET_WS_IDLE_TIMEOUT; default 300).")
    var wsIdleTimeout: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error (log.level, DOCKET_LOG_LEVEL; default info).")
    var logLevel: String?

    func run() async throws {
        let levelName = Setting.value(logLevel, env: "DOCKET_LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: levelName) else { throw SetupError("unknown log level '\(levelName)'") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "docket")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        var settings = HTTPSettings(
            host: Setting.value(host, env: "DOCKET_HOST", default: "127.0.0.1"),
            port: try Setting.integer(port, env: "DOCKET_PORT", default: 8080, name: "http.port"),
            limits: HTTPLimits(maxBodyBytes: try Setting.integer(maxBodyBytes, env: "DOCKET_MAX_BODY_BYTES", default: 1 << 20, name: "http.maxBodyBytes")),
            maxConnections: try Setting.integer(maxConnections, env: "DOCKET_MAX_CONNECTIONS", default: 1024, name: "http.maxConnections"),
            version: Docket.version)
        settings.live = LiveSettings(
            maxConnectionsPerTenant: try Setting.integer(wsMaxConnectionsPerTenant, env: "DOCKET_WS_MAX_CONNECTIONS_PER_TENANT", default: 10_000, name: "ws.maxConnectionsPerTenant"),
            queueLimit: try Setting.integer(wsQueueLimit, env: "DOCKET_WS_QUEUE_LIMIT", default: 512, name: "ws.queueLimit"),
            maxFrameBytes: try Setting.integer(wsMaxFrameBytes, env: "DOCKET_WS_MAX_FRAME_BYTES", default: 64 * 1024, name: "ws.maxFrameBytes"),
            pingIntervalSeconds: try Setting.integer(wsPingInterval, env: "DOCKET_WS_PING_INTERVAL", default: 30, name: "ws.pingIntervalSeconds"),
            idleTimeoutSeconds: try Setting.integer(wsIdleTimeout, env: "DOCKET_WS_IDLE_TIMEOUT", default: 300, name: "ws.idleTimeoutSeconds"))
        let retention = try Setting.integer(eventsRetention, env: "DOCKET_EVENTS_RETENTION", default: 10_000, name: "events.retention")
        guard retention >= 100 else { throw SetupError("events.retention must be at least 100") }
        guard settings.live.maxConnectionsPerTenant >= 1, settings.live.queueLimit >= 16, settings.live.maxFrameBytes >= 1024,
            settings.live.pingIntervalSeconds >= 1, settings.live.idleTimeoutSeconds >= 5
        else {
            throw SetupError("ws limits too small: maxConnectionsPerTenant >= 1, queueLimit >= 16, maxFrameBytes >= 1024, pingIntervalSeconds >= 1, idleTimeoutSeconds >= 5")
        }
        guard settings.limits.maxBodyBytes >= 1024 else { throw SetupError("http.maxBodyBytes must be at least 1024") }
        guard settings.maxConnections >= 1 else { throw SetupError("http.maxConnections must be at least 1") }

        let dataDirectory = DataDirectory(path: Setting.value(dataDir, env: "DOCKET_DATA_DIR", default: "./data"))
        if try dataDirectory.prepare() {
            logger.info("data directory created", metadata: ["path": "\(dataDirectory.url.path)"])
        } else {
            logger.info("data directory", metadata: ["path": "\(dataDirectory.url.path)"])
        }
        let store: any TicketStore
        let storeKind: String
        var mongo: MongoConnection?
        if let uri = Setting.optional(mongoUri, env: "DOCKET_MONGO_URI") {
            let concernName = Setting.value(mongoWriteConcern, env: "DOCKET_MONGO_WRITE_CONCERN", default: "majority")
            guard let concern = MongoWriteConcern(rawValue: concernName) else {
                throw SetupError("store.mongo.writeConcern must be majority or primary, got '\(concernName)'")
            }
            let poolSize = try Setting.integer(mongoPoolSize, env: "DOCKET_MONGO_POOL_SIZE", default: 8, name: "store.mongo.poolSize")
            guard (1...256).contains(poolSize) else { throw SetupError("store.mongo.poolSize must be between 1 and 256") }
            let connection = try MongoConnection(uri: uri, settings: MongoSettings(poolSize: poolSize, writeConcern: concern))
            store = try await MongoTicketStore.open(connection, logger: logger)
            mongo = connection
            storeKind = "mongodb"
            logger.info(
                "MongoDB store opened",
                metadata: [
                    "uri": "\(connection.displayURI)", "db": "\(connection.databaseName)", "libmongoc": "\(MongoConnection.linkedVersion)",
                    "writeConcern": "\(concern.rawValue)", "poolSize": "\(poolSize)",
                ])
        } else {
            let durabilityName = Setting.value(sqliteDurability, env: "DOCKET_SQLITE_DURABILITY", default: "normal")
            guard let durability = SQLiteTicketStore.Durability(rawValue: durabilityName) else {
                throw SetupError("store.sqlite.durability must be normal or full, got '\(durabilityName)'")
            }
            let existed = FileManager.default.fileExists(atPath: dataDirectory.databasePath)
            let sqlite = try SQLiteTicketStore(path: dataDirectory.databasePath, durability: durability)
            let migrations = try await sqlite.appliedMigrations().count
            logger.info(
                existed ? "SQLite store opened" : "SQLite store created",
                metadata: [
                    "path": "\(dataDirectory.databasePath)", "durability": "\(durability.rawValue)",
                    "migrations": "\(migrations)",
                ])
            store = sqlite
            storeKind = "sqlite"
        }
        let tokens = try await TokenAuthority(secret: try dataDirectory.signingSecret(logger: logger))

        let packsRoot = URL(fileURLWithPath: Setting.value(packsDir, env: "DOCKET_PACKS_DIR", default: "./IndustryPacks")).standardizedFileURL
        let packs = PackLoader(root: packsRoot)
        let packId = Setting.value(defaultPack, env: "DOCKET_DEFAULT_PACK", default: "luxfree-solar")
        let rulesRoot = URL(fileURLWithPath: Setting.value(
            rulesDir, env: "DOCKET_RULES_DIR", default: packsRoot.deletingLastPathComponent().appendingPathComponent("Rules").path))
        let limits = RuleLimits(
            instructionLimit: Int64(try Setting.integer(rulesInstructionLimit, env: "DOCKET_RULES_INSTRUCTION_LIMIT", default: 2_000_000, name: "rules.instructionLimit")),
            memoryLimitBytes: try Setting.integer(rulesMemoryLimitBytes, env: "DOCKET_RULES_MEMORY_LIMIT_BYTES", default: 8 << 20, name: "rules.memoryLimitBytes"),
            timeoutMs: try Setting.integer(rulesTimeoutMs, env: "DOCKET_RULES_TIMEOUT_MS", default: 50, name: "rules.timeoutMs"))
        guard limits.instructionLimit >= 1000, limits.memoryLimitBytes >= 65536, limits.timeoutMs >= 1 else {
            throw SetupError("rules limits too small: instructionLimit >= 1000, memoryLimitBytes >= 65536, timeoutMs >= 1")
        }
        let inspector = try BundleInspector(rulesRoot: rulesRoot, limits: limits)
        let engine = try RulesSetup.engine(store: store, inspector: inspector)
        let live = LiveEventLog(store: store, settings: LiveEventSettings(retainedPerTenant: retention)) { error in
            logger.warning("a live event could not be stored (delivered live only)", metadata: ["error": "\(error)"])
        }
        let service = TicketService(
            store: store, rules: engine, ruleObserver: RulesSetup.observer(logger: logger), packInspector: inspector,
            slaObserver: RulesSetup.slaObserver(logger: logger), live: live)
        let hub = LiveHub(settings: settings.live)
        live.addSink(hub)
        try await RulesSetup.installShipped(packs, service: service, required: packId, logger: logger)
        let (tenant, outcome) = try await service.provisionTenant(id: "default", name: nil, packId: packId)
        logger.info(
            "tenant ready",
            metadata: [
                "tenant.id": "\(tenant.id)", "pack.id": "\(tenant.pack.id)", "pack.version": "\(tenant.pack.version)",
                "outcome": "\(outcome.rawValue)",
            ])

        let app = try buildApplication(
            HTTPDependencies(service: service, tokens: tokens, metrics: registry, storeKind: storeKind, hub: hub), settings: settings,
            logger: logger)
        logger.info("listening", metadata: ["address": "http://\(settings.host):\(settings.port)"])
        let scheduler = Task { await SLAScheduler.run(service, logger: logger) }
        // Other instances on the same MongoDB store events too; the embedded store has one instance.
        let relay = mongo == nil ? nil : Task { await LiveRelay.run(live, store: store, tenants: { hub.activeTenants }, logger: logger) }
        try await app.runService()
        scheduler.cancel()
        relay?.cancel()
        hub.shutdown()
        _ = await scheduler.value
        _ = await relay?.value
        await service.flushRecordedEvents()
        try await mongo?.close()
    }
}
