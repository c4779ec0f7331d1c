import DocketCore
import Foundation
import HTTPTypes
import Hummingbird

/// This API's authentication for another adapter (the live layer, mounted by the composition
/// root): the same tokens, API keys and console sessions as every REST route.
public struct CredentialCheck: Sendable {
    let auth: AuthMiddleware

    public init(tokens: TokenAuthority, services: DocketServices, accounts: AccountService, console: ConsoleSettings) {
        auth = AuthMiddleware(tokens: tokens, services: services, accounts: accounts, console: console)
    }

    /// Who the request is (header credential, or the console's session cookie from this
    /// server's pages); nil when it carries none.
    public func principal(of request: Request) async throws -> Principal? {
        try await auth.authenticate(request)
    }

    /// Who a bearer token or API key belongs to.
    public func principal(of credential: String) async throws -> Principal {
        try await auth.authenticate(credential)
    }

    /// The `Authorization: Bearer` or `X-Api-Key` credential of `headers`, nil when neither is sent.
    public static func credential(_ headers: HTTPFields) throws -> String? {
        try AuthMiddleware.credential(headers)
    }
}
