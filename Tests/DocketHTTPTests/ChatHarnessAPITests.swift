import DocketCore
import DocketHTTP
import DocketPacks
import DocketTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The randomized chat drive through the API over real sockets: every operation is an HTTP
/// request to the running server (keep-alive connections from many clients), every refusal
/// read from the `{"error":{"code","message"}}` body.
struct HTTPDriver: ChatDriver {
    let port: Int
    let tokens: TokenAuthority
    let tenantId: String
    let session: URLSession

    func token(_ role: Role, _ subject: String) async throws -> String {
        try await tokens.issue(Principal(tenantId: tenantId, role: role, subject: subject), ttl: 3600)
    }

    func post(_ path: String, _ role: Role, _ subject: String, _ body: [String: Any] = [:]) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v2\(path)")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(try await token(role, subject))", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await session.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard !(200..<300).contains(status) else { return }
        let error = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? [String: Any]
        let code = DocketError.Code(rawValue: error?["code"] as? String ?? "") ?? .internalError
        throw DocketError(code, error?["message"] as? String ?? "HTTP \(status)")
    }

    func customerWrites(_ customer: String, _ content: String) async throws { try await post("/messages", .customer, customer, ["content": content]) }
    func writes(_ role: Role, _ subject: String, ticket: String, _ content: String) async throws {
        try await post("/tickets/\(ticket)/messages", role, subject, ["content": content])
    }
    func reads(_ role: Role, _ subject: String, ticket: String) async throws { try await post("/tickets/\(ticket)/read", role, subject) }
    func claim(_ agent: String, ticket: String) async throws { try await post("/tickets/\(ticket)/claim", .agent, agent) }
    func assign(ticket: String, to agent: String) async throws { try await post("/tickets/\(ticket)/assign", .admin, "boss", ["agentId": agent]) }
    func transfer(ticket: String, to agent: String) async throws {
        try await post("/tickets/\(ticket)/transfer", .admin, "boss", ["toAgentId": agent])
    }
    func escalate(ticket: String, to agent: String?) async throws {
        var body: [String: Any] = ["reason": "urgente"]
        if let agent { body["toAgentId"] = agent }
        try await post("/tickets/\(ticket)/escalate", .admin, "boss", body)
    }
    func resolve(_ agent: String, ticket: String) async throws {
        try await post("/tickets/\(ticket)/resolve", .agent, agent, ["resolutionNotes": "resuelto"])
    }
    func changeStatus(_ agent: String, ticket: String, to status: String) async throws {
        try await post("/tickets/\(ticket)/status", .agent, agent, ["status": status])
    }
    func note(_ agent: String, ticket: String, internal isInternal: Bool) async throws {
        try await post("/tickets/\(ticket)/notes", .agent, agent, ["content": "nota", "isInternal": isInternal])
    }
}

@Suite("Chat under concurrency through the API (randomized)")
struct ChatHarnessAPITests {
    @Test func everyPromiseHoldsAfterARandomDriveOverRealSockets() async throws {
        let app = try await TestApp()
        let pack = try PackLoader(root: packsRoot).load("luxfree-solar")
        let harness = try await ChatHarness.prepare(app.services, pack: pack)
        let operations = ProcessInfo.processInfo.environment["DOCKET_HARNESS_OPERATIONS"].flatMap(Int.init) ?? 25
        try await app.live { _, port in
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpMaximumConnectionsPerHost = 8
            let driver = HTTPDriver(port: port, tokens: app.tokens, tenantId: harness.tenantId, session: URLSession(configuration: configuration))
            let report = try await harness.run(seed: ChatHarness.seed, clients: 8, operations: operations, driver: driver)
            print("chat harness over HTTP: \(report)")
            #expect(report.violations.isEmpty, "\(report) — \(report.violations.prefix(20))")
            #expect(report.refusals["internal_error"] == nil, "\(report)")
            #expect(report.checks >= 20)
        }
    }
}
