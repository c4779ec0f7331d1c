/// One setting of the server, declared once: its dotted key, command-line flag, environment
/// variable, default, accepted range, which commands take it, and its help. `docket`'s flags,
/// its help text, `Configuration`'s reading and validation come from this declaration; the
/// README's configuration table is checked against it (ConfigurationTests).
public struct ConfigurationKey: Sendable, Equatable {
    /// Which commands take a setting's flag.
    public enum Scope: Sendable, Equatable {
        /// Every command that opens the data (`serve`, `token`, `tenant create`, `user create`,
        /// `pack simulate`, `migrate`).
        case store
        /// `docket serve` alone.
        case server
    }

    public let name: String
    /// The long flag without `--`; nil when the setting comes from the environment only.
    public let flag: String?
    public let environment: String
    /// The default as text; nil when there is none (the setting is optional).
    public let fallback: String?
    /// What an integer setting accepts; a value outside stops the start, naming the key.
    public let range: ClosedRange<Int>?
    public let scope: Scope
    /// One line for `docket serve --help`.
    public let help: String

    init(_ name: String, flag: String?, env: String, _ fallback: String?, range: ClosedRange<Int>? = nil, _ scope: Scope, _ help: String) {
        self.name = name
        self.flag = flag
        self.environment = env
        self.fallback = fallback
        self.range = range
        self.scope = scope
        self.help = help
    }
}

extension Configuration {
    public static let keys: [ConfigurationKey] = [
        .init("http.host", flag: "host", env: "DOCKET_HOST", "127.0.0.1", .server, "Address to listen on."),
        .init("http.port", flag: "port", env: "DOCKET_PORT", "8080", range: 0...65_535, .server, "Port to listen on."),
        .init(
            "http.maxBodyBytes", flag: "max-body-bytes", env: "DOCKET_MAX_BODY_BYTES", "1048576", range: 1024...Int(Int32.max), .server,
            "Largest request body in bytes (413 above)."),
        .init(
            "http.portFile", flag: "port-file", env: "DOCKET_PORT_FILE", nil, .server,
            "Write the port the server listens on to this file once it listens (with --port 0, the one the kernel chose)."),
        .init(
            "http.maxConnections", flag: "max-connections", env: "DOCKET_MAX_CONNECTIONS", "16384", range: 1...1_000_000, .server,
            "Most connections served at once; more wait in the backlog."),
        .init(
            "http.maxConnectionsPerAddress", flag: "max-connections-per-address", env: "DOCKET_MAX_CONNECTIONS_PER_ADDRESS", "512",
            range: 1...1_000_000, .server, "Connections one client address may hold; the next gets 503."),
        .init(
            "http.headerTimeoutSeconds", flag: "header-timeout", env: "DOCKET_HEADER_TIMEOUT", "10", range: 1...600, .server,
            "Seconds a new connection has, from its first byte, to send a whole request head."),
        .init(
            "http.idleTimeoutSeconds", flag: "idle-timeout", env: "DOCKET_IDLE_TIMEOUT", "60", range: 1...86_400, .server,
            "Seconds a connection may wait with no request before it is closed."),
        .init(
            "http.minBodyBytesPerSecond", flag: "min-body-bytes-per-second", env: "DOCKET_MIN_BODY_BYTES_PER_SECOND", "1024",
            range: 1...(1 << 30), .server, "Slowest average rate a request body may arrive at, after the header timeout."),
        .init(
            "http.shutdownGraceSeconds", flag: "shutdown-grace", env: "DOCKET_SHUTDOWN_GRACE", "10", range: 0...3_600, .server,
            "Seconds a stopping server (SIGTERM, SIGINT) lets in-flight requests finish."),
        .init(
            "http.workThreads", flag: "work-threads", env: "DOCKET_WORK_THREADS", "0", range: 0...256, .server,
            "Threads that run requests (their store reads and rules in place); 0: one per core, at least 2."),
        .init(
            "mail.port", flag: "mail-port", env: "DOCKET_MAIL_PORT", nil, range: 0...65_535, .server,
            "Receive mail on this port (LMTP or SMTP, for the tenants' mail server to deliver to); unset: no mail is received."),
        .init("mail.host", flag: "mail-host", env: "DOCKET_MAIL_HOST", "127.0.0.1", .server, "Address the mail receiver listens on."),
        .init("mail.protocol", flag: "mail-protocol", env: "DOCKET_MAIL_PROTOCOL", "lmtp", .server, "How mail is delivered to Docket: lmtp or smtp."),
        .init(
            "mail.maxMessageBytes", flag: "mail-max-message-bytes", env: "DOCKET_MAIL_MAX_MESSAGE_BYTES", "26214400", range: 1024...(256 << 20),
            .server, "Largest mail taken, in bytes (said with SIZE; 552 above; a larger one fetched from a mailbox is quarantined)."),
        .init(
            "mail.filesMegabytesPerTenant", flag: "mail-files-megabytes-per-tenant", env: "DOCKET_MAIL_FILES_MEGABYTES_PER_TENANT", "2048",
            range: 1...1_048_576, .server,
            "The most a tenant's kept mail attachments hold together, in MiB; past it a mail's files are named in its message but not kept."),
        .init(
            "mail.portFile", flag: "mail-port-file", env: "DOCKET_MAIL_PORT_FILE", nil, .server,
            "Write the port the mail receiver listens on to this file once it listens (with --mail-port 0, the one the kernel chose)."),
        .init(
            "mail.relayCAFile", flag: "mail-relay-ca-file", env: "DOCKET_MAIL_RELAY_CA_FILE", nil, .server,
            "Certificates (PEM) trusted for the tenants' relays and IMAP mailboxes instead of the system's (a private CA)."),
        .init(
            "mail.heloName", flag: "mail-helo-name", env: "DOCKET_MAIL_HELO_NAME", nil, .server,
            "The name mail out says in EHLO to the tenants' relays (default: this machine's host name)."),
        .init("store.dataDir", flag: "data-dir", env: "DOCKET_DATA_DIR", "./data", .store, "Directory for the database and signing key."),
        .init("store.sqlite.durability", flag: "sqlite-durability", env: "DOCKET_SQLITE_DURABILITY", "normal", .store, "SQLite durability: normal or full."),
        .init(
            "store.sqlite.groupWaitMicroseconds", flag: "sqlite-group-wait-us", env: "DOCKET_SQLITE_GROUP_WAIT_US", "4000", range: 0...100_000,
            .store, "Microseconds the SQLite writer may wait under load for a group of writes; 0: never."),
        .init(
            "store.sqlite.cacheMegabytes", flag: "sqlite-cache-mb", env: "DOCKET_SQLITE_CACHE_MB", "32", range: 1...4096, .store,
            "Page cache of each SQLite connection, in MB."),
        .init("packs.dir", flag: "packs-dir", env: "DOCKET_PACKS_DIR", "./IndustryPacks", .store, "Directory of industry packs."),
        .init(
            "tenant.defaultPack", flag: "default-pack", env: "DOCKET_DEFAULT_PACK", "luxfree-solar", .store,
            "Pack the 'default' tenant is configured from."),
        .init("auth.jwtSecret", flag: nil, env: "DOCKET_JWT_SECRET", nil, .store, "Token signing secret (at least 32 bytes); environment only."),
        .init(
            "rules.libraryDir", flag: "rules-dir", env: "DOCKET_RULES_DIR", nil, .store,
            "Directory of the Rules/ standard library (default: Rules next to the packs directory, else the copy built into docket)."),
        .init(
            "rules.instructionLimit", flag: "rules-instruction-limit", env: "DOCKET_RULES_INSTRUCTION_LIMIT", "2000000",
            range: 1000...Int(Int32.max), .store, "VM instructions one rule evaluation may run."),
        .init(
            "rules.memoryLimitBytes", flag: "rules-memory-limit-bytes", env: "DOCKET_RULES_MEMORY_LIMIT_BYTES", "8388608",
            range: 65_536...(1 << 30), .store, "Memory one rule evaluation may add."),
        .init(
            "rules.timeoutMs", flag: "rules-timeout-ms", env: "DOCKET_RULES_TIMEOUT_MS", "50", range: 1...60_000, .store,
            "Wall-clock limit of one rule evaluation, in ms."),
        .init(
            "store.mongo.uri", flag: "mongo-uri", env: "DOCKET_MONGO_URI", nil, .store,
            "MongoDB URI; the database name comes from its path (default docket). Without it, the embedded SQLite store."),
        .init(
            "store.mongo.writeConcern", flag: "mongo-write-concern", env: "DOCKET_MONGO_WRITE_CONCERN", "majority", .store,
            "MongoDB write concern: majority (w: majority, j: true) or primary (w: 1)."),
        .init(
            "store.mongo.poolSize", flag: "mongo-pool-size", env: "DOCKET_MONGO_POOL_SIZE", "8", range: 1...256, .store,
            "MongoDB clients and blocking threads."),
        .init(
            "events.retention", flag: "events-retention", env: "DOCKET_EVENTS_RETENTION", "10000", range: 100...10_000_000, .store,
            "Live events kept per tenant for reconnecting clients."),
        .init(
            "ws.maxConnectionsPerTenant", flag: "ws-max-connections-per-tenant", env: "DOCKET_WS_MAX_CONNECTIONS_PER_TENANT", "10000",
            range: 1...10_000_000, .server, "WebSocket connections per tenant; the next is closed with 4429."),
        .init(
            "ws.queueLimit", flag: "ws-queue-limit", env: "DOCKET_WS_QUEUE_LIMIT", "512", range: 16...1_000_000, .server,
            "Frames waiting for one WebSocket client before it is dropped with 4409."),
        .init(
            "ws.maxFrameBytes", flag: "ws-max-frame-bytes", env: "DOCKET_WS_MAX_FRAME_BYTES", "65536", range: 1024...(16 << 20), .server,
            "Largest WebSocket frame a client may send."),
        .init(
            "ws.pingIntervalSeconds", flag: "ws-ping-interval", env: "DOCKET_WS_PING_INTERVAL", "30", range: 1...86_400, .server,
            "WebSocket ping period in seconds; an unanswered ping drops the peer."),
        .init(
            "ws.idleTimeoutSeconds", flag: "ws-idle-timeout", env: "DOCKET_WS_IDLE_TIMEOUT", "300", range: 5...86_400 * 7, .server,
            "Seconds without a frame from a WebSocket client before it is closed with 4410."),
        .init(
            "webhooks.allowPrivateAddresses", flag: "webhooks-allow-private-addresses", env: "DOCKET_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", "false",
            .server, "Let webhooks name private and loopback addresses: true or false; for tests only."),
        .init(
            "webhooks.timeoutSeconds", flag: "webhooks-timeout", env: "DOCKET_WEBHOOKS_TIMEOUT", "10", range: 1...120, .server,
            "Seconds a webhook endpoint has to answer a delivery."),
        .init(
            "socketio.pingIntervalSeconds", flag: "socketio-ping-interval", env: "DOCKET_SOCKETIO_PING_INTERVAL", "25", range: 1...3_600,
            .server, "Socket.IO (Engine.IO) ping period in seconds, announced at the handshake."),
        .init(
            "socketio.pingTimeoutSeconds", flag: "socketio-ping-timeout", env: "DOCKET_SOCKETIO_PING_TIMEOUT", "20", range: 1...3_600,
            .server, "Seconds a Socket.IO client has to answer a ping before its session is closed."),
        .init("log.level", flag: "log-level", env: "DOCKET_LOG_LEVEL", "info", .store, "Log level: trace, debug, info, notice, warning, error."),
        .init(
            "console.dir", flag: "console-dir", env: "DOCKET_CONSOLE_DIR", nil, .server,
            "Folder of the web console served at / (default: Console next to the packs directory)."),
        .init(
            "auth.bcryptCost", flag: "bcrypt-cost", env: "DOCKET_BCRYPT_COST", "12", range: 4...16, .server,
            "bcrypt cost for console passwords."),
        .init(
            "auth.sessionIdleMinutes", flag: "session-idle-minutes", env: "DOCKET_SESSION_IDLE_MINUTES", "30", range: 2...1440, .server,
            "Minutes a console session lasts without use; it renews while used."),
    ]
}
