import DocketCore
import Hummingbird

/// Requires `Authorization: Bearer <token>` for an existing tenant and puts the caller into the context.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = DocketRequestContext
    let tokens: TokenAuthority
    let service: TicketService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw DocketError(.unauthorized, "a bearer token is required")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw DocketError(.unauthorized, "the Authorization header must be 'Bearer <token>'")
        }
        var context = context
        let principal = try await tokens.verify(String(parts[1]).trimmingCharacters(in: .whitespaces))
        // A token for a tenant this server does not hold proves nothing here.
        guard try await service.tenant(id: principal.tenantId) != nil else {
            throw DocketError(.unauthorized, "unknown tenant '\(principal.tenantId)'")
        }
        context.principal = principal
        context.logger[metadataKey: "tenant.id"] = .string(principal.tenantId)
        return try await next(request, context)
    }
}
