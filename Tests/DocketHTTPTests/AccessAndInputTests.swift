import DocketCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Authentication, authorization and tenant isolation")
struct AccessTests {
    /// One request per route group: (method, path, body).
    static var routes: [(HTTPRequest.Method, String, [String: Any]?)] { [
        (.get, "/api/v2/tickets", nil),
        (.get, "/api/v2/tickets/LUX-2026-000001", nil),
        (.post, "/api/v2/tickets/LUX-2026-000001/claim", nil),
        (.get, "/api/v2/tickets/stats/summary", nil),
        (.get, "/api/v2/customers", nil),
        (.get, "/api/v2/agents", nil),
        (.get, "/api/v2/config/all", nil),
        (.put, "/api/v2/config/terminology", ["ticketSingular": "caso"]),
        (.get, "/api/v2/conversations/conv1/tickets", nil),
    ] }

    @Test func everyAPIRouteNeedsAValidToken() async throws {
        let app = try await TestApp()
        let expired = try await app.token(.admin, "boss", ttl: -60)
        let wrongKey = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwidGlkIjoiZGVmYXVsdCIsInJvbGUiOiJhZG1pbiIsImlhdCI6MSwiZXhwIjo0MDAwMDAwMDAwfQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        let ghostTenant = try await app.token(.admin, "boss", tenant: "ghost")
        try await app.test { client in
            for (method, path, body) in Self.routes {
                for token in [nil, "garbage", wrongKey, expired, ghostTenant] as [String?] {
                    let reply = try await client.call(method, path, token: token, json: body)
                    #expect(reply.status == .unauthorized, "\(method) \(path) with \(token ?? "no token"): \(String(decoding: reply.body, as: UTF8.self))")
                    #expect(reply.errorCode == "unauthorized")
                }
            }
            let reply = try await client.call(.get, "/api/v2/tickets", token: expired)
            #expect(((try reply.json()["error"] as? [String: Any])?["message"] as? String)?.contains("expired") == true)
            #expect(reply.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test func rolesMayDoOnlyWhatTheirGroupAllows() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            // (method, path, body, admin, agent, customer)
            let matrix: [(HTTPRequest.Method, String, [String: Any]?, HTTPResponse.Status, HTTPResponse.Status, HTTPResponse.Status)] = [
                (.get, "/api/v2/tickets", nil, .ok, .ok, .ok),
                (.get, "/api/v2/tickets/\(id)", nil, .ok, .ok, .ok),
                (.put, "/api/v2/tickets/\(id)", ["subject": "Luminaria"], .ok, .ok, .forbidden),
                (.post, "/api/v2/tickets/\(id)/status", ["status": "nope"], .unprocessableContent, .unprocessableContent, .forbidden),
                (.post, "/api/v2/tickets/\(id)/escalate", ["reason": ""], .unprocessableContent, .unprocessableContent, .forbidden),
                (.post, "/api/v2/tickets/\(id)/resolve", ["resolutionNotes": ""], .unprocessableContent, .unprocessableContent, .forbidden),
                (.post, "/api/v2/tickets/\(id)/assign", ["agentId": "ghost"], .unprocessableContent, .unprocessableContent, .forbidden),
                (.post, "/api/v2/tickets/\(id)/feedback", ["rating": 5], .forbidden, .forbidden, .conflict),
                (.get, "/api/v2/tickets/stats/summary", nil, .ok, .ok, .forbidden),
                (.get, "/api/v2/customers", nil, .ok, .ok, .forbidden),
                (.get, "/api/v2/customers/cust1", nil, .ok, .ok, .ok),
                (.post, "/api/v2/customers", ["phoneNumber": "5599887766"], .created, .conflict, .forbidden),
                (.get, "/api/v2/agents", nil, .ok, .ok, .forbidden),
                (.get, "/api/v2/agents/ana", nil, .ok, .ok, .forbidden),
                (.post, "/api/v2/agents", ["name": "Beto"], .created, .forbidden, .forbidden),
                (.get, "/api/v2/conversations/conv1/tickets", nil, .ok, .ok, .forbidden),
                (.get, "/api/v2/config/ticket-categories", nil, .ok, .ok, .ok),
                (.get, "/api/v2/config/terminology", nil, .ok, .ok, .ok),
                (.get, "/api/v2/config/assistant", nil, .ok, .ok, .forbidden),
                (.get, "/api/v2/config/ticket-id-format", nil, .ok, .ok, .forbidden),
                (.get, "/api/v2/config/all", nil, .ok, .forbidden, .forbidden),
                (.post, "/api/v2/config/reset/ticket_terminology", nil, .ok, .forbidden, .forbidden),
            ]
            for (method, path, body, forAdmin, forAgent, forCustomer) in matrix {
                for (token, expected, name) in [(admin, forAdmin, "admin"), (agent, forAgent, "agent"), (customer, forCustomer, "customer")] {
                    let reply = try await client.call(method, path, token: token, json: body)
                    #expect(reply.status == expected, "\(name) \(method) \(path): \(String(decoding: reply.body, as: UTF8.self))")
                }
            }
        }
    }

    @Test func noRequestCrossesTenantsOrCustomers() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, _, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            let acmeAdmin = try await app.token(.admin, "boss", tenant: "acme")
            let otherCustomer = try await app.token(.customer, "cust2")
            for token in [acmeAdmin, otherCustomer] {
                #expect(try await client.call(.get, "/api/v2/tickets/\(id)", token: token).status == .notFound)
                #expect(try await client.call(.post, "/api/v2/tickets/\(id)/notes", token: token, json: ["content": "hola"]).status == .notFound)
                let reply = try await client.call(.get, "/api/v2/tickets", token: token)
                #expect((try reply.json()["pagination"] as? [String: Int])?["total"] == 0)
            }
            #expect(try await client.call(.post, "/api/v2/tickets/\(id)/claim", token: acmeAdmin).status == .notFound)
            #expect(try await client.call(.get, "/api/v2/customers/cust1", token: acmeAdmin).status == .notFound)
            #expect(try await client.call(.get, "/api/v2/customers/cust1", token: otherCustomer).status == .notFound)
            #expect(try await client.call(.get, "/api/v2/customers/cust1/tickets", token: otherCustomer).status == .notFound)
            let asked = try await client.call(.get, "/api/v2/tickets?customerId=cust1", token: otherCustomer)
            #expect((try asked.json()["pagination"] as? [String: Int])?["total"] == 0)
            let forOther = try await client.call(
                .post, "/api/v2/tickets", token: otherCustomer, json: ["subject": "s", "description": "d", "customerId": "cust1"])
            #expect(forOther.status == .forbidden)

            // Tenant acme numbers its own tickets and changes its own configuration.
            let acmeCustomer = try await app.token(.customer, "cust1", tenant: "acme")
            #expect(try await app.openTicket(client, token: acmeCustomer) == "LUX-2026-000001")
            #expect(try await client.call(.put, "/api/v2/config/terminology", token: acmeAdmin, json: [
                "ticketSingular": "caso", "ticketPlural": "casos", "createVerb": "abrir", "customerNoun": "cliente",
                "agentNoun": "agente", "resolveVerb": "resolver",
            ]).status == .ok)
            let own = try await client.call(.get, "/api/v2/config/terminology", token: admin)
            #expect((try own.json()["terminology"] as? [String: String])?["ticketSingular"] == "reporte")
        }
    }
}

@Suite("Bad input")
struct InputTests {
    @Test func malformedBodiesAndQueriesGetClearErrors() async throws {
        let app = try await TestApp(maxBodyBytes: 4096)
        try await app.test { client in
            let (admin, _, _) = try await app.people(client)
            func post(_ raw: String, contentType: String = "application/json") async throws -> Reply {
                try await client.call(.post, "/api/v2/tickets", token: admin, raw: raw, contentType: contentType)
            }
            var reply = try await post("{not json")
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "bad_request")
            reply = try await post(#"{"subject": 123, "description": "d", "customerId": "cust1"}"#)
            #expect(reply.status == .badRequest)
            #expect((try reply.json()["error"] as? [String: Any])?["field"] as? String == "subject")
            reply = try await post(#"{"subject": "s", "customerId": "cust1"}"#)
            #expect((try reply.json()["error"] as? [String: Any])?["field"] as? String == "description")
            reply = try await post(#"{"subject": "s", "description": "d", "customerId": "cust1", "priority": "extreme"}"#)
            #expect(reply.status == .badRequest)
            #expect((try reply.json()["error"] as? [String: Any])?["field"] as? String == "priority")
            reply = try await post(#"{"subject": "s", "description": "d", "customerId": "cust1", "location": {"coordinates": {"latitude": "x"}}}"#)
            #expect((try reply.json()["error"] as? [String: Any])?["field"] as? String == "location.coordinates.latitude")
            reply = try await post("[]")
            #expect(reply.status == .badRequest)
            reply = try await post(#"{"subject": "s", "description": "d"}"#, contentType: "text/plain")
            #expect(reply.status == .unsupportedMediaType)
            reply = try await post(#"{"subject": "s", "description": "\#(String(repeating: "x", count: 5000))", "customerId": "cust1"}"#)
            #expect(reply.status == .contentTooLarge)
            #expect(reply.errorCode == "payload_too_large")
            reply = try await post(#"{"subject": "\#(String(repeating: "s", count: 201))", "description": "d", "customerId": "cust1"}"#)
            #expect(reply.status == .unprocessableContent)
            #expect((try reply.json()["error"] as? [String: Any])?["field"] as? String == "subject")
            reply = try await post(#"{"subject": "s", "description": "d", "customerId": "cust1", "category": "pizza"}"#)
            #expect(reply.status == .unprocessableContent)
            #expect(((try reply.json()["error"] as? [String: Any])?["details"] as? [String: [String]])?["allowed"]?.contains("billing") == true)
            reply = try await post(#"{"subject": "s", "description": "d", "customerId": "nobody"}"#)
            #expect(reply.status == .unprocessableContent)
            reply = try await post(#"{"subject": "s", "description": "d"}"#)
            #expect(reply.status == .badRequest)
            #expect((try reply.json()["error"] as? [String: Any])?["field"] as? String == "customerId")
            reply = try await post(#"{"subject": "  ", "description": "d", "customerId": "cust1"}"#)
            #expect(reply.status == .unprocessableContent)

            for query in ["limit=101", "limit=0", "page=0", "page=abc", "priority=extreme", "sortBy=color", "sortOrder=up", "createdFrom=yesterday", "escalated=maybe",
                          "status=" + (0...TicketQuery.maxStatuses).map { "s\($0)" }.joined(separator: ",")] {
                reply = try await client.call(.get, "/api/v2/tickets?\(query)", token: admin)
                #expect(reply.status == .badRequest, "\(query)")
            }
            reply = try await client.call(.get, "/api/v2/tickets?createdFrom=2026-01-01&createdTo=2026-12-31T23:59:59Z", token: admin)
            #expect(reply.status == .ok)
            reply = try await client.call(.get, "/api/v2/tickets/LUX-2026-999999", token: admin)
            #expect(reply.status == .notFound)
            reply = try await client.call(.get, "/api/v2/nothing-here", token: admin)
            #expect(reply.status == .notFound)
            #expect(reply.errorCode == "not_found")
        }
    }

    @Test func duplicatesConflict() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, _, _) = try await app.people(client)
            var reply = try await client.call(.post, "/api/v2/customers", token: admin, json: ["phoneNumber": "+52 (55) 1234-5678"])
            #expect(reply.status == .conflict)
            reply = try await client.call(.post, "/api/v2/agents", token: admin, json: ["name": "Otra Ana", "email": "ana@default.mx"])
            #expect(reply.status == .conflict)
            reply = try await client.call(.post, "/api/v2/customers", token: admin, json: ["firstName": "Sin contacto"])
            #expect(reply.status == .unprocessableContent)
        }
    }
}
