import DocketCore
import Foundation
import HTTPTypes
import Hummingbird

/// Requires a credential for an existing tenant and puts the caller into the context: an
/// `Authorization: Bearer` token or `X-Api-Key`, or the console's session cookie (see
/// `SessionCookie`: writes need the CSRF header; the token is renewed while it is used).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = DocketRequestContext
    let tokens: TokenAuthority
    let services: DocketServices
    let accounts: AccountService
    let console: ConsoleSettings

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let principal: Principal
        var renewal: String?
        if let credential = try Self.credential(request.headers) {
            principal = try await authenticate(credential)
        } else if let token = SessionCookie.token(request.headers) {
            let verified = try await verifiedSession(token)
            if SessionCookie.isWrite(request.method) { try SessionCookie.checkSameOrigin(request) }
            principal = verified.principal
            renewal = try await renewedToken(verified)
        } else {
            throw DocketError(.unauthorized, "a bearer token, an API key or a console session is required")
        }
        // The assistant's keys open the assistant routes and nothing else.
        if principal.role == .assistant, !request.uri.path.hasPrefix("/api/v2/assistant/") {
            throw DocketError.forbidden("an assistant key reaches only /api/v2/assistant")
        }
        context.principal = principal
        context.logger[metadataKey: "tenant.id"] = .string(principal.tenantId)
        var response = try await next(request, context)
        if let renewal {
            response.headers.append(contentsOf: SessionCookie.fields(renewal, maxAge: console.sessionIdle, secure: SessionCookie.secure(request)))
        }
        return response
    }

    /// The `X-Api-Key` or `Authorization: Bearer` credential, nil when neither is sent.
    /// Read on every request: no Foundation trimming or lowercasing (1.5 % of a create's CPU).
    static func credential(_ headers: HTTPFields) throws -> String? {
        if let key = headers[apiKeyField] { return key.trimmingWhitespace() }
        guard let header = headers[.authorization] else { return nil }
        let value = header.trimmingWhitespace()
        guard let space = value.utf8.firstIndex(of: UInt8(ascii: " ")),
              value[..<space].utf8.elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }),
              case let token = value[space...].trimmingWhitespace(), !token.isEmpty
        else {
            throw DocketError(.unauthorized, "the Authorization header must be 'Bearer <token>'")
        }
        return token
    }

    private static let apiKeyField = HTTPField.Name("X-Api-Key")!

    /// Who a request is, by header or (for a WebSocket upgrade from the console) by cookie; nil
    /// when it carries neither. A cookie must come from this server's own pages (`Origin`).
    func authenticate(_ request: Request) async throws -> Principal? {
        if let credential = try Self.credential(request.headers) { return try await authenticate(credential) }
        guard let token = SessionCookie.token(request.headers) else { return nil }
        try SessionCookie.checkSameOrigin(request, requireHeader: false)
        return try await verifiedSession(token).principal
    }

    /// Who a bearer token or API key belongs to; a token for a tenant this server does not
    /// hold proves nothing here, nor one whose console session has ended.
    func authenticate(_ credential: String) async throws -> Principal {
        if credential.hasPrefix(ApiKeyFormat.prefix) {
            let principal = try await apiKeyPrincipal(credential)
            try await requireTenant(principal)
            return principal
        }
        return try await verifiedSession(credential).principal
    }

    /// A verified token whose session (if it names one) is still live, for a known tenant.
    func verifiedSession(_ token: String) async throws -> TokenAuthority.Verified {
        let verified = try await tokens.verified(token)
        if let id = verified.session {
            guard let session = try await accounts.liveSession(id: id), session.principal == verified.principal else {
                throw DocketError(.unauthorized, "the session has ended: sign in again")
            }
        }
        try await requireTenant(verified.principal)
        return verified
    }

    func requireTenant(_ principal: Principal) async throws {
        guard try await services.tenants.tenant(id: principal.tenantId) != nil else {
            throw DocketError(.unauthorized, "unknown tenant '\(principal.tenantId)'")
        }
    }

    /// A fresh cookie token once half of the current one's life is gone (the session is renewed
    /// in the store too); nil while the current one is young.
    func renewedToken(_ verified: TokenAuthority.Verified) async throws -> String? {
        guard let id = verified.session else { return nil }
        let now = Date()
        guard verified.expiresAt.timeIntervalSince(now) < console.sessionIdle / 2,
            let session = try await accounts.liveSession(id: id), try await accounts.renew(session)
        else { return nil }
        return try await tokens.issue(verified.principal, ttl: console.sessionIdle, now: now, session: id)
    }

    func apiKeyPrincipal(_ text: String) async throws -> Principal {
        guard let parts = ApiKeyFormat.parse(text), let key = try await services.tenants.liveApiKey(id: parts.id),
            ApiKeyFormat.matches(ApiKeyFormat.hash(parts.secret), key.secretHash)
        else { throw DocketError(.unauthorized, "the API key is not valid (unknown, revoked or mistyped)") }
        return Principal(tenantId: key.tenantId, role: key.role, subject: "key:\(key.id)")
    }
}
