import DocketCore
import Hummingbird

/// Per-request state: who is calling (set by `AuthMiddleware`).
public struct DocketRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw DocketError(.unauthorized, "a bearer token is required") }
        return principal
    }
}
