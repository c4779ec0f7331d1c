import Crypto
import DocketCore
import Foundation
import HTTPTypes
import Hummingbird
import JWTKit

struct LoginRequest: Codable, Sendable {
    var tenant: String
    var email: String
    var password: String
}

struct PasswordRequest: Codable, Sendable {
    var token: String
    var password: String
}

struct CustomerSessionRequest: Codable, Sendable {
    var tenant: String
    var token: String
}

struct SessionUser: Codable, Sendable {
    var tenantId: String
    var role: Role
    var subject: String
    var name: String
    var email: String?
}

struct SessionEnvelope: Codable, Sendable {
    var user: SessionUser
    var expiresAt: Date
    /// The session's bearer token: only for the customer chat page and `refresh` (cookie
    /// sessions never see their token).
    var token: String?
}

struct PasswordLinkEnvelope: Codable, Sendable {
    struct Link: Codable, Sendable {
        /// Shown only when the link was not mailed to the agent.
        var url: String?
        var purpose: PasswordLink.Purpose
        var agentId: String
        var email: String
        var expiresAt: Date
        /// The address the link was mailed to (then `url` is left out).
        var mailedTo: String?
        /// Why mailing it failed (then `url` is shown to pass on).
        var mailError: String?
    }
    var link: Link
}

struct WidgetSecretEnvelope: Codable, Sendable {
    var secret: String
}

struct WidgetStatusEnvelope: Codable, Sendable {
    var configured: Bool
}

/// What a tenant's site signs (HS256 with its widget secret) to vouch for a customer.
struct WidgetClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var name: String?
    var email: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// `/api/v2/auth/*`: console sign-in and out, one-time password links, the widget's customer
/// sessions; and the admin's routes that make links and widget secrets.
struct AuthController: Sendable {
    let accounts: AccountService
    let tokens: TokenAuthority
    let auth: AuthMiddleware
    let console: ConsoleSettings
    let limits: HTTPLimits

    /// A widget token may live at most this long (it is exchanged at once).
    static let widgetTokenLifetime: TimeInterval = 15 * 60

    func register(_ routes: RouteRegistry) {
        routes.add(Endpoint(
            method: .post, path: "/api/v2/auth/login",
            summary: "Sign in to the console: sets the HttpOnly session cookie (send X-Docket-CSRF: 1)", tag: "Auth",
            access: "anyone", body: "LoginRequest", success: (200, "SessionEnvelope"), errors: [400, 403, 413, 415, 422, 429],
            secured: false), use: login)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/auth/logout", summary: "End the console session (cookie or session token) and clear the cookie",
            tag: "Auth", access: "anyone", success: (204, nil), errors: [403], secured: false), use: logout)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/auth/session", summary: "Who the caller is (the console asks on load; renews a cookie session)",
            tag: "Auth", access: "any role", success: (200, "SessionEnvelope")), use: session)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/auth/refresh", summary: "A fresh session token for a bearer session (the customer chat page)",
            tag: "Auth", access: "a session token", success: (200, "SessionEnvelope"), errors: [400]), use: refresh)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/auth/password",
            summary: "Choose a password with a one-time link (invitation or reset); signs in with the cookie", tag: "Auth", access: "anyone",
            body: "PasswordRequest", success: (200, "SessionEnvelope"), errors: [400, 403, 404, 413, 415, 422], secured: false), use: setPassword)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/agents/:id/password-link",
            summary: "A one-time link for the agent to choose a password (invitation, or reset): mailed to the agent when the tenant sends mail, else shown only here", tag: "Agents",
            access: "admin", success: (201, "PasswordLinkEnvelope"), errors: [403, 404, 409, 422]), use: passwordLink)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/config/widget", summary: "Whether the tenant has a widget secret", tag: "Config", access: "admin",
            success: (200, "WidgetStatus"), errors: [403]), use: widgetStatus)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/config/widget-secret",
            summary: "Make a new widget secret (the old one stops working): shown only here", tag: "Config", access: "admin",
            success: (201, "WidgetSecret"), errors: [403]), use: rotateWidgetSecret)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/auth/customer",
            summary: "Exchange a token the tenant's site signed with its widget secret for a customer session token", tag: "Auth",
            access: "anyone with a signed widget token", body: "CustomerSessionRequest", success: (200, "SessionEnvelope"),
            errors: [400, 401, 413, 415, 422, 429], secured: false), use: customerSession)
    }

    // MARK: - Handlers

    @Sendable func login(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try SessionCookie.checkSameOrigin(request)
        let input = try await APICoding.decode(LoginRequest.self, from: request, limit: limits.maxBodyBytes)
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        let signedIn = try await self.accounts.login(
            tenantId: input.tenant, email: input.email, password: input.password, address: address)
        return try await self.startCookieSession(signedIn, request: request)
    }

    @Sendable func logout(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        var token = try AuthMiddleware.credential(request.headers)
        if token == nil, let cookie = SessionCookie.token(request.headers) {
            try SessionCookie.checkSameOrigin(request)
            token = cookie
        }
        if let token, let verified = try? await self.tokens.verified(token), let id = verified.session {
            try await self.accounts.logout(sessionId: id)
        }
        return Response(status: .noContent, headers: HTTPFields(SessionCookie.fields(nil, maxAge: 0, secure: SessionCookie.secure(request))))
    }

    @Sendable func session(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return try APICoding.response(SessionEnvelope(
            user: try await self.user(principal), expiresAt: Date().addingTimeInterval(self.console.sessionIdle)))
    }

    @Sendable func refresh(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let credential = try AuthMiddleware.credential(request.headers), let verified = try? await self.tokens.verified(credential),
            let id = verified.session, let session = try await self.accounts.liveSession(id: id)
        else { throw DocketError(.badRequest, "only a session token (from /api/v2/auth/customer) is refreshed; cookies renew themselves") }
        _ = try await self.accounts.renew(session)
        let now = Date()
        let token = try await self.tokens.issue(principal, ttl: self.console.sessionIdle, now: now, session: id)
        return try APICoding.response(SessionEnvelope(
            user: try await self.user(principal), expiresAt: now.addingTimeInterval(self.console.sessionIdle), token: token))
    }

    @Sendable func setPassword(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try SessionCookie.checkSameOrigin(request)
        let input = try await APICoding.decode(PasswordRequest.self, from: request, limit: limits.maxBodyBytes)
        let signedIn = try await self.accounts.usePasswordLink(id: ApiKeyFormat.hash(input.token), password: input.password)
        return try await self.startCookieSession(signedIn, request: request)
    }

    @Sendable func passwordLink(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let secret = Self.randomSecret()
        let link = try await self.accounts.createPasswordLink(
            try context.requirePrincipal(), agentId: try context.pathParameter("id"), id: ApiKeyFormat.hash(secret))
        let scheme = SessionCookie.secure(request) ? "https" : "http"
        let host = request.head.authority ?? "127.0.0.1:8080"
        let url = "\(scheme)://\(host)/#/password/\(secret)"
        var shown = PasswordLinkEnvelope.Link(url: url, purpose: link.purpose, agentId: link.agentId, email: link.email, expiresAt: link.expiresAt)
        switch try await self.accounts.mailPasswordLink(link, url: url) {
        case .notMailed: break
        case .mailed:
            shown.url = nil
            shown.mailedTo = link.email
        case .failed(let reason): shown.mailError = reason
        }
        return try APICoding.response(PasswordLinkEnvelope(link: shown), status: .created)
    }

    @Sendable func widgetStatus(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard principal.role.isAdmin else { throw DocketError.forbidden("this operation is for admins") }
        return try APICoding.response(WidgetStatusEnvelope(configured: try await self.accounts.widgetSecret(tenantId: principal.tenantId) != nil))
    }

    @Sendable func rotateWidgetSecret(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let secret = Self.randomSecret()
        try await self.accounts.setWidgetSecret(try context.requirePrincipal(), secret: secret)
        return try APICoding.response(WidgetSecretEnvelope(secret: secret), status: .created)
    }

    @Sendable func customerSession(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let input = try await APICoding.decode(CustomerSessionRequest.self, from: request, limit: limits.maxBodyBytes)
        let claims = try await self.widgetClaims(input)
        let signedIn = try await self.accounts.customerSession(
            tenantId: input.tenant, customerId: claims.sub.value, name: claims.name, email: claims.email)
        let now = Date()
        let token = try await self.tokens.issue(signedIn.principal, ttl: self.console.sessionIdle, now: now, session: signedIn.session.id)
        return try APICoding.response(SessionEnvelope(user: Self.user(signedIn), expiresAt: now.addingTimeInterval(self.console.sessionIdle), token: token))
    }

    func widgetClaims(_ input: CustomerSessionRequest) async throws -> WidgetClaims {
        let refused = DocketError(.unauthorized, "the widget token is not valid for this tenant (signature, expiry or claims)")
        guard let secret = try await accounts.widgetSecret(tenantId: input.tenant) else { throw refused }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256)
        let claims: WidgetClaims
        do { claims = try await keys.verify(input.token, as: WidgetClaims.self) } catch { throw refused }
        guard claims.exp.value.timeIntervalSinceNow <= Self.widgetTokenLifetime + 60 else {
            throw DocketError(.unauthorized, "the widget token lives too long: its exp must be at most 15 minutes ahead")
        }
        return claims
    }

    func startCookieSession(_ signedIn: AccountService.SignedIn, request: Request) async throws -> Response {
        let now = Date()
        let token = try await tokens.issue(signedIn.principal, ttl: console.sessionIdle, now: now, session: signedIn.session.id)
        var response = try APICoding.response(SessionEnvelope(user: Self.user(signedIn), expiresAt: now.addingTimeInterval(console.sessionIdle)))
        response.headers.append(contentsOf: SessionCookie.fields(token, maxAge: console.sessionIdle, secure: SessionCookie.secure(request)))
        return response
    }

    static func user(_ signedIn: AccountService.SignedIn) -> SessionUser {
        user(signedIn.principal, name: signedIn.name, email: signedIn.email)
    }

    static func user(_ principal: Principal, name: String, email: String?) -> SessionUser {
        SessionUser(tenantId: principal.tenantId, role: principal.role, subject: principal.subject, name: name, email: email)
    }

    /// Who the caller is, with the name the console shows.
    func user(_ principal: Principal) async throws -> SessionUser {
        let described = try await accounts.describe(principal)
        return Self.user(principal, name: described.name, email: described.email)
    }

    /// 32 random bytes as hex.
    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
