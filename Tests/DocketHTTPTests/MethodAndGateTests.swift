import DocketCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Methods and role gates")
struct MethodAndGateTests {
    /// Every documented path, asked with every method it does not take, answers 405 with an
    /// `Allow` header listing exactly the documented ones — without a token and without reading
    /// a body.
    @Test func everyPathRefusesTheMethodsItDoesNotTakeWith405AndAllow() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let document = try await client.call(.get, "/openapi.json").json()
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var checked = 0
            for (template, operations) in paths {
                // A concrete path: each {parameter} filled with a value.
                let path = template.replacingOccurrences(of: #"\{[^}]+\}"#, with: "x1", options: .regularExpression)
                let documented = Set(operations.keys.map { $0.uppercased() })
                var allowed = documented
                if documented.contains("GET") { allowed.insert("HEAD") }
                for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] where !documented.contains(method) {
                    let reply = try await client.call(HTTPRequest.Method(method)!, path, raw: "{not json")
                    #expect(reply.status == .methodNotAllowed, "\(method) \(path): \(reply.status.code)")
                    #expect(Set((reply.headers[.allow] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) == allowed, "\(method) \(path)")
                    #expect(reply.errorCode == "method_not_allowed")
                    checked += 1
                }
            }
            #expect(checked > 100)
            // Unknown paths stay 404; a documented method goes on to its route.
            #expect(try await client.call(.get, "/api/v2/nothing-here").status == .notFound)
            #expect(try await client.call(.delete, "/api/v2/tickets/x1/nothing").status == .notFound)
            #expect(try await client.call(.get, "/api/v2/tickets").status == .unauthorized)
            // A literal segment wins over a parameter: /tickets/stats/summary is not a ticket.
            let stats = try await client.call(.delete, "/api/v2/tickets/stats/summary")
            #expect(stats.status == .methodNotAllowed)
            #expect(stats.headers[.allow] == "GET, HEAD")
        }
    }

    /// A caller whose role may not use a route is told so before the route looks at the body:
    /// an incomplete or broken body from a customer gets 403, not a complaint about its fields.
    @Test func aRoleThatMayNotUseARouteGets403BeforeItsBodyIsRead() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            for body in [#"{"ticketSingular":"caso"}"#, "{not json", ""] {
                let reply = try await client.call(.put, "/api/v2/config/terminology", token: customer, raw: body)
                #expect(reply.status == .forbidden, "\(body): \(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.errorMessage?.contains("admins") == true)
            }
            #expect(try await client.call(.post, "/api/v2/packs", token: agent, raw: "{broken").status == .forbidden)
            #expect(try await client.call(.post, "/api/v2/messages", token: agent, raw: "{broken").status == .forbidden)
            #expect(try await client.call(.post, "/api/v2/tenants", token: admin, raw: "{broken").status == .forbidden)
            // The role that may use it still gets the body's error.
            #expect(try await client.call(.put, "/api/v2/config/terminology", token: admin, raw: "{broken").status == .badRequest)
        }
    }
}
