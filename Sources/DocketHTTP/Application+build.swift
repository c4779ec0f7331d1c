import DocketCore
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import HummingbirdWebSocket
import Logging
import Prometheus
import ServiceLifecycle

/// Limits on what a client may send.
public struct HTTPLimits: Sendable {
    /// Largest accepted request body (`http.maxBodyBytes`); larger ones answer 413.
    public var maxBodyBytes: Int

    public init(maxBodyBytes: Int = 1 << 20) { self.maxBodyBytes = maxBodyBytes }
}

public struct HTTPSettings: Sendable {
    public var host: String
    public var port: Int
    public var limits: HTTPLimits
    /// Most connections served at once (`http.maxConnections`); further ones wait in the
    /// listen backlog until one closes.
    public var maxConnections: Int
    public var version: String
    /// The WebSocket upgrade's frame limit and ping period (`ws.*`).
    public var webSocket: WebSocketLimits
    /// The web console's files and its sessions.
    public var console: ConsoleSettings = .init()
    /// Timeouts and caps against idle, slow and greedy connections.
    public var connections: ConnectionRules = .init()
    /// Told the port the server listens on, once it does (with port 0, the kernel's choice).
    public var onListening: (@Sendable (Int) async -> Void)?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, limits: HTTPLimits = .init(), maxConnections: Int = 1024,
        version: String = "0.1.0", webSocket: WebSocketLimits = .init()
    ) {
        self.webSocket = webSocket
        self.host = host
        self.port = port
        self.limits = limits
        self.maxConnections = maxConnections
        self.version = version
    }
}

/// What the HTTP server's WebSocket upgrades allow.
public struct WebSocketLimits: Sendable {
    /// Largest frame a client may send (`ws.maxFrameBytes`); a larger one closes the connection (1009).
    public var maxFrameBytes: Int
    /// How often the server pings; a peer that misses a ping is dropped (`ws.pingIntervalSeconds`).
    public var pingIntervalSeconds: Int

    public init(maxFrameBytes: Int = 64 * 1024, pingIntervalSeconds: Int = 30) {
        self.maxFrameBytes = maxFrameBytes
        self.pingIntervalSeconds = pingIntervalSeconds
    }
}

/// The live endpoints (`/api/v2/ws`, `/socket.io/`), served by the live layer and mounted by the
/// composition root: the HTTP adapter routes and documents them without knowing how they work.
public struct LiveRoutes: Sendable {
    /// Registers the WebSocket upgrades on the upgrade router.
    public var mountUpgrades: @Sendable (Router<DocketRequestContext>) -> Void
    /// `GET /api/v2/ws` without an upgrade (401 or 426).
    public var webSocketWithoutUpgrade: @Sendable (Request) async throws -> Response
    /// `GET /socket.io/`: an Engine.IO handshake or long-poll, from the client's address.
    public var socketIOPoll: @Sendable (Request, String) async throws -> Response
    /// `POST /socket.io/`: Engine.IO packets from a client.
    public var socketIOPost: @Sendable (Request, DocketRequestContext) async throws -> Response
    public var webSocketPath: String
    public var socketIOPath: String

    public init(
        webSocketPath: String, socketIOPath: String, mountUpgrades: @escaping @Sendable (Router<DocketRequestContext>) -> Void,
        webSocketWithoutUpgrade: @escaping @Sendable (Request) async throws -> Response,
        socketIOPoll: @escaping @Sendable (Request, String) async throws -> Response,
        socketIOPost: @escaping @Sendable (Request, DocketRequestContext) async throws -> Response
    ) {
        self.webSocketPath = webSocketPath
        self.socketIOPath = socketIOPath
        self.mountUpgrades = mountUpgrades
        self.webSocketWithoutUpgrade = webSocketWithoutUpgrade
        self.socketIOPoll = socketIOPoll
        self.socketIOPost = socketIOPost
    }
}

/// What the HTTP adapter needs from the composition root.
public struct HTTPDependencies: Sendable {
    public var services: DocketServices
    public var tokens: TokenAuthority
    public var metrics: PrometheusCollectorRegistry
    /// Shown in `/health`, e.g. `sqlite`.
    public var storeKind: String
    /// The live endpoints to route and document (none: no `/api/v2/ws` nor `/socket.io/`).
    public var live: LiveRoutes?
    /// Console sign-in: passwords, sessions, one-time links, the widget's customers.
    public var accounts: AccountService

    public init(
        services: DocketServices, accounts: AccountService, tokens: TokenAuthority, metrics: PrometheusCollectorRegistry, storeKind: String,
        live: LiveRoutes?
    ) {
        self.accounts = accounts
        self.live = live
        self.services = services
        self.tokens = tokens
        self.metrics = metrics
        self.storeKind = storeKind
    }
}

/// The router with every route, and the endpoints the OpenAPI document describes.
public func httpRouter(_ dependencies: HTTPDependencies, settings: HTTPSettings) throws -> Router<DocketRequestContext> {
    try makeRoutes(dependencies, settings: settings).routes.router
}

/// The HTTP routes, and the router that decides WebSocket upgrades.
func makeRoutes(_ dependencies: HTTPDependencies, settings: HTTPSettings) throws -> (routes: RouteRegistry, upgrades: Router<DocketRequestContext>) {
    let router = Router(context: DocketRequestContext.self)
    // Metrics outermost: they record the status the client got, after errors became responses.
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    let methods = MethodMiddleware.Table()
    router.add(middleware: MethodMiddleware(table: methods))
    let console = try ConsoleFiles(directory: settings.console.directory)
    if !console.isEmpty { router.add(middleware: ConsoleMiddleware(files: console)) }
    let auth = AuthMiddleware(tokens: dependencies.tokens, services: dependencies.services, accounts: dependencies.accounts, console: settings.console)
    let routes = RouteRegistry(router: router, auth: auth)
    let system = SystemController(
        services: dependencies.services, metrics: dependencies.metrics, version: settings.version, storeKind: dependencies.storeKind)
    system.register(routes)
    // One cache of listed tickets' JSON for every list route.
    let lists = TicketListJSON()
    TicketController(services: dependencies.services, limits: settings.limits, lists: lists).register(routes)
    PeopleController(services: dependencies.services, limits: settings.limits).register(routes)
    ConfigController(services: dependencies.services, limits: settings.limits).register(routes)
    PackController(services: dependencies.services, limits: settings.limits).register(routes)
    AssistantController(services: dependencies.services, limits: settings.limits).register(routes)
    ReportController(services: dependencies.services).register(routes)
    ChatController(services: dependencies.services, limits: settings.limits, lists: lists).register(routes)
    WebhookController(services: dependencies.services, limits: settings.limits).register(routes)
    AuthController(
        accounts: dependencies.accounts, tokens: dependencies.tokens, auth: auth, console: settings.console, limits: settings.limits
    ).register(routes)
    let upgrades = Router(context: DocketRequestContext.self)
    if let live = dependencies.live {
        live.mountUpgrades(upgrades)
        LiveController(live: live).register(routes)
    }
    try system.registerDocument(routes)
    methods.load(routes.endpoints)
    return (routes, upgrades)
}

/// The HTTP server with every route and the WebSocket endpoint, running `services` beside it.
/// The composition root (DocketAssembly's `buildApplication`) calls it; nothing else should.
public func httpApplication(
    _ dependencies: HTTPDependencies, settings: HTTPSettings, services: [any Service], logger: Logger
) throws -> Application<RouterResponder<DocketRequestContext>> {
    let (routes, upgrades) = try makeRoutes(dependencies, settings: settings)
    let live = settings.webSocket
    let rules = settings.connections
    let counts = AddressCounts()
    let webSocketResponder = upgrades.buildResponder()
    let auth = AuthMiddleware(tokens: dependencies.tokens, services: dependencies.services, accounts: dependencies.accounts, console: settings.console)
    let gate: (path: String, check: UpgradeGate.Check)? = dependencies.live.map { live in (live.webSocketPath, { try await auth.authenticate($0) }) }
    let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
        http1: .init(
            additionalChannelHandlers: [BodyRateGuard(rules: rules, logger: logger)], idleTimeout: TimeAmount(rules.idleTimeout)),
        ws: .init(
            maxFrameSize: live.maxFrameBytes, autoPing: .enabled(timePeriod: .seconds(Int64(live.pingIntervalSeconds))),
            closeTimeout: .seconds(5)))
    return Application(
        router: routes.router,
        server: HTTPServerBuilder { responder in
            GuardedChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                rules: rules, counts: counts, gate: gate)
        },
        configuration: .init(
            address: .hostname(settings.host, port: settings.port), serverName: "docket",
            availableConnectionsDelegate: .maximum(settings.maxConnections, logger: logger)),
        services: services,
        onServerRunning: { [onListening = settings.onListening] channel in
            if let onListening, let port = channel.localAddress?.port { await onListening(port) }
        },
        logger: logger)
}
