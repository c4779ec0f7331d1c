import DocketAssembly
import DocketCore
import DocketHTTP
import DocketPacks
import DocketRules
import DocketSQLite
import DocketTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import Testing

let packsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("IndustryPacks")

/// A Docket app on a fresh SQLite store in a temporary directory, with tenants
/// `default` and `acme` from the LUXFREE pack and a clock tests can move.
// Test-only: the router is built once and only read afterwards.
struct TestApp: @unchecked Sendable {
    let service: TicketService
    let tokens: TokenAuthority
    let clock: ManualClock
    let engine: LuaRuleEngine
    let app: Application<RouterResponder<DocketRequestContext>>
    let router: Router<DocketRequestContext>
    let hub: LiveHub
    let store: SQLiteTicketStore

    static let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18

    init(
        maxBodyBytes: Int = 64 * 1024, maxConnections: Int = 1024, port: Int = 0, clock: ManualClock = ManualClock(TestApp.start),
        ruleOverrides: [String: String] = [:], installShippedPacks: Bool = false, live: LiveSettings = .init(), retainedEvents: Int = 10_000
    ) async throws {
        let dir = try Scratch.directory("http")
        let store = try SQLiteTicketStore(path: dir.appendingPathComponent("docket.sqlite").path)
        self.store = store
        self.clock = clock
        let loaded = try PackLoader(root: packsRoot).loadAll("luxfree-solar")
        var sources = loaded.ruleSources
        sources.merge(ruleOverrides) { $1 }
        let inspector = try BundleInspector(rulesRoot: packsRoot.deletingLastPathComponent().appendingPathComponent("Rules"), limits: RuleLimits())
        // LUXFREE is preloaded (with any overridden rules); other versions load from the store on first use.
        let engine = try LuaRuleEngine(
            packs: [RulePack(manifest: loaded.manifest, sources: sources, location: loaded.location)],
            standardLibrary: inspector.library, workers: 2,
            source: { packId, version in try await store.packVersion(packId: packId, version: version).map(RulesSetup.rulePack) })
        self.engine = engine
        let log = LiveEventLog(store: store, settings: LiveEventSettings(retainedPerTenant: retainedEvents))
        service = TicketService(store: store, clock: clock, tenantCacheSeconds: 0, rules: engine, packInspector: inspector, live: log)
        hub = LiveHub(settings: live)
        log.addSink(hub)
        if installShippedPacks {
            try await RulesSetup.installShipped(PackLoader(root: packsRoot), service: service, required: nil, logger: Logger(label: "test"))
        }
        tokens = try await TokenAuthority(secret: Array("test-secret-test-secret-test-secret!".utf8))
        let pack = loaded.manifest
        _ = try await service.provisionTenant(id: "default", name: "LUXFREE", pack: pack)
        _ = try await service.provisionTenant(id: "acme", name: "Acme", pack: pack)
        let dependencies = HTTPDependencies(service: service, tokens: tokens, metrics: PrometheusCollectorRegistry(), storeKind: "sqlite", hub: hub)
        let settings = HTTPSettings(port: port, limits: HTTPLimits(maxBodyBytes: maxBodyBytes), maxConnections: maxConnections, live: live)
        app = try buildApplication(dependencies, settings: settings, logger: Logger(label: "test"))
        router = try buildRouter(dependencies, settings: settings)
    }

    func token(_ role: Role, _ subject: String, tenant: String = "default", ttl: TimeInterval = 3600) async throws -> String {
        try await tokens.issue(Principal(tenantId: tenant, role: role, subject: subject), ttl: ttl)
    }

    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await app.test(.router, body)
    }

}

struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Data

    func json() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: body) as? [String: Any])
    }

    var errorCode: String? {
        ((try? json())?["error"] as? [String: Any])?["code"] as? String
    }

    var ticket: [String: Any]? { (try? json())?["ticket"] as? [String: Any] }
}

extension TestClientProtocol {
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: Any? = nil, raw: String? = nil,
        contentType: String = "application/json"
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = contentType
        } else if let raw {
            body = ByteBuffer(string: raw)
            headers[.contentType] = contentType
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, headers: response.headers, body: Data(buffer: response.body))
        }
    }
}

extension TestApp {
    /// Registers a customer and an agent and returns tokens for them and an admin.
    func people(_ client: any TestClientProtocol, tenant: String = "default") async throws -> (admin: String, agent: String, customer: String) {
        let admin = try await token(.admin, "boss", tenant: tenant)
        var reply = try await client.call(.post, "/api/v2/agents", token: admin, json: ["id": "ana", "name": "Ana López", "email": "ana@\(tenant).mx"])
        #expect(reply.status == .created)
        reply = try await client.call(.post, "/api/v2/customers", token: admin, json: ["id": "cust1", "phoneNumber": "+52 55 1234 5678", "firstName": "Luz"])
        #expect(reply.status == .created)
        return (admin, try await token(.agent, "ana", tenant: tenant), try await token(.customer, "cust1", tenant: tenant))
    }

    func openTicket(_ client: any TestClientProtocol, token: String, subject: String = "Luminaria apagada", extra: [String: Any] = [:]) async throws -> String {
        var body: [String: Any] = ["subject": subject, "description": "La luminaria de la calle 5 no enciende", "category": "light_malfunction"]
        body.merge(extra) { $1 }
        let reply = try await client.call(.post, "/api/v2/tickets", token: token, json: body)
        #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.ticket?["ticketId"] as? String)
    }
}
