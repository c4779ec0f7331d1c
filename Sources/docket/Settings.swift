import ArgumentParser
import DocketAssembly

/// Flags every command that works on the data accepts: which store, where the packs and the
/// rules library are. Each is a key of `Configuration.keys` (the README's configuration table).
struct StoreOptions: ParsableArguments {
    @Option(help: "Directory for the database and signing key (store.dataDir, DOCKET_DATA_DIR; default ./data).")
    var dataDir: String?
    @Option(help: "Directory of industry packs (packs.dir, DOCKET_PACKS_DIR; default ./IndustryPacks).")
    var packsDir: String?
    @Option(help: "Pack the 'default' tenant is configured from (tenant.defaultPack, DOCKET_DEFAULT_PACK; default luxfree-solar).")
    var defaultPack: String?
    @Option(help: "SQLite durability: normal or full (store.sqlite.durability, DOCKET_SQLITE_DURABILITY; default normal).")
    var sqliteDurability: String?
    @Option(help: "Directory of the Rules/ standard library (rules.libraryDir, DOCKET_RULES_DIR; default: Rules next to the packs directory, else the copy built into docket).")
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
    @Option(help: "Log level: trace, debug, info, notice, warning, error (log.level, DOCKET_LOG_LEVEL; default info).")
    var logLevel: String?

    var flags: [String: String] {
        var flags: [String: String] = [:]
        flags["store.dataDir"] = dataDir
        flags["packs.dir"] = packsDir
        flags["tenant.defaultPack"] = defaultPack
        flags["store.sqlite.durability"] = sqliteDurability
        flags["rules.libraryDir"] = rulesDir
        flags["rules.instructionLimit"] = rulesInstructionLimit.map(String.init)
        flags["rules.memoryLimitBytes"] = rulesMemoryLimitBytes.map(String.init)
        flags["rules.timeoutMs"] = rulesTimeoutMs.map(String.init)
        flags["store.mongo.uri"] = mongoUri
        flags["store.mongo.writeConcern"] = mongoWriteConcern
        flags["store.mongo.poolSize"] = mongoPoolSize.map(String.init)
        flags["events.retention"] = eventsRetention.map(String.init)
        flags["log.level"] = logLevel
        return flags
    }

    func configuration(_ more: [String: String] = [:]) throws -> Configuration {
        try Configuration(flags: flags.merging(more) { $1 })
    }

    /// Opens the system for a command (shipped packs installed, one rules worker), runs `body`
    /// and closes the store whatever happens.
    func withSystem<T>(
        _ configure: (inout Configuration, inout AssemblyOptions) -> Void = { _, _ in },
        _ body: (DocketSystem) async throws -> T
    ) async throws -> T {
        var configuration = try configuration()
        var options = AssemblyOptions.command
        configure(&configuration, &options)
        return try await DocketSystem.open(configuration, options: options).use(body)
    }
}

/// Flags only the server has: its address, limits and WebSocket settings.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (http.host, DOCKET_HOST; default 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (http.port, DOCKET_PORT; default 8080).")
    var port: Int?
    @Option(help: "Largest request body in bytes (http.maxBodyBytes, DOCKET_MAX_BODY_BYTES; default 1048576).")
    var maxBodyBytes: Int?
    @Option(help: "Most connections served at once; more wait in the backlog (http.maxConnections, DOCKET_MAX_CONNECTIONS; default 16384).")
    var maxConnections: Int?
    @Option(help: "Connections one client address may hold; the next gets 503 (http.maxConnectionsPerAddress, DOCKET_MAX_CONNECTIONS_PER_ADDRESS; default 512).")
    var maxConnectionsPerAddress: Int?
    @Option(help: "Seconds a new connection has, from its first byte, to send a whole request head (http.headerTimeoutSeconds, DOCKET_HEADER_TIMEOUT; default 10).")
    var headerTimeout: Int?
    @Option(help: "Seconds a connection (new and silent, or kept alive) may wait with no request before it is closed (http.idleTimeoutSeconds, DOCKET_IDLE_TIMEOUT; default 60).")
    var idleTimeout: Int?
    @Option(help: "Slowest average rate a request body may arrive at, after the header timeout (http.minBodyBytesPerSecond, DOCKET_MIN_BODY_BYTES_PER_SECOND; default 1024).")
    var minBodyBytesPerSecond: Int?
    @Option(help: "Seconds a stopping server (SIGTERM, SIGINT) lets in-flight requests finish (http.shutdownGraceSeconds, DOCKET_SHUTDOWN_GRACE; default 10).")
    var shutdownGrace: Int?
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
    @Option(help: "Let webhooks name private and loopback addresses: true or false; for tests only (webhooks.allowPrivateAddresses, DOCKET_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES; default false).")
    var webhooksAllowPrivateAddresses: String?
    @Option(help: "Seconds a webhook endpoint has to answer a delivery (webhooks.timeoutSeconds, DOCKET_WEBHOOKS_TIMEOUT; default 10).")
    var webhooksTimeout: Int?
    @Option(help: "Socket.IO (Engine.IO) ping period in seconds, announced at the handshake (socketio.pingIntervalSeconds, DOCKET_SOCKETIO_PING_INTERVAL; default 25).")
    var socketioPingInterval: Int?
    @Option(help: "Seconds a Socket.IO client has to answer a ping before its session is closed (socketio.pingTimeoutSeconds, DOCKET_SOCKETIO_PING_TIMEOUT; default 20).")
    var socketioPingTimeout: Int?

    @Option(help: "Folder of the web console served at / (console.dir, DOCKET_CONSOLE_DIR; default: Console next to the packs directory).")
    var consoleDir: String?
    @Option(help: "Minutes a console session lasts without use; it renews while used (auth.sessionIdleMinutes, DOCKET_SESSION_IDLE_MINUTES; default 30).")
    var sessionIdleMinutes: Int?
    @Option(help: "bcrypt cost for console passwords, 4-16 (auth.bcryptCost, DOCKET_BCRYPT_COST; default 12).")
    var bcryptCost: Int?

    var flags: [String: String] {
        var flags: [String: String] = [:]
        flags["http.host"] = host
        flags["http.port"] = port.map(String.init)
        flags["http.maxBodyBytes"] = maxBodyBytes.map(String.init)
        flags["http.maxConnections"] = maxConnections.map(String.init)
        flags["http.maxConnectionsPerAddress"] = maxConnectionsPerAddress.map(String.init)
        flags["http.headerTimeoutSeconds"] = headerTimeout.map(String.init)
        flags["http.idleTimeoutSeconds"] = idleTimeout.map(String.init)
        flags["http.minBodyBytesPerSecond"] = minBodyBytesPerSecond.map(String.init)
        flags["http.shutdownGraceSeconds"] = shutdownGrace.map(String.init)
        flags["ws.maxConnectionsPerTenant"] = wsMaxConnectionsPerTenant.map(String.init)
        flags["ws.queueLimit"] = wsQueueLimit.map(String.init)
        flags["ws.maxFrameBytes"] = wsMaxFrameBytes.map(String.init)
        flags["ws.pingIntervalSeconds"] = wsPingInterval.map(String.init)
        flags["ws.idleTimeoutSeconds"] = wsIdleTimeout.map(String.init)
        flags["webhooks.allowPrivateAddresses"] = webhooksAllowPrivateAddresses
        flags["webhooks.timeoutSeconds"] = webhooksTimeout.map(String.init)
        flags["socketio.pingIntervalSeconds"] = socketioPingInterval.map(String.init)
        flags["socketio.pingTimeoutSeconds"] = socketioPingTimeout.map(String.init)
        flags["console.dir"] = consoleDir
        flags["auth.sessionIdleMinutes"] = sessionIdleMinutes.map(String.init)
        flags["auth.bcryptCost"] = bcryptCost.map(String.init)
        return flags
    }
}
