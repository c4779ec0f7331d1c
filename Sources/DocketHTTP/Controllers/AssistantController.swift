import DocketCore
import Foundation
import Hummingbird

/// `/api/v2/assistant`: tool definitions and tool calls for an AI assistant; `/api/v2/api-keys`
/// for the keys integrations use.
struct AssistantController: Sendable {
    let services: DocketServices
    let limits: HTTPLimits

    func register(_ routes: RouteRegistry) {
        routes.add(Endpoint(
            method: .get, path: "/api/v2/assistant/tools",
            summary: "The tenant's tool definitions (OpenAI function calling), generated from its categories, terminology and ID format",
            tag: "Assistant", access: "assistant key, agent, admin", success: (200, "AssistantTools"), errors: [403]), use: tools)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/assistant/tool-calls",
            summary: "Run the tool calls of one assistant run for the customer with this phone number; business failures are outputs",
            tag: "Assistant", access: "assistant key", body: "AssistantToolCallRequest", success: (200, "AssistantToolOutputs"),
            errors: [400, 403, 413, 415]), use: callTool)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/reports/sla",
            summary: "SLA compliance per target, priority, category and agent, and first-response and resolution times in business time, over tickets created in a range",
            tag: "Reports", access: "agent, admin",
            query: [
                .date("from", "ISO 8601 date or date-time; default 30 days before `to`"),
                .date("to", "ISO 8601 date or date-time (a date: the end of that day); default now"),
            ],
            success: (200, "SLAReport"), errors: [400, 403]), use: slaReport)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/api-keys", summary: "Create an API key (the full key is in this answer only)",
            tag: "API keys", access: "admin", body: "NewApiKey", success: (201, "CreatedApiKey"), errors: [400, 403, 413, 415, 422]), use: createApiKey)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/api-keys", summary: "The tenant's API keys (never their secrets)", tag: "API keys",
            access: "admin", success: (200, "ApiKeyList"), errors: [403]), use: listApiKeys)

        routes.add(Endpoint(
            method: .delete, path: "/api/v2/api-keys/:id", summary: "Revoke an API key at once", tag: "API keys", access: "admin",
            success: (204, nil), errors: [403, 404]), use: revokeApiKey)
    }

    // MARK: - Handlers

    @Sendable func tools(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try APICoding.response(AssistantTools(tools: try await services.assistant.assistantTools(try context.requirePrincipal())))
    }

    @Sendable func callTool(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(AssistantToolCallRequest.self, from: request, limit: limits.maxBodyBytes)
        let outputs = try await services.assistant.assistantToolCalls(try context.requirePrincipal(), body)
        return try APICoding.response(AssistantToolOutputs(toolOutputs: outputs))
    }

    @Sendable func slaReport(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let reader = QueryReader(request)
        let to = try reader.date("to") ?? Date()
        let from = try reader.date("from") ?? to.addingTimeInterval(-30 * 86_400)
        return try APICoding.response(try await services.reports.slaReport(try context.requirePrincipal(), from: from, to: to))
    }

    @Sendable func createApiKey(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(NewApiKey.self, from: request, limit: limits.maxBodyBytes)
        let generated = ApiKeyFormat.generate()
        let key = try await services.tenants.createApiKey(
            try context.requirePrincipal(), body, id: generated.id, secretHash: generated.hash, hint: generated.hint)
        return try APICoding.response(CreatedApiKey(apiKey: ApiKeyView(key), key: generated.key), status: .created)
    }

    @Sendable func listApiKeys(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try APICoding.response(ApiKeyList(apiKeys: try await services.tenants.apiKeys(try context.requirePrincipal()).map(ApiKeyView.init)))
    }

    @Sendable func revokeApiKey(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try await services.tenants.revokeApiKey(try context.requirePrincipal(), id: try context.pathParameter("id"))
        return Response(status: .noContent)
    }
}

struct AssistantTools: Codable, Sendable { var tools: [JSONValue] }
struct AssistantToolOutputs: Codable, Sendable {
    var toolOutputs: [AssistantToolOutput]

    enum CodingKeys: String, CodingKey { case toolOutputs = "tool_outputs" }
}

/// A key as lists show it: no hash.
struct ApiKeyView: Codable, Sendable {
    var id: String
    var name: String
    var role: Role
    var hint: String
    var createdBy: String
    var createdAt: Date
    var revokedAt: Date?

    init(_ key: ApiKey) {
        id = key.id
        name = key.name
        role = key.role
        hint = key.hint
        createdBy = key.createdBy
        createdAt = key.createdAt
        revokedAt = key.revokedAt
    }
}
struct CreatedApiKey: Codable, Sendable {
    var apiKey: ApiKeyView
    var key: String
}
struct ApiKeyList: Codable, Sendable { var apiKeys: [ApiKeyView] }
