import DocketCore
import HTTPTypes
import Hummingbird
import OpenAPIKit

/// One route as the OpenAPI document describes it.
struct Endpoint: Sendable {
    struct QueryParameter: Sendable {
        enum Kind: Sendable { case string, integer, boolean }

        var name: String
        var type: Kind
        var description: String
        /// What the server accepts, as the document says it: bounds, allowed values, a pattern,
        /// or `dates` (an ISO 8601 date or date-time).
        var minimum: Int? = nil
        var maximum: Int? = nil
        var values: [String]? = nil
        var pattern: String? = nil
        var maxLength: Int? = nil
        var dates = false
        /// A parameter the route cannot do without (none of the API's own are).
        var required = false

        /// The parameter's JSON Schema. An empty text value is the parameter left out.
        var schema: JSONSchema {
            let empty = Schemas.string(maxLength: 0)
            switch type {
            case .integer:
                return Schemas.integer(min: minimum, max: maximum)
            case .boolean:
                return .boolean
            case .string where dates:
                return .any(of: [Schemas.string(format: .date), Schemas.string(format: .dateTime), empty])
            case .string where required:
                return Schemas.string(maxLength: maxLength, values: values, minLength: 1, pattern: pattern)
            case .string:
                return Schemas.string(maxLength: maxLength, values: values.map { $0 + [""] }, pattern: pattern.map { "^$|" + $0 })
            }
        }

        static func page() -> QueryParameter {
            .init(name: "page", type: .integer, description: "Page number from 1 (default 1)", minimum: 1, maximum: 1_000_000)
        }

        static func limit(max: Int = 100, default value: Int = 20) -> QueryParameter {
            .init(name: "limit", type: .integer, description: "Page size, 1-\(max) (default \(value))", minimum: 1, maximum: max)
        }

        static func date(_ name: String, _ description: String) -> QueryParameter {
            .init(name: name, type: .string, description: description, dates: true)
        }
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
    /// Another success a route may answer (status and schema), e.g. 200 beside 201.
    var alsoSuccess: (status: Int, schema: String?)? = nil
    /// The values a path parameter takes, when they are a fixed list.
    var pathValues: [String: [String]] = [:]
    /// Whether the success may be CSV (`text/csv`), beside or instead of JSON.
    var csv = false
    /// Whether the success is a file's bytes (`application/octet-stream`).
    var binary = false

    /// The path in OpenAPI syntax: `/api/v2/tickets/{id}`.
    var openAPIPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
    }

    /// The roles that may call it, checked before the handler reads the body (a caller of
    /// another role gets 403, whatever it sent); nil for every signed-in role, where the service
    /// decides on the resource (a customer's own tickets). Read from `access`, which must be one
    /// of the phrases below: a new phrase stops the server at start rather than going unchecked.
    var roles: Set<Role>? {
        switch access {
        case "admin", "admin (tenant admins' packs are private to their tenant)", "admin of the tenant, platform admin": [.admin, .platform]
        case "platform admin": [.platform]
        case "agent, admin": [.agent, .supervisor, .admin, .platform]
        case "supervisor, admin": [.supervisor, .admin, .platform]
        case "customer", "customer (own tickets)": [.customer]
        case "assistant key": [.assistant]
        case "assistant key, agent, admin": [.assistant, .agent, .supervisor, .admin, .platform]
        case "anyone", "any role", "any role (customers: own tickets)", "any role (customers see only their own tickets)",
            "any role (customers open tickets for themselves)", "staff, the ticket's customer", "agent, admin, or that customer",
            "agent, admin, customer", "a session token", "anyone with a signed widget token",
            "staff and customers, with the same token as REST (header or a first auth frame)":
            nil
        default: preconditionFailure("route \(method) \(path): access '\(access)' names no known roles")
        }
    }

    /// How `roles` reads in a 403.
    static func describe(_ roles: Set<Role>) -> String {
        let names: [(Role, String)] = [(.platform, "platform admins"), (.admin, "admins"), (.supervisor, "supervisors"), (.agent, "agents"), (.customer, "customers"), (.assistant, "assistant keys")]
        return names.filter { roles.contains($0.0) }.map(\.1).joined(separator: ", ")
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

    static func describe(_ roles: Set<Role>, _ endpoint: Endpoint) -> String {
        "\(endpoint.method.rawValue) \(endpoint.openAPIPath) is for \(Endpoint.describe(roles))"
    }

    init(router: Router<DocketRequestContext>, auth: AuthMiddleware) {
        self.auth = auth
        self.router = router
        self.authenticated = router.group("").add(middleware: auth)
    }

    /// Registers `endpoint` with its handler, a named one in the controllers:
    /// `routes.add(Endpoint(...), use: list)`.
    func add(
        _ endpoint: Endpoint,
        use handler: @escaping @Sendable (Request, DocketRequestContext) async throws -> Response
    ) {
        endpoints.append(endpoint)
        let path = RouterPath(endpoint.path)
        if endpoint.secured {
            guard let roles = endpoint.roles else {
                authenticated.on(path, method: endpoint.method, use: handler)
                return
            }
            let who = Self.describe(roles, endpoint)
            authenticated.on(path, method: endpoint.method) { request, context in
                // Before the body is read: a caller who may not use the route learns nothing about its input.
                guard roles.contains(try context.requirePrincipal().role) else { throw DocketError.forbidden(who) }
                return try await handler(request, context)
            }
        } else {
            router.on(path, method: endpoint.method, use: handler)
        }
    }
}
