import Foundation

/// Builds the OpenAPI 3.1 document from the registered endpoints and `Schemas`.
enum OpenAPIDocument {
    static func make(endpoints: [Endpoint], version: String) -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for endpoint in endpoints {
            var operation: [String: Any] = [
                "summary": endpoint.summary,
                "description": "Access: \(endpoint.access).",
                "tags": [endpoint.tag],
                "operationId": operationId(endpoint),
            ]
            var parameters: [[String: Any]] = endpoint.pathParameters.map { name in
                var schema: [String: Any] = ["type": "string", "minLength": 1]
                if let values = endpoint.pathValues[name] { schema["enum"] = values }
                return ["name": name, "in": "path", "required": true, "schema": schema]
            }
            parameters += endpoint.query.map {
                ["name": $0.name, "in": "query", "required": false, "description": $0.description, "schema": $0.schema]
            }
            if !parameters.isEmpty { operation["parameters"] = parameters }
            if let body = endpoint.body {
                operation["requestBody"] = [
                    "required": true, "content": ["application/json": ["schema": Schemas.ref(body)]],
                ]
            }
            var responses: [String: Any] = [:]
            for success in [endpoint.success] + (endpoint.alsoSuccess.map { [$0] } ?? []) {
                if let schema = success.schema {
                    responses["\(success.status)"] = [
                        "description": "Success", "content": ["application/json": ["schema": Schemas.ref(schema)]],
                    ]
                } else {
                    responses["\(success.status)"] = ["description": "Success"]
                }
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
                responses["\(status)"] = [
                    "description": HTTPStatusText.reason(status),
                    "content": ["application/json": ["schema": Schemas.ref("Error")]],
                ]
            }
            if let links = links(from: endpoint, among: endpoints) {
                var created = responses["\(endpoint.success.status)"] as? [String: Any] ?? [:]
                created["links"] = links
                responses["\(endpoint.success.status)"] = created
            }
            operation["responses"] = responses
            operation["security"] = security(endpoint)
            paths[endpoint.openAPIPath, default: [:]][endpoint.method.rawValue.lowercased()] = operation
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Docket",
                "version": version,
                "description": "Multi-tenant support-ticket server. Every /api/v2 route needs a bearer token (HS256 JWT) carrying tenant, role and subject.",
            ],
            "servers": [["url": "/"]],
            "security": [["bearer": [String]()], ["cookie": [String]()]],
            "paths": paths,
            "components": [
                "securitySchemes": [
                    "bearer": [
                        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description": "A token from `docket token`, POST /api/v2/auth/customer or /api/v2/auth/refresh; an API key (dk_...) works here too",
                    ],
                    "apiKey": ["type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "An API key (dk_<id>.<secret>), for the assistant routes"],
                    "cookie": [
                        "type": "apiKey", "in": "cookie", "name": "docket_session",
                        "description": "The console's session (POST /api/v2/auth/login); writes also need the header X-Docket-CSRF: 1 and this server's Origin",
                    ],
                ],
                "schemas": Schemas.all(),
            ],
        ]
    }

    /// Who may call: nobody needs to for open routes; the assistant's routes take an API key
    /// (as a bearer or X-Api-Key); every other route a bearer token or the console's cookie.
    static func security(_ endpoint: Endpoint) -> [[String: [String]]] {
        guard endpoint.secured else { return [] }
        if endpoint.roles?.contains(.assistant) == true { return [["bearer": []], ["apiKey": []], ["cookie": []]] }
        return [["bearer": []], ["cookie": []]]
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

    static func links(from endpoint: Endpoint, among endpoints: [Endpoint]) -> [String: Any]? {
        guard endpoint.method == .post, let creation = creations.first(where: { $0.path == endpoint.path }) else { return nil }
        var links: [String: Any] = [:]
        for target in endpoints where target.path.hasPrefix(endpoint.path + "/:") {
            let names = target.pathParameters
            guard !names.isEmpty, names.allSatisfy({ creation.parameters[$0] != nil }) else { continue }
            links[operationId(target)] = [
                "operationId": operationId(target),
                "parameters": Dictionary(uniqueKeysWithValues: names.map { ($0, creation.parameters[$0]!) }),
            ]
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
        try JSONSerialization.data(withJSONObject: make(endpoints: endpoints, version: version), options: [.sortedKeys])
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
