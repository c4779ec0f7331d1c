import HTTPTypes
import Hummingbird

/// One route as the OpenAPI document describes it.
struct Endpoint: Sendable {
    struct QueryParameter: Sendable {
        var name: String
        var type: String
        var description: String
    }

    var method: HTTPRequest.Method
    /// Full path in Hummingbird syntax, e.g. `/api/v2/tickets/:id`.
    var path: String
    var summary: String
    var tag: String
    /// Which roles may call it, for the description.
    var access: String
    var query: [QueryParameter] = []
    /// Schema name of the JSON body, if any.
    var body: String? = nil
    /// Success status and the schema name of its JSON body (nil for non-JSON).
    var success: (status: Int, schema: String?)
    /// Error statuses this route can answer besides 401/500.
    var errors: [Int] = []
    var secured = true

    /// The path in OpenAPI syntax: `/api/v2/tickets/{id}`.
    var openAPIPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
    }

    var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
    }
}

/// Registers routes on a router and remembers them for the OpenAPI document.
final class RouteRegistry: @unchecked Sendable {
    // Only mutated while the router is being built, on one thread, before the server starts.
    private(set) var endpoints: [Endpoint] = []
    let router: Router<DocketRequestContext>
    let authenticated: RouterGroup<DocketRequestContext>
    let auth: AuthMiddleware

    init(router: Router<DocketRequestContext>, auth: AuthMiddleware) {
        self.auth = auth
        self.router = router
        self.authenticated = router.group("").add(middleware: auth)
    }

    func add(
        _ endpoint: Endpoint,
        _ handler: @escaping @Sendable (Request, DocketRequestContext) async throws -> Response
    ) {
        endpoints.append(endpoint)
        let path = RouterPath(endpoint.path)
        if endpoint.secured {
            authenticated.on(path, method: endpoint.method, use: handler)
        } else {
            router.on(path, method: endpoint.method, use: handler)
        }
    }
}
