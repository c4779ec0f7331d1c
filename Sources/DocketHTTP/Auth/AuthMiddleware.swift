import DocketCore
import HTTPTypes
import Hummingbird

/// Requires `Authorization: Bearer <token>` for an existing tenant and puts the caller into the context.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = DocketRequestContext
    let tokens: TokenAuthority
    let services: DocketServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let credential = try Self.credential(request.headers) else {
            throw DocketError(.unauthorized, "a bearer token or an API key is required")
        }
        var context = context
        let principal = try await authenticate(credential)
        // The assistant's keys open the assistant routes and nothing else.
        if principal.role == .assistant, !request.uri.path.hasPrefix("/api/v2/assistant/") {
            throw DocketError.forbidden("an assistant key reaches only /api/v2/assistant")
        }
        context.principal = principal
        context.logger[metadataKey: "tenant.id"] = .string(principal.tenantId)
        return try await next(request, context)
    }

    /// The `X-Api-Key` or `Authorization: Bearer` credential, nil when neither is sent.
    static func credential(_ headers: HTTPFields) throws -> String? {
        if let key = headers[.init("X-Api-Key")!] { return key.trimmingCharacters(in: .whitespaces) }
        guard let header = headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw DocketError(.unauthorized, "the Authorization header must be 'Bearer <token>'")
        }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// Who a bearer token or API key belongs to; a token for a tenant this server does not
    /// hold proves nothing here.
    func authenticate(_ credential: String) async throws -> Principal {
        let principal = credential.hasPrefix(ApiKeyFormat.prefix) ? try await apiKeyPrincipal(credential) : try await tokens.verify(credential)
        guard try await services.tenants.tenant(id: principal.tenantId) != nil else {
            throw DocketError(.unauthorized, "unknown tenant '\(principal.tenantId)'")
        }
        return principal
    }

    func apiKeyPrincipal(_ text: String) async throws -> Principal {
        guard let parts = ApiKeyFormat.parse(text), let key = try await services.tenants.liveApiKey(id: parts.id),
            ApiKeyFormat.matches(ApiKeyFormat.hash(parts.secret), key.secretHash)
        else { throw DocketError(.unauthorized, "the API key is not valid (unknown, revoked or mistyped)") }
        return Principal(tenantId: key.tenantId, role: key.role, subject: "key:\(key.id)")
    }
}
