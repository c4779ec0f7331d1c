import DocketHTTP
import DocketLive
import DocketMongo
import DocketPacks
import DocketRules
import DocketSQLite
import Foundation
import NIOSSL
import Logging

/// Which store the system runs on.
public enum StoreChoice: Sendable, Equatable {
    /// The embedded store: `<dataDir>/docket.sqlite`.
    /// `groupWait`: how long the single writer may wait under load for a group to fill;
    /// `cacheMegabytes`: each connection's page cache.
    case sqlite(durability: SQLiteTicketStore.Durability, groupWait: Duration, cacheMegabytes: Int = 32)
    case mongo(uri: String, writeConcern: MongoWriteConcern, poolSize: Int)
}

/// Everything the server is configured with, read once: command line, then environment, then default.
public struct Configuration: Sendable {
    public var http: HTTPSettings
    /// The live endpoints' limits and timers (`ws.*`, `socketio.*`).
    public var live: LiveSettings
    /// Holds the SQLite database and the token signing key.
    public var dataDirectory: URL
    /// Where to write the port once the server listens (`http.portFile`); nil: nowhere.
    public var portFile: String?
    /// The shipped packs' folder; nil: the packs built into the binary (by default, when there is
    /// no `IndustryPacks` folder here, as for a binary copied onto a server).
    public var packsDirectory: URL?
    /// The Lua standard library's folder; nil: the copy built into the binary.
    public var rulesDirectory: URL?
    /// The pack the `default` tenant is configured from.
    public var defaultPack: String
    public var store: StoreChoice
    public var ruleLimits: RuleLimits
    /// Live events kept per tenant for reconnecting clients.
    public var eventsRetention: Int
    /// Webhooks may name private and loopback addresses (server-side request forgery guard off; tests only).
    public var webhooksAllowPrivateAddresses = false
    /// How long a webhook endpoint has to answer a delivery.
    public var webhooksTimeout: Duration = .seconds(10)
    public var logLevel: Logger.Level
    /// How long a stopping server lets in-flight requests finish before it cancels them.
    public var shutdownGrace: Duration
    /// `DOCKET_JWT_SECRET`: when set, tokens are signed with it instead of the data directory's key.
    public var jwtSecret: String?
    /// bcrypt's cost (log2 rounds) for console passwords.
    public var bcryptCost: Int
    /// Threads of the request executor (`WorkThreads`): `http.workThreads`, 0 read as one per
    /// core and at least two.
    public var workThreads: Int
    /// The mail receiver (`mail.*`); nil when `mail.port` is not set.
    public var mail: MailListening?
    /// Mail out: the certificates trusted for relays (nil: the system's) and the EHLO name.
    public var mailRelayCAFile: String?
    public var mailHeloName: String
    /// The largest mail taken (`mail.maxMessageBytes`), received or fetched from a mailbox.
    public var mailMaxMessageBytes: Int = 26_214_400
    /// The most bytes a tenant's kept attachments hold (`mail.filesMegabytesPerTenant`).
    public var mailFilesBytesPerTenant: Int = 2_048 << 20

    /// Where and how mail is received.
    public struct MailListening: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// `lmtp` or `smtp`.
        public var dialect: String
        public var maxMessageBytes: Int
        public var portFile: String?
    }

    /// Reads every key: `flags` (by key name, as given on the command line) first, then
    /// `environment`, then the default. Values out of range are refused with the key's name.
    public init(flags: [String: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let source = Source(flags: flags, environment: environment)
        http = HTTPSettings(
            host: try source.text("http.host"), port: try source.integer("http.port"),
            limits: HTTPLimits(maxBodyBytes: try source.integer("http.maxBodyBytes")),
            maxConnections: try source.integer("http.maxConnections"))
        http.connections = ConnectionRules(
            headerTimeout: .seconds(try source.integer("http.headerTimeoutSeconds")),
            idleTimeout: .seconds(try source.integer("http.idleTimeoutSeconds")),
            minBodyBytesPerSecond: try source.integer("http.minBodyBytesPerSecond"),
            maxPerAddress: try source.integer("http.maxConnectionsPerAddress"))
        live = LiveSettings(
            maxConnectionsPerTenant: try source.integer("ws.maxConnectionsPerTenant"),
            queueLimit: try source.integer("ws.queueLimit"),
            maxFrameBytes: try source.integer("ws.maxFrameBytes"),
            pingIntervalSeconds: try source.integer("ws.pingIntervalSeconds"),
            idleTimeoutSeconds: try source.integer("ws.idleTimeoutSeconds"))
        live.socketIOPingInterval = .seconds(try source.integer("socketio.pingIntervalSeconds"))
        live.socketIOPingTimeout = .seconds(try source.integer("socketio.pingTimeoutSeconds"))
        live.socketIOSessionsPerAddress = try source.integer("http.maxConnectionsPerAddress")
        shutdownGrace = .seconds(try source.integer("http.shutdownGraceSeconds"))
        let threads = try source.integer("http.workThreads")
        workThreads = threads > 0 ? threads : max(2, ProcessInfo.processInfo.activeProcessorCount)
        dataDirectory = URL(fileURLWithPath: try source.text("store.dataDir")).standardizedFileURL
        portFile = source.optional("http.portFile")
        let mailDialect = try source.text("mail.protocol")
        guard ["lmtp", "smtp"].contains(mailDialect) else { throw SetupError("mail.protocol must be lmtp or smtp, got '\(mailDialect)'") }
        let mailBytes = try source.integer("mail.maxMessageBytes")
        mailMaxMessageBytes = mailBytes
        mailFilesBytesPerTenant = try source.integer("mail.filesMegabytesPerTenant") << 20
        if let text = source.optional("mail.port") {
            guard let port = Int(text), (0...65_535).contains(port) else { throw SetupError("mail.port must be a port (0 to 65535), got '\(text)'") }
            mail = MailListening(
                host: try source.text("mail.host"), port: port, dialect: mailDialect, maxMessageBytes: mailBytes, portFile: source.optional("mail.portFile"))
        }
        mailRelayCAFile = source.optional("mail.relayCAFile")
        if let file = mailRelayCAFile, (try? NIOSSLCertificate.fromPEMFile(file))?.isEmpty != false {
            throw SetupError("mail.relayCAFile: \(file) holds no certificate (PEM) that can be read")
        }
        mailHeloName = source.optional("mail.heloName") ?? ProcessInfo.processInfo.hostName
        let packs = URL(fileURLWithPath: try source.text("packs.dir")).standardizedFileURL
        let packsExist = FileManager.default.fileExists(atPath: packs.path)
        if let explicit = source.optional("packs.dir"), !packsExist {
            throw SetupError("packs.dir: no folder \(explicit) (leave it out to use the packs built into docket)")
        }
        packsDirectory = packsExist ? packs : nil
        // A folder named explicitly must hold the library; by default `Rules` next to the packs,
        // else the copy built into the binary.
        if let explicit = source.optional("rules.libraryDir") {
            rulesDirectory = URL(fileURLWithPath: explicit).standardizedFileURL
        } else {
            rulesDirectory = PackLoader.libraryFolder(packs.deletingLastPathComponent().appendingPathComponent("Rules").standardizedFileURL)
        }
        defaultPack = try source.text("tenant.defaultPack")
        ruleLimits = RuleLimits(
            instructionLimit: Int64(try source.integer("rules.instructionLimit")),
            memoryLimitBytes: try source.integer("rules.memoryLimitBytes"),
            timeoutMs: try source.integer("rules.timeoutMs"))
        eventsRetention = try source.integer("events.retention")
        let allowPrivate = try source.text("webhooks.allowPrivateAddresses")
        guard ["true", "false"].contains(allowPrivate) else {
            throw SetupError("webhooks.allowPrivateAddresses must be true or false, got '\(allowPrivate)'")
        }
        webhooksAllowPrivateAddresses = allowPrivate == "true"
        webhooksTimeout = .seconds(try source.integer("webhooks.timeoutSeconds"))
        let levelName = try source.text("log.level")
        guard let level = Logger.Level(rawValue: levelName) else {
            throw SetupError("log.level must be trace, debug, info, notice, warning or error, got '\(levelName)'")
        }
        logLevel = level
        // Both stores' settings are checked whichever is used: a mistake is found when it is
        // made, not when the other store is chosen.
        let concernName = try source.text("store.mongo.writeConcern")
        guard let concern = MongoWriteConcern(rawValue: concernName) else {
            throw SetupError("store.mongo.writeConcern must be majority or primary, got '\(concernName)'")
        }
        let poolSize = try source.integer("store.mongo.poolSize")
        let durabilityName = try source.text("store.sqlite.durability")
        guard let durability = SQLiteTicketStore.Durability(rawValue: durabilityName) else {
            throw SetupError("store.sqlite.durability must be normal or full, got '\(durabilityName)'")
        }
        let groupWait = try source.integer("store.sqlite.groupWaitMicroseconds")
        let cacheMegabytes = try source.integer("store.sqlite.cacheMegabytes")
        if let uri = source.optional("store.mongo.uri") {
            store = .mongo(uri: uri, writeConcern: concern, poolSize: poolSize)
        } else {
            store = .sqlite(durability: durability, groupWait: .microseconds(groupWait), cacheMegabytes: cacheMegabytes)
        }
        jwtSecret = source.optional("auth.jwtSecret")
        bcryptCost = try source.integer("auth.bcryptCost")
        if let explicit = source.optional("console.dir"), !FileManager.default.fileExists(atPath: explicit) {
            throw SetupError("console.dir: no folder \(explicit) (leave it out to use the console built into docket)")
        }
        http.console = ConsoleSettings(
            // Without the folder, the console built into the binary.
            directory: URL(fileURLWithPath: source.optional("console.dir")
                ?? packs.deletingLastPathComponent().appendingPathComponent("Console").path).standardizedFileURL,
            sessionIdle: TimeInterval(60 * (try source.integer("auth.sessionIdleMinutes"))))
        if let jwtSecret, jwtSecret.utf8.count < 32 {
            throw SetupError("DOCKET_JWT_SECRET (auth.jwtSecret) must be at least 32 bytes")
        }
    }

    /// The SQLite database file in the data directory.
    public var databasePath: String { dataDirectory.appendingPathComponent("docket.sqlite").path }

    /// Looks a key up in the flags, the environment and the defaults.
    struct Source {
        let flags: [String: String]
        let environment: [String: String]

        func key(_ name: String) -> ConfigurationKey {
            guard let key = Configuration.keys.first(where: { $0.name == name }) else { preconditionFailure("unknown key \(name)") }
            return key
        }

        /// The flag, else a non-empty environment variable, else nil (no default).
        func given(_ name: String) -> (value: String, from: String)? {
            let key = key(name)
            if let flag = flags[name], !flag.isEmpty { return (flag, key.flag.map { "--\($0)" } ?? name) }
            if let value = environment[key.environment], !value.isEmpty { return (value, key.environment) }
            return nil
        }

        func optional(_ name: String) -> String? { given(name)?.value }

        func text(_ name: String) throws -> String {
            if let value = given(name)?.value { return value }
            guard let fallback = key(name).fallback else { throw SetupError("\(name) has no value") }
            return fallback
        }

        /// An integer setting within the range its key declares.
        func integer(_ name: String) throws -> Int {
            guard let range = Configuration.keys.first(where: { $0.name == name })?.range else {
                preconditionFailure("\(name) declares no range in Configuration.keys")
            }
            let fallback = given(name)
            let (text, from) = try fallback ?? (self.text(name), "the default")
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw SetupError("\(name) (\(from)) must be an integer, got '\(text)'")
            }
            guard range.contains(value) else {
                throw SetupError("\(name) (\(from)) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            }
            return value
        }
    }
}

/// A start-up problem, said plainly.
public struct SetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
