import DocketCore
@testable import DocketHTTP
import Foundation
import HummingbirdTesting
import OpenAPIKit
import Testing

@Suite("Configuration API")
struct ConfigTests {
    @Test func adminsOverrideAndResetThePacksConfiguration() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            var reply = try await client.call(.get, "/api/v2/config/all", token: admin)
            var all = try #require(try reply.json()["configurations"] as? [String: Any])
            #expect((all["ticketCategories"] as? [Any])?.count == 6)
            #expect((all["terminology"] as? [String: String])?["ticketSingular"] == "reporte")
            #expect((all["ticketIdFormat"] as? [String: Any])?["prefix"] as? String == "LUX")
            #expect((all["assistantConfiguration"] as? [String: String])?["assistantName"] == "Lúmen")
            #expect(all["overridden"] as? [String] == [])

            var categories = try #require((try await client.call(.get, "/api/v2/config/ticket-categories", token: customer).json())["categories"] as? [[String: Any]])
            categories.append(["id": "street_pole", "label": "Poste dañado", "labelEn": "Damaged pole", "color": "#123456"])
            reply = try await client.call(.put, "/api/v2/config/ticket-categories", token: agent, json: ["categories": categories])
            #expect(reply.status == .forbidden)
            reply = try await client.call(.put, "/api/v2/config/ticket-categories", token: admin, json: ["categories": categories])
            #expect(reply.status == .ok)
            _ = try await app.openTicket(client, token: customer, extra: ["category": "street_pole"])

            reply = try await client.call(.put, "/api/v2/config/ticket-categories", token: admin, json: ["categories": [["id": "Bad Id", "label": ""]]])
            #expect(reply.status == .unprocessableContent)
            reply = try await client.call(.put, "/api/v2/config/ticket-categories", token: admin, json: ["categories": [["id": "billing", "label": "F"]]])
            #expect(reply.status == .unprocessableContent)  // the default category must stay

            reply = try await client.call(.put, "/api/v2/config/ticket-id-format", token: admin, json: [
                "prefix": "SOL", "separator": "/", "includeYear": false, "padLength": 4, "resetYearly": false,
            ])
            #expect(reply.status == .ok)
            #expect(try await app.openTicket(client, token: customer) == "SOL/0001")
            reply = try await client.call(.put, "/api/v2/config/ticket-id-format", token: admin, json: [
                "prefix": "", "separator": "-", "includeYear": true, "padLength": 6, "resetYearly": true,
            ])
            #expect(reply.status == .unprocessableContent)

            reply = try await client.call(.get, "/api/v2/config/all", token: admin)
            all = try #require(try reply.json()["configurations"] as? [String: Any])
            #expect(Set(all["overridden"] as? [String] ?? []) == ["ticket_categories", "ticket_id_format"])

            reply = try await client.call(.post, "/api/v2/config/reset/ticket-id-format", token: admin)
            #expect(reply.status == .ok)
            #expect(try await app.openTicket(client, token: customer) == "LUX-2026-000002")  // the yearly counter; SOL/0001 drew from the never-reset one
            reply = try await client.call(.post, "/api/v2/config/reset/ticket_categories", token: admin)
            #expect(reply.status == .ok)
            reply = try await client.call(.post, "/api/v2/tickets", token: customer, json: ["subject": "s", "description": "d", "category": "street_pole"])
            #expect(reply.status == .unprocessableContent)
            reply = try await client.call(.post, "/api/v2/config/reset/everything", token: admin)
            #expect(reply.status == .badRequest)

            reply = try await client.call(.put, "/api/v2/config/assistant", token: admin, json: [
                "assistantName": "Sol", "companyName": "LUXFREE", "primaryServiceIssue": "paneles", "serviceType": "solar",
                "ticketNoun": "reporte", "ticketNounPlural": "reportes", "language": "es",
            ])
            #expect(reply.status == .ok)
            reply = try await client.call(.get, "/api/v2/config/assistant", token: agent)
            #expect((try reply.json()["config"] as? [String: String])?["assistantName"] == "Sol")
        }
    }
}

@Suite("System routes and OpenAPI")
struct SystemTests {
    @Test func healthAndMetricsAnswerWithoutAToken() async throws {
        let app = try await TestApp()
        try await app.test { client in
            var reply = try await client.call(.get, "/health")
            #expect(reply.status == .ok)
            #expect((try reply.json()["store"] as? [String: String])?["status"] == "ok")
            reply = try await client.call(.get, "/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
        }
    }

    @Test func theDocumentDescribesEveryRegisteredRoute() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let reply = try await client.call(.get, "/openapi.json")
            #expect(reply.status == .ok)
            let document = try reply.json()
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let registered = app.router.routes
            #expect(registered.count >= 33)
            for route in registered {
                let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map {
                    $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0)
                }.joined(separator: "/")
                let operation = paths[path]?[route.method.rawValue.lowercased()] as? [String: Any]
                #expect(operation != nil, "\(route.method) \(path) is not in openapi.json")
                #expect((operation?["responses"] as? [String: Any])?.isEmpty == false)
            }
            let documented = paths.values.reduce(0) { $0 + $1.count }
            #expect(documented == registered.count)

            // Every $ref points at a schema that exists.
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            var refs: [String] = []
            func collect(_ value: Any) {
                if let dict = value as? [String: Any] {
                    if let ref = dict["$ref"] as? String { refs.append(ref) }
                    dict.values.forEach(collect)
                } else if let array = value as? [Any] {
                    array.forEach(collect)
                }
            }
            collect(document)
            #expect(!refs.isEmpty)
            for ref in refs {
                #expect(schemas[String(ref.dropFirst("#/components/schemas/".count))] != nil, "\(ref) is missing")
            }
        }
    }

    /// What the server serves reads back as an OpenAPI 3.1 document that passes OpenAPIKit's
    /// validations: references resolve, links name operations that exist, parameters match
    /// their paths, every operation answers something, operation ids are unique.
    @Test func theServedDocumentIsAValidOpenAPIDocument() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let reply = try await client.call(.get, "/openapi.json")
            let document = try JSONDecoder().decode(OpenAPI.Document.self, from: reply.body)
            #expect(document.openAPIVersion == .v3_1_0)
            #expect(document.warnings.isEmpty, "\(document.warnings)")
            let warnings = try document.validate(
                using: Validator().validating(
                    \.operationsContainResponses, \.linkOperationsExist, \.pathParametersAreDefined,
                    \.schemaComponentsAreDefined, \.jsonSchemaNumericBoundIsValid, \.jsonSchemaStringLengthBoundIsValid,
                    \.jsonSchemaArrayLengthBoundIsValid))
            #expect(warnings.isEmpty, "\(warnings)")
            // The stateful paths: a created ticket, customer, agent, pack version and API key
            // lead to the operations that take their id.
            let routes = document.routes
            for (path, target) in [
                ("/api/v2/tickets", "getTicketsById"), ("/api/v2/customers", "getCustomersById"), ("/api/v2/agents", "getAgentsById"),
                ("/api/v2/packs", "getPacksByIdVersionsByVersion"), ("/api/v2/api-keys", "deleteApiKeysById"),
            ] {
                let create = try #require(routes.first { $0.path.rawValue == path }?.pathItem.post, "POST \(path)")
                let links = create.responses.compactMap { $0.value.responseValue?.links }.flatMap { $0.map(\.key) }
                #expect(links.contains(target), "POST \(path) links \(links)")
            }
            // Every secured route says how to authenticate, with schemes the document defines.
            let schemes = Set(document.components.securitySchemes.keys.map(\.rawValue))
            #expect(schemes == ["bearer", "apiKey", "cookie"])
            for route in routes {
                for endpoint in route.pathItem.endpoints {
                    for requirement in endpoint.operation.security ?? document.security {
                        for scheme in requirement.keys { #expect(schemes.contains(scheme.name ?? ""), "\(scheme)") }
                    }
                }
            }
        }
    }

    /// The JSON type of a value JSONSerialization read.
    static func jsonKind(_ value: Any) -> String {
        if value is String { return "string" }
        if value is [String: Any] { return "object" }
        if value is [Any] { return "array" }
        if let number = value as? NSNumber {
            if String(cString: number.objCType) == "c" { return "boolean" }
            return number.doubleValue.rounded() == number.doubleValue ? "integer" : "number"
        }
        if value is Bool { return "boolean" }
        return "unknown"
    }

    /// The schemas must declare every property the API's types encode, with their types.
    @Test func schemasDeclareWhatTheTypesEncode() async throws {
        let app = try await TestApp(installShippedPacks: true)
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer, extra: [
                "location": ["address": "Calle 5", "coordinates": ["latitude": 19.4, "longitude": -99.1]],
                "attachments": [["url": "https://cdn.example.com/foto.jpg", "type": "image"]], "tags": ["poste"],
            ])
            try await client.succeed(.post, "/api/v2/tickets/\(id)/claim", token: agent)
            try await client.succeed(.post, "/api/v2/tickets/\(id)/notes", token: agent, json: ["content": "n"])
            try await client.succeed(.post, "/api/v2/tickets/\(id)/escalate", token: agent, json: ["reason": "r", "toAgentId": "ana"])
            try await client.succeed(.post, "/api/v2/tickets/\(id)/resolve", token: agent, json: ["resolutionNotes": "ok"])
            try await client.succeed(.post, "/api/v2/tickets/\(id)/feedback", token: customer, json: ["rating": 4, "comment": "bien"])
            let document = try await client.call(.get, "/openapi.json").json()
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])

            func check(_ value: Any, against schemaName: String) {
                guard let schema = schemas[schemaName] else { Issue.record("no schema \(schemaName)"); return }
                check(value, schema: schema, at: schemaName)
            }
            func check(_ value: Any, schema: [String: Any], at path: String) {
                if let ref = schema["$ref"] as? String {
                    check(value, against: String(ref.dropFirst("#/components/schemas/".count)))
                    return
                }
                // The value's JSON type is the one declared (not only its property names).
                if value is NSNull {
                    if schema["nullable"] as? Bool != true, schema["type"] != nil { Issue.record("\(path) is null but not nullable") }
                    return
                }
                if let type = schema["type"] as? String {
                    let kind = Self.jsonKind(value)
                    let matches = kind == type || (type == "number" && kind == "integer") || !["string", "integer", "number", "boolean", "object", "array"].contains(type)
                    if !matches { Issue.record("\(path) is a JSON \(kind) but the schema says \(type)") }
                }
                if let values = schema["enum"] as? [String], let text = value as? String, !values.contains(text) {
                    Issue.record("\(path) is '\(text)', not one of \(values)")
                }
                if schema["format"] as? String == "date-time", let text = value as? String,
                    (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) == nil
                {
                    Issue.record("\(path) '\(text)' is not a date-time")
                }
                if let object = value as? [String: Any] {
                    if let properties = schema["properties"] as? [String: [String: Any]] {
                        for (key, child) in object {
                            guard let childSchema = properties[key] else { Issue.record("\(path).\(key) is not in the schema"); continue }
                            check(child, schema: childSchema, at: "\(path).\(key)")
                        }
                        for required in schema["required"] as? [String] ?? [] where object[required] == nil {
                            Issue.record("\(path).\(required) is required but absent")
                        }
                    } else if let additional = schema["additionalProperties"] as? [String: Any] {
                        for (key, child) in object { check(child, schema: additional, at: "\(path).\(key)") }
                    }
                } else if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
                    for (index, item) in array.enumerated() { check(item, schema: items, at: "\(path)[\(index)]") }
                }
            }

            check(try await client.call(.get, "/api/v2/tickets/\(id)", token: admin).json(), against: "TicketEnvelope")
            check(try await client.call(.get, "/api/v2/tickets", token: admin).json(), against: "TicketList")
            check(try await client.call(.get, "/api/v2/tickets/stats/summary", token: admin).json(), against: "StatsEnvelope")
            check(try await client.call(.get, "/api/v2/customers/cust1", token: admin).json(), against: "CustomerEnvelope")
            check(try await client.call(.get, "/api/v2/agents", token: admin).json(), against: "AgentList")
            check(try await client.call(.get, "/api/v2/config/all", token: admin).json(), against: "AllConfigurationsEnvelope")
            check(try await client.call(.get, "/health").json(), against: "Health")
            let platform = try await app.token(.platform, "ops")
            check(try await client.call(.get, "/api/v2/packs", token: platform).json(), against: "PackList")
            check(try await client.call(.get, "/api/v2/packs/luxfree-solar/versions", token: platform).json(), against: "PackVersionList")
            check(try await client.call(.get, "/api/v2/packs/luxfree-solar/versions/1.3.0", token: platform).json(), against: "PackVersionDetail")
            check(try await client.call(.get, "/api/v2/tenants", token: platform).json(), against: "TenantList")
            check(try await client.call(.get, "/api/v2/tenants/default", token: platform).json(), against: "TenantEnvelope")
            let report = try await client.call(.post, "/api/v2/packs/luxfree-solar/versions/1.3.0/simulate", token: platform, json: [:])
            #expect((try report.json()["events"] as? Int ?? 0) > 0)
            check(try report.json(), against: "SimulationReport")
            check(try await client.call(.get, "/api/v2/assistant/tools", token: admin).json(), against: "AssistantTools")
            let created = try await client.call(.post, "/api/v2/api-keys", token: admin, json: ["name": "bot", "role": "assistant"])
            check(try created.json(), against: "CreatedApiKey")
            check(try await client.call(.get, "/api/v2/api-keys", token: admin).json(), against: "ApiKeyList")
            check(try await client.call(.get, "/api/v2/reports/sla", token: admin).json(), against: "SLAReport")
            for (report, query) in [("volume", "by=channel"), ("backlog", "by=status"), ("times", "by=priority"), ("agents", ""), ("satisfaction", "")] {
                let name = report.prefix(1).uppercased() + report.dropFirst() + "Report"
                check(try await client.call(.get, "/api/v2/reports/\(report)?\(query)", token: admin).json(), against: name)
                check(try await client.call(.get, "/api/v2/reports/\(report)?interval=hour", token: agent).json(), against: name)
            }
            check(try await client.call(.get, "/api/v2/tickets/\(id)/trace", token: admin).json(), against: "TicketTrace")
            let replay = try await client.call(.post, "/api/v2/tickets/\(id)/replay", token: admin, json: ["version": "1.3.0"])
            #expect(replay.status == .ok)
            check(try replay.json(), against: "SimulationReport")
            check(try await client.call(.get, "/api/v2/tickets/nope", token: admin).json(), against: "Error")
        }
    }
}
