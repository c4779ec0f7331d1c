import Foundation
import OpenAPIKit

/// Builds the OpenAPI 3.1 document from the registered endpoints and `Schemas`, as
/// OpenAPIKit's typed model.
enum OpenAPIDocument {
    static func make(endpoints: [Endpoint], version: String) -> OpenAPI.Document {
        var paths: OpenAPI.PathItem.Map = [:]
        for endpoint in endpoints.sorted(by: { ($0.openAPIPath, $0.method.rawValue) < ($1.openAPIPath, $1.method.rawValue) }) {
            let path = OpenAPI.Path(rawValue: endpoint.openAPIPath)
            var item = paths[path]?.pathItemValue ?? OpenAPI.PathItem()
            item[OpenAPI.HttpMethod(rawValue: endpoint.method.rawValue)!] = operation(endpoint, among: endpoints)
            paths[path] = .b(item)
        }
        return OpenAPI.Document(
            openAPIVersion: .v3_1_0,
            info: .init(
                title: "Docket",
                description: "Multi-tenant support-ticket server. Every /api/v2 route needs a bearer token (HS256 JWT) carrying tenant, role and subject.",
                version: version),
            servers: [.init(urlTemplate: URLTemplate(rawValue: "/")!)],
            paths: paths,
            components: .init(
                schemas: OrderedDictionary(Schemas.all().map { (OpenAPI.ComponentKey(rawValue: $0.key)!, $0.value) }, uniquingKeysWith: { first, _ in first }),
                securitySchemes: [
                    "bearer": .b(.http(
                        scheme: "bearer", bearerFormat: "JWT",
                        description: "A token from `docket token`, POST /api/v2/auth/customer or /api/v2/auth/refresh; an API key (dk_...) works here too")),
                    "apiKey": .b(.apiKey(name: "X-Api-Key", location: .header, description: "An API key (dk_<id>.<secret>), for the assistant routes")),
                    "cookie": .b(.apiKey(
                        name: "docket_session", location: .cookie,
                        description: "The console's session (POST /api/v2/auth/login); writes also need the header X-Docket-CSRF: 1 and this server's Origin")),
                ]),
            security: [requirement("bearer"), requirement("cookie")])
    }

    static func operation(_ endpoint: Endpoint, among endpoints: [Endpoint]) -> OpenAPI.Operation {
        var parameters: OpenAPI.Parameter.Array = endpoint.pathParameters.map { name in
            .b(.path(name: name, schema: Schemas.string(values: endpoint.pathValues[name], minLength: 1)))
        }
        parameters += endpoint.query.map { .b(.query(name: $0.name, required: $0.required, schema: $0.schema, description: $0.description)) }

        var responses: OpenAPI.Response.Map = [:]
        for success in [endpoint.success] + (endpoint.alsoSuccess.map { [$0] } ?? []) {
            var content = success.schema.map { json(Schemas.ref($0)) } ?? [:]
            if endpoint.csv { content[.csv] = .b(.init(schema: Schemas.string())) }
            if endpoint.binary, let octets = OpenAPI.ContentType(rawValue: "application/octet-stream") {
                content[octets] = .b(.init(schema: Schemas.string("The file's bytes")))
            }
            responses[.status(code: success.status)] = .b(OpenAPI.Response(description: "Success", content: content))
        }
        var errors = endpoint.errors + [500]
        if endpoint.secured { errors += [401, 503] }
        // A body can be malformed, too large, of another type, or invalid.
        if endpoint.body != nil { errors += [400, 413, 415, 422] }
        // A route for some roles refuses the others before reading anything.
        if endpoint.secured, endpoint.roles != nil { errors += [403] }
        // Bounded query parameters refuse what is out of bounds.
        if !endpoint.query.isEmpty { errors += [400] }
        for status in Set(errors).sorted() {
            responses[.status(code: status)] = .b(OpenAPI.Response(
                description: HTTPStatusText.reason(status), content: json(Schemas.ref("Error"))))
        }
        if let links = links(from: endpoint, among: endpoints), case .b(var created)? = responses[.status(code: endpoint.success.status)] {
            created.links = links
            responses[.status(code: endpoint.success.status)] = .b(created)
        }
        return OpenAPI.Operation(
            tags: [endpoint.tag], summary: endpoint.summary, description: "Access: \(endpoint.access).",
            operationId: operationId(endpoint), parameters: parameters,
            requestBody: endpoint.body.map { OpenAPI.Request(content: json(Schemas.ref($0)), required: true) },
            responses: responses, security: security(endpoint))
    }

    static func json(_ schema: JSONSchema) -> OpenAPI.Content.Map { [.json: .b(.init(schema: schema))] }

    static func requirement(_ scheme: String) -> OpenAPI.SecurityRequirement { [.component(named: scheme): []] }

    /// Who may call: nobody needs to for open routes; the assistant's routes take an API key
    /// (as a bearer or X-Api-Key); every other route a bearer token or the console's cookie.
    static func security(_ endpoint: Endpoint) -> [OpenAPI.SecurityRequirement] {
        guard endpoint.secured else { return [] }
        if endpoint.roles?.contains(.assistant) == true { return ["bearer", "apiKey", "cookie"].map(requirement) }
        return ["bearer", "cookie"].map(requirement)
    }

    /// What a create answers names the new resource: links to every operation on it, so a
    /// client (or a fuzzer's stateful phase) can follow them.
    static let creations: [(path: String, parameters: [String: String])] = [
        ("/api/v2/tickets", ["id": "$response.body#/ticket/ticketId"]),
        ("/api/v2/customers", ["id": "$response.body#/customer/id"]),
        ("/api/v2/agents", ["id": "$response.body#/agent/id"]),
        ("/api/v2/api-keys", ["id": "$response.body#/apiKey/id"]),
        ("/api/v2/packs", ["id": "$response.body#/version/packId", "version": "$response.body#/version/version"]),
        ("/api/v2/tenants", ["id": "$response.body#/tenant/id"]),
    ]

    static func links(from endpoint: Endpoint, among endpoints: [Endpoint]) -> OpenAPI.Link.Map? {
        guard endpoint.method == .post, let creation = creations.first(where: { $0.path == endpoint.path }) else { return nil }
        var links: OpenAPI.Link.Map = [:]
        for target in endpoints.sorted(by: { operationId($0) < operationId($1) }) where target.path.hasPrefix(endpoint.path + "/:") {
            let names = target.pathParameters
            guard !names.isEmpty, names.allSatisfy({ creation.parameters[$0] != nil }) else { continue }
            links[operationId(target)] = .link(
                operationId: operationId(target),
                parameters: Schemas.ordered(Dictionary(uniqueKeysWithValues: names.map { name in
                    (name, Either.a(OpenAPI.RuntimeExpression(rawValue: creation.parameters[name]!)!))
                })))
        }
        return links.isEmpty ? nil : links
    }

    static func operationId(_ endpoint: Endpoint) -> String {
        let words = endpoint.path.split(separator: "/").filter { $0 != "api" && $0 != "v2" }.map { segment in
            segment.hasPrefix(":") ? "By" + segment.dropFirst().capitalized : segment.split(separator: "-").map(\.capitalized).joined()
        }
        return endpoint.method.rawValue.lowercased() + words.joined().replacingOccurrences(of: ".", with: "")
    }

    static func json(endpoints: [Endpoint], version: String) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(make(endpoints: endpoints, version: version))
    }
}

enum HTTPStatusText {
    static func reason(_ status: Int) -> String {
        switch status {
        case 400: "Malformed request (bad JSON, wrong type, missing field or bad query parameter)"
        case 401: "Missing, invalid or expired bearer token"
        case 403: "The caller's role may not do this"
        case 404: "Not found (or not visible to the caller)"
        case 409: "Conflict: invalid status transition, already claimed, duplicate or concurrent change"
        case 413: "Body larger than http.maxBodyBytes"
        case 415: "Body is not application/json"
        case 422: "Well-formed but invalid value"
        case 500: "Internal error"
        case 503: "Store unavailable; retry after the Retry-After seconds"
        default: "Error"
        }
    }
}
