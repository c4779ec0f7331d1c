import DocketAssembly
import DocketCore
import DocketHTTP
import DocketLive
import DocketPacks
import DocketRules
import DocketTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import Testing


/// A Docket app built by the composition root on a fresh SQLite store in a temporary
/// directory, with tenants `default` and `acme` from the LUXFREE pack and a clock tests can move.
// Test-only: the router is built once and only read afterwards.
struct TestApp: @unchecked Sendable {
    let system: DocketSystem
    let clock: ManualClock
    let app: Application<RouterResponder<DocketRequestContext>>
    let router: Router<DocketRequestContext>
    /// Where the running server writes its port (`withRunningServer`).
    let portFile: URL

    var services: DocketServices { system.services }
    var tokens: TokenAuthority { system.tokens }
    var engine: LuaRuleEngine { system.engine }
    var hub: LiveHub { system.hub }
    var store: any TicketStore { system.store }

    static let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18
    static let secret = "test-secret-test-secret-test-secret!"

    /// The configuration a test server starts from: scratch data directory, the repository's packs.
    static func configuration(_ flags: [String: String] = [:]) throws -> Configuration {
        try Configuration(
            flags: ["store.dataDir": try Scratch.directory("http").path, "packs.dir": packsRoot.path, "auth.bcryptCost": "4",
                // A test client may open its connection long before its first request on a loaded machine.
                "http.idleTimeoutSeconds": "600",
            ].merging(flags) { $1 },
            environment: ["DOCKET_JWT_SECRET": secret])
    }

    init(
        maxBodyBytes: Int = 64 * 1024, maxConnections: Int = 1024, port: Int = 0, clock: ManualClock = ManualClock(TestApp.start),
        ruleOverrides: [String: String] = [:], installShippedPacks: Bool = false, live: LiveSettings = .init(), retainedEvents: Int = 10_000,
        flags: [String: String] = [:]
    ) async throws {
        let portFile = try Scratch.directory("port").appendingPathComponent("port")
        var configuration = try Self.configuration([
            "http.port": "\(port)", "http.maxBodyBytes": "\(maxBodyBytes)", "http.maxConnections": "\(maxConnections)",
            "events.retention": "\(retainedEvents)", "http.portFile": portFile.path,
        ].merging(flags) { $1 })
        self.portFile = portFile
        configuration.live = live
        let loaded = try PackLoader(root: packsRoot).loadAll("luxfree-solar")
        var sources = loaded.ruleSources
        sources.merge(ruleOverrides) { $1 }
        var options = AssemblyOptions()
        options.clock = clock
        options.tenantCacheSeconds = 0
        // LUXFREE is preloaded (with any overridden rules); other versions load from the store on first use.
        options.preloadedPacks = [RulePack(manifest: loaded.manifest, sources: sources, location: loaded.location)]
        options.ruleWorkers = 2
        options.installShippedPacks = installShippedPacks
        options.provisionDefaultTenant = false
        options.logger = Logger(label: "test")
        let (system, app) = try await buildApplication(configuration, options: options)
        self.system = system
        self.app = app
        self.clock = clock
        router = try system.router()
        _ = try await services.tenants.provisionTenant(id: "default", name: "LUXFREE", pack: loaded.manifest)
        _ = try await services.tenants.provisionTenant(id: "acme", name: "Acme", pack: loaded.manifest)
    }

    func token(_ role: Role, _ subject: String, tenant: String = "default", ttl: TimeInterval = 3600) async throws -> String {
        try await tokens.issue(Principal(tenantId: tenant, role: role, subject: subject), ttl: ttl)
    }

    /// Runs `body` against the router on the request executor's threads, as `docket serve`
    /// runs every request: the store reads and the rules run in place there.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Threads.requestThreads.run { try await app.test(.router, body) }
    }

}

struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Data

    func json() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: body) as? [String: Any])
    }

    var errorMessage: String? {
        ((try? json())?["error"] as? [String: Any])?["message"] as? String
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

extension TestClientProtocol {
    /// A set-up call that must succeed (2xx); a failure says which call and what it answered.
    @discardableResult
    func succeed(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: Any? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Reply {
        let reply = try await call(method, uri, token: token, json: json)
        #expect((200..<300).contains(reply.status.code), "\(method) \(uri) → \(reply.status.code) \(String(decoding: reply.body, as: UTF8.self))", sourceLocation: sourceLocation)
        return reply
    }
}

extension TestApp {
    /// Registers a customer and an agent and returns tokens for them and an admin.
    /// `agents` are at their desks: a live session of each is open (as the console holds), so
    /// routing strategies may pick them.
    func online(_ agents: [String], tenant: String = "default") async {
        for id in agents {
            await services.presence.hold(Principal(tenantId: tenant, role: .agent, subject: id), session: "test-desk-\(id)")
        }
    }

    /// An admin, the agent `ana` (online: a session of hers is open) and the customer `cust1`.
    func people(_ client: any TestClientProtocol, tenant: String = "default") async throws -> (admin: String, agent: String, customer: String) {
        let admin = try await token(.admin, "boss", tenant: tenant)
        var reply = try await client.call(.post, "/api/v2/agents", token: admin, json: ["id": "ana", "name": "Ana López", "email": "ana@\(tenant).mx"])
        #expect(reply.status == .created)
        reply = try await client.call(.post, "/api/v2/customers", token: admin, json: ["id": "cust1", "phoneNumber": "+52 55 1234 5678", "firstName": "Luz"])
        #expect(reply.status == .created)
        await online(["ana"], tenant: tenant)
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
