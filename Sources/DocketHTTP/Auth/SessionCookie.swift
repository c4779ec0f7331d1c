import DocketCore
import Foundation
import HTTPTypes
import Hummingbird

/// The console's session cookie and the rules for writes made with it.
///
/// The cookie (`docket_session`) holds a short-lived token naming the session; it is HttpOnly
/// (page scripts cannot read it), SameSite=Strict (other sites' pages never send it) and Secure
/// when the request came over TLS (`X-Forwarded-Proto: https` from a proxy). A write
/// authenticated by the cookie must also carry `X-Docket-CSRF: 1`: a page of another origin
/// cannot add that header without a CORS preflight, which this server never grants. When the
/// browser sends `Origin`, it must be this server's own.
enum SessionCookie {
    static let name = "docket_session"
    /// A companion cookie pages may read (it holds no secret): it tells the console a session
    /// cookie is there, so a signed-out page does not ask the server and get a 401.
    static let hint = "docket_signed_in"
    static let csrfHeader = HTTPField.Name("X-Docket-CSRF")!

    /// The cookie's token, if the request carries one.
    static func token(_ headers: HTTPFields) -> String? {
        for field in headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingWhitespace() == name {
                    let value = parts[1].trimmingWhitespace()
                    return value.isEmpty ? nil : value
                }
            }
        }
        return nil
    }

    static func secure(_ request: Request) -> Bool {
        request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https" || request.head.scheme == "https"
    }

    /// The `Set-Cookie` fields for a new token (or, with nil, ones that delete the cookies).
    static func fields(_ token: String?, maxAge: TimeInterval, secure: Bool) -> [HTTPField] {
        let age = "Max-Age=\(token == nil ? 0 : Int(maxAge))"
        var session = ["\(name)=\(token ?? "")", "Path=/", "HttpOnly", "SameSite=Strict", age]
        var signedIn = ["\(hint)=\(token == nil ? "" : "1")", "Path=/", "SameSite=Strict", age]
        if secure {
            session.append("Secure")
            signedIn.append("Secure")
        }
        return [HTTPField(name: .setCookie, value: session.joined(separator: "; ")), HTTPField(name: .setCookie, value: signedIn.joined(separator: "; "))]
    }

    static func isWrite(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    /// Refuses a request the console's own pages could not have made: no CSRF header, or an
    /// `Origin` that is not this server.
    static func checkSameOrigin(_ request: Request, requireHeader: Bool = true) throws {
        if requireHeader, request.headers[csrfHeader] != "1" {
            throw DocketError.forbidden("a write signed in by cookie needs the header X-Docket-CSRF: 1 (the console sends it)")
        }
        if let origin = request.headers[.origin] {
            let host = request.head.authority ?? ""
            guard let url = URL(string: origin), let originHost = url.host else {
                throw DocketError.forbidden("the request's Origin '\(origin)' is not this server")
            }
            let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
            guard originAuthority.lowercased() == host.lowercased() else {
                throw DocketError.forbidden("the request's Origin '\(origin)' is not this server")
            }
        }
    }
}
