import DocketCore
import DocketHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import NIOCore
import Testing

/// The console's sign-in at the HTTP level: throttled logins, the cookie and its CSRF rule,
/// logout, one-time links, widget customers, and the console's files.
@Suite("Console sign-in and files")
struct ConsoleAuthTests {
    static let password = "correct horse battery"

    func withUser(_ body: @Sendable (TestApp, any TestClientProtocol) async throws -> Void) async throws {
        let app = try await TestApp()
        _ = try await app.system.accounts.createUser(
            tenantId: "default", email: "Ana@LuxFree.mx", name: "Ana López", role: .agent, agentId: "ana", password: Self.password)
        try await app.test { client in try await body(app, client) }
    }

    func login(_ client: any TestClientProtocol, email: String = "ana@luxfree.mx", password: String = Self.password, csrf: Bool = true)
        async throws -> Reply
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if csrf { headers[SessionCookieName.csrf] = "1" }
        let body = try JSONSerialization.data(withJSONObject: ["tenant": "default", "email": email, "password": password])
        return try await client.execute(uri: "/api/v2/auth/login", method: .post, headers: headers, body: ByteBuffer(bytes: body)) {
            Reply(status: $0.status, headers: $0.headers, body: Data(buffer: $0.body))
        }
    }

    /// The session cookie a reply sets (name=value), nil if none.
    func cookie(_ reply: Reply) -> String? {
        reply.headers[values: .setCookie].first { $0.hasPrefix("docket_session=") }.map { String($0.split(separator: ";")[0]) }
    }

    func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, cookie: String?, csrf: Bool = true, origin: String? = nil,
        json: Any? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let cookie { headers[.cookie] = cookie }
        if csrf { headers[SessionCookieName.csrf] = "1" }
        if let origin { headers[.origin] = origin }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) {
            Reply(status: $0.status, headers: $0.headers, body: Data(buffer: $0.body))
        }
    }

    @Test func aPasswordSignsInWithAnHttpOnlyStrictCookieAndTheEmailIgnoresCase() async throws {
        try await withUser { _, client in
            let reply = try await login(client, email: "ANA@luxfree.MX")
            #expect(reply.status == .ok)
            let setCookie = try #require(reply.headers[values: .setCookie].first { $0.hasPrefix("docket_session=") })
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
            #expect(!setCookie.contains("Secure"), "plain HTTP: no Secure flag")
            let user = try #require(try reply.json()["user"] as? [String: Any])
            #expect(user["subject"] as? String == "ana" && user["role"] as? String == "agent" && user["name"] as? String == "Ana López")
            #expect(String(decoding: reply.body, as: UTF8.self).contains("token") == false, "a cookie session never sees its token")
            let session = try await send(client, .get, "/api/v2/auth/session", cookie: cookie(reply), csrf: false)
            #expect(session.status == .ok)
            let mine = try await send(client, .get, "/api/v2/tickets/mine", cookie: cookie(reply), csrf: false)
            #expect(mine.status == .ok, "reads need no CSRF header")
        }
    }

    @Test func wrongPasswordsAreSlowedThenRefusedAndNeverSayWhetherTheEmailExists() async throws {
        try await withUser { _, client in
            let unknown = try await login(client, email: "nobody@luxfree.mx", password: "whatever123")
            let wrong = try await login(client, password: "wrong password")
            #expect(unknown.status == .unauthorized && wrong.status == .unauthorized)
            #expect(try unknown.json()["error"] as? NSDictionary == wrong.json()["error"] as? NSDictionary, "the same answer for both")
            #expect(try await login(client, password: "wrong password").status == .unauthorized)
            #expect(try await login(client, password: "wrong password").status == .unauthorized)
            // Three failures in a row lock the account, for longer after each further failure.
            let locked = try await login(client, password: "wrong password")
            #expect(locked.status == .tooManyRequests)
            #expect(locked.errorCode == "too_many_requests")
            #expect(Int(locked.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // Even the right password waits out the lock: the lock is decided before the password is checked.
            #expect(try await login(client).status == .tooManyRequests)
        }
    }

    @Test func aCookieCannotWriteWithoutTheCsrfHeaderNorFromAnotherOrigin() async throws {
        try await withUser { app, client in
            let session = try #require(cookie(try await login(client)))
            let ticketId = try await app.openTicket(client, token: try await app.token(.customer, "cust1"))
            let bare = try await send(client, .post, "/api/v2/tickets/\(ticketId)/claim", cookie: session, csrf: false)
            #expect(bare.status == .forbidden)
            #expect(String(decoding: bare.body, as: UTF8.self).contains("X-Docket-CSRF"))
            let foreign = try await send(client, .post, "/api/v2/tickets/\(ticketId)/claim", cookie: session, origin: "https://evil.example")
            #expect(foreign.status == .forbidden)
            let claimed = try await send(client, .post, "/api/v2/tickets/\(ticketId)/claim", cookie: session)
            #expect(claimed.status == .ok)
            // The login itself needs the header (no signing someone in from another site), and
            // it is refused before the body is read.
            #expect(try await login(client, csrf: false).status == .forbidden)
        }
    }

    @Test func logoutEndsTheSessionEverywhereItsTokenWasCopied() async throws {
        try await withUser { _, client in
            let session = try #require(cookie(try await login(client)))
            let out = try await send(client, .post, "/api/v2/auth/logout", cookie: session)
            #expect(out.status == .noContent)
            #expect(out.headers[values: .setCookie].contains { $0.hasPrefix("docket_session=;") && $0.contains("Max-Age=0") })
            let after = try await send(client, .get, "/api/v2/tickets/mine", cookie: session, csrf: false)
            #expect(after.status == .unauthorized)
            #expect(String(decoding: after.body, as: UTF8.self).contains("session has ended"))
            // The same token as a bearer is worthless too.
            let token = String(session.dropFirst("docket_session=".count))
            #expect(try await client.call(.get, "/api/v2/tickets/mine", token: token).status == .unauthorized)
        }
    }

    @Test func aCookieIsRenewedOnceHalfItsLifeIsGone() async throws {
        try await withUser { app, client in
            let reply = try await login(client)
            let user = try #require(try reply.json()["user"] as? [String: Any])
            _ = user
            let fresh = try #require(cookie(reply))
            let young = try await send(client, .get, "/api/v2/auth/session", cookie: fresh, csrf: false)
            #expect(!young.headers[values: .setCookie].contains { $0.hasPrefix("docket_session=") }, "a young token is not renewed")
            // A token of the same session issued long ago (under 1/2 of its life left).
            let verified = try await app.tokens.verified(String(fresh.dropFirst("docket_session=".count)))
            let idle = app.system.configuration.http.console.sessionIdle
            let old = try await app.tokens.issue(verified.principal, ttl: idle, now: Date().addingTimeInterval(-idle * 0.75), session: verified.session)
            let renewed = try await send(client, .get, "/api/v2/auth/session", cookie: "docket_session=\(old)", csrf: false)
            #expect(renewed.status == .ok)
            #expect(renewed.headers[values: .setCookie].contains { $0.hasPrefix("docket_session=ey") && $0.contains("HttpOnly") })
        }
    }

    @Test func aOneTimeLinkSetsAPasswordOnceAndEndsOtherSessions() async throws {
        try await withUser { app, client in
            let admin = try await app.token(.admin, "boss")
            try await client.succeed(.post, "/api/v2/agents", token: admin, json: ["id": "beto", "name": "Beto", "email": "beto@luxfree.mx"])
            let made = try await client.call(.post, "/api/v2/agents/beto/password-link", token: admin)
            #expect(made.status == .created)
            let link = try #require(try made.json()["link"] as? [String: Any])
            #expect(link["purpose"] as? String == "invite")
            let url = try #require(link["url"] as? String)
            let secret = String(try #require(url.split(separator: "/").last))
            #expect(try await client.call(.post, "/api/v2/agents/beto/password-link", token: try await app.token(.agent, "ana")).status == .forbidden)
            let short = try await send(client, .post, "/api/v2/auth/password", cookie: nil, json: ["token": secret, "password": "short"])
            #expect(short.status == .unprocessableContent, "a too-short password does not spend the link")
            let used = try await send(client, .post, "/api/v2/auth/password", cookie: nil, json: ["token": secret, "password": "beto's long password"])
            #expect(used.status == .ok)
            #expect(cookie(used) != nil)
            let again = try await send(client, .post, "/api/v2/auth/password", cookie: nil, json: ["token": secret, "password": "another long password"])
            #expect(again.status == .notFound)
            #expect(try await login(client, email: "beto@luxfree.mx", password: "beto's long password").status == .ok)
            // A reset link for Ana ends her open session once used.
            let anaSession = try #require(cookie(try await login(client)))
            let reset = try #require(try await client.call(.post, "/api/v2/agents/ana/password-link", token: admin).json()["link"] as? [String: Any])
            #expect(reset["purpose"] as? String == "reset")
            let resetSecret = String(try #require((reset["url"] as? String)?.split(separator: "/").last))
            #expect(try await send(client, .post, "/api/v2/auth/password", cookie: nil, json: ["token": resetSecret, "password": "ana's new password"]).status == .ok)
            #expect(try await send(client, .get, "/api/v2/tickets/mine", cookie: anaSession, csrf: false).status == .unauthorized)
        }
    }

    func widgetToken(_ secret: String, customer: String, lifetime: TimeInterval = 300, name: String = "Carla Méndez") async throws -> String {
        struct Claims: JWTPayload {
            var sub: SubjectClaim
            var exp: ExpirationClaim
            var name: String?
            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256)
        return try await keys.sign(Claims(sub: .init(value: customer), exp: .init(value: Date().addingTimeInterval(lifetime)), name: name))
    }

    @Test func aWidgetVouchedCustomerGetsACustomerSessionThatCannotReachStaffRoutes() async throws {
        try await withUser { app, client in
            let admin = try await app.token(.admin, "boss")
            let secret = try #require(try await client.succeed(.post, "/api/v2/config/widget-secret", token: admin).json()["secret"] as? String)
            let good = try await widgetToken(secret, customer: "carla")
            let reply = try await client.call(.post, "/api/v2/auth/customer", json: ["tenant": "default", "token": good])
            #expect(reply.status == .ok)
            let session = try #require(try reply.json()["token"] as? String)
            #expect(try await client.call(.get, "/api/v2/tickets/pending", token: session).status == .forbidden)
            #expect(try await client.call(.get, "/api/v2/agents", token: session).status == .forbidden)
            #expect(try await client.call(.post, "/api/v2/messages", token: session, json: ["content": "Hola"]).status == .created)
            let customer = try await client.call(.get, "/api/v2/customers/carla", token: session)
            #expect((try customer.json()["customer"] as? [String: Any])?["firstName"] as? String == "Carla")
            // Signed with another secret, for another tenant, or living too long: refused.
            let forged = try await widgetToken("not the tenant's secret at all, really", customer: "carla")
            #expect(try await client.call(.post, "/api/v2/auth/customer", json: ["tenant": "default", "token": forged]).status == .unauthorized)
            #expect(try await client.call(.post, "/api/v2/auth/customer", json: ["tenant": "acme", "token": good]).status == .unauthorized)
            let long = try await widgetToken(secret, customer: "carla", lifetime: 86_400)
            #expect(try await client.call(.post, "/api/v2/auth/customer", json: ["tenant": "default", "token": long]).status == .unauthorized)
            // A name the site vouches for is never refused for its length: it is shortened.
            let titled = "Excelentísima Señora Doña María de los Ángeles " + String(repeating: "Fernández ", count: 20) + "y Castillo"
            let named = try await widgetToken(secret, customer: "maria", name: titled)
            let signedIn = try await client.call(.post, "/api/v2/auth/customer", json: ["tenant": "default", "token": named])
            #expect(signedIn.status == .ok, "\(String(decoding: signedIn.body, as: UTF8.self))")
            let maria = try await client.call(.get, "/api/v2/customers/maria", token: admin)
            let stored = try #require(try maria.json()["customer"] as? [String: Any])
            #expect(stored["firstName"] as? String == "Excelentísima")
            #expect((stored["lastName"] as? String)?.count ?? 0 <= 100)
            #expect((stored["lastName"] as? String)?.hasPrefix("Señora Doña María") == true)
            // A new secret retires the old one.
            try await client.succeed(.post, "/api/v2/config/widget-secret", token: admin)
            #expect(try await client.call(.post, "/api/v2/auth/customer", json: ["tenant": "default", "token": good]).status == .unauthorized)
        }
    }

    @Test func anAdminChangesAnAgentAndADeactivatedOneCannotSignInNorBeAssigned() async throws {
        try await withUser { app, client in
            let admin = try await app.token(.admin, "boss")
            let session = try #require(cookie(try await login(client)))
            #expect(try await client.call(.patch, "/api/v2/agents/ana", token: try await app.token(.agent, "ana"), json: ["capacity": 3]).status == .forbidden)
            var reply = try await client.call(.patch, "/api/v2/agents/ana", token: admin, json: ["skills": ["Billing", "solar"], "capacity": 3])
            #expect(reply.status == .ok)
            var agent = try #require(try reply.json()["agent"] as? [String: Any])
            #expect(agent["skills"] as? [String] == ["billing", "solar"] && agent["capacity"] as? Int == 3)
            #expect(try await client.call(.patch, "/api/v2/agents/ana", token: admin, json: ["capacity": 0]).status == .unprocessableContent)

            reply = try await client.call(.patch, "/api/v2/agents/ana", token: admin, json: ["active": false])
            agent = try #require(try reply.json()["agent"] as? [String: Any])
            #expect(agent["active"] as? Bool == false)
            #expect(try await send(client, .get, "/api/v2/tickets/mine", cookie: session, csrf: false).status == .unauthorized, "her session ended")
            let refused = try await login(client)
            #expect(refused.status == .unauthorized)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("deactivated"))
            let ticketId = try await app.openTicket(client, token: try await app.token(.customer, "cust1"))
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/assign", token: admin, json: ["agentId": "ana"])
            #expect(reply.status == .unprocessableContent && String(decoding: reply.body, as: UTF8.self).contains("deactivated"))

            // Routing passes her by: the billing rule assigns the least loaded agent, and she is the only one.
            let customer = try await app.token(.customer, "cust1")
            let skipped = try await client.call(.post, "/api/v2/tickets", token: customer, json: ["subject": "Cobro doble en mi factura", "description": "Me cobraron dos veces el recibo"])
            #expect(skipped.ticket?["queue"] as? String == "billing")
            #expect(skipped.ticket?["assignedAgent"] == nil, "no routing to a deactivated agent")

            try await client.succeed(.patch, "/api/v2/agents/ana", token: admin, json: ["active": true])
            #expect(try await login(client).status == .ok)
            await app.online(["ana"])  // back at her desk
            let routed = try await client.call(.post, "/api/v2/tickets", token: customer, json: ["subject": "Otra factura mal", "description": "El recibo viene duplicado"])
            #expect(routed.ticket?["assignedAgent"] as? String == "ana", "active again, she is routed to")
            try await client.succeed(.post, "/api/v2/tickets/\(ticketId)/assign", token: admin, json: ["agentId": "ana"])
        }
    }

    @Test func theConsoleIsServedWithItsPolicyAnEtagAndGzip() async throws {
        try await withUser { _, client in
            let page = try await client.execute(uri: "/", method: .get, headers: [.acceptEncoding: "gzip, br"]) { $0 }
            #expect(page.status == .ok)
            #expect(page.headers[.contentEncoding] == "gzip")
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline") && policy.contains("frame-ancestors 'none'"))
            let etag = try #require(page.headers[.eTag])
            let again = try await client.execute(uri: "/", method: .get, headers: [.ifNoneMatch: etag]) { $0 }
            #expect(again.status == .notModified)
            let script = try await client.execute(uri: "/js/staff.js", method: .get) { $0 }
            #expect(script.status == .ok && script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(script.headers[.contentEncoding] == nil, "no gzip unless asked")
            let chat = try await client.execute(uri: "/chat", method: .get) { $0 }
            #expect(chat.headers[.contentSecurityPolicy]?.contains("frame-ancestors *") == true, "the chat page may be framed by the tenant's site")
            #expect(try await client.execute(uri: "/nothing.js", method: .get) { $0.status } == .notFound)
            #expect(try await client.execute(uri: "/../Package.swift", method: .get) { $0.status } == .notFound)
        }
    }
}

enum SessionCookieName {
    static let csrf = HTTPField.Name("X-Docket-CSRF")!
}

@Suite("Token verification cache")
struct TokenCacheTests {
    @Test func aCachedTokenStillExpiresOnTime() async throws {
        let tokens = try await TokenAuthority(secret: Array("a-secret-of-at-least-thirty-two-bytes!".utf8))
        let token = try await tokens.issue(Principal(tenantId: "t", role: .agent, subject: "ana"), ttl: 1)
        #expect(try await tokens.verified(token).principal.subject == "ana")
        #expect(try await tokens.verified(token).principal.subject == "ana", "the second check is the cached one")
        try await Task.sleep(for: .milliseconds(1_100))
        await #expect(throws: DocketError.self) { try await tokens.verified(token) }
        await #expect(throws: DocketError.self) { try await tokens.verified(token + "x") }
    }
}
