import DocketCore
import Hummingbird

/// Requires `Authorization: Bearer <token>` for an existing tenant and puts the caller into the context.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = DocketRequestContext
    let tokens: TokenAuthority
    let service: TicketService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let credential: String
        if let key = request.headers[.init("X-Api-Key")!] {
            credential = key.trimmingCharacters(in: .whitespaces)
        } else if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw DocketError(.unauthorized, "the Authorization header must be 'Bearer <token>'")
            }
            credential = String(parts[1]).trimmingCharacters(in: .whitespaces)
        } else {
            throw DocketError(.unauthorized, "a bearer token or an API key is required")
        }
        var context = context
        let principal: Principal
        if credential.hasPrefix(ApiKeyFormat.prefix) {
            principal = try await apiKeyPrincipal(credential)
        } else {
            principal = try await tokens.verify(credential)
        }
        // A token for a tenant this server does not hold proves nothing here.
        guard try await service.tenant(id: principal.tenantId) != nil else {
            throw DocketError(.unauthorized, "unknown tenant '\(principal.tenantId)'")
        }
        // The assistant's keys open the assistant routes and nothing else.
        if principal.role == .assistant, !request.uri.path.hasPrefix("/api/v2/assistant/") {
            throw DocketError.forbidden("an assistant key reaches only /api/v2/assistant")
        }
        context.principal = principal
        context.logger[metadataKey: "tenant.id"] = .string(principal.tenantId)
        return try await next(request, context)
    }

    func apiKeyPrincipal(_ text: String) async throws -> Principal {
        guard let parts = ApiKeyFormat.parse(text), let key = try await service.liveApiKey(id: parts.id),
            ApiKeyFormat.matches(ApiKeyFormat.hash(parts.secret), key.secretHash)
        else { throw DocketError(.unauthorized, "the API key is not valid (unknown, revoked or mistyped)") }
        return Principal(tenantId: key.tenantId, role: key.role, subject: "key:\(key.id)")
    }
}
