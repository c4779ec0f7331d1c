import DocketCore
import DocketHTTP
import Foundation
import HummingbirdTesting
import Testing

@Suite("Ticket API")
struct TicketAPITests {
    @Test func fullLifecycleThroughTheAPI() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer, extra: ["priority": "urgent", "tags": ["Poste"]])
            #expect(id == "LUX-2026-000001")

            var reply = try await client.call(.get, "/api/v2/tickets/\(id)", token: customer)
            #expect(reply.status == .ok)
            #expect(reply.ticket?["status"] as? String == "new")
            #expect(reply.ticket?["source"] as? String == "web")
            #expect((reply.ticket?["sla"] as? [String: Any])?["firstResponseTargetMs"] as? Int == 15 * 60 * 1000)

            reply = try await client.call(.post, "/api/v2/tickets/\(id)/claim", token: agent)
            #expect(reply.status == .ok)
            #expect(reply.ticket?["assignedAgent"] as? String == "ana")
            #expect(reply.ticket?["status"] as? String == "open")

            app.clock.advance(by: 600)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/status", token: agent, json: ["status": "in_progress", "reason": "en camino"])
            #expect(reply.status == .ok)
            let sla = try #require(reply.ticket?["sla"] as? [String: Any])
            #expect(sla["firstResponseMet"] as? Bool == true)
            #expect(sla["firstResponseAt"] != nil)

            reply = try await client.call(.post, "/api/v2/tickets/\(id)/notes", token: agent, json: ["content": "proveedor Zafiro, no decir al cliente"])
            #expect(reply.status == .created)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/notes", token: agent, json: ["content": "Vamos en camino", "isInternal": false])
            #expect(reply.status == .created)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/status", token: agent, json: ["status": "pending_customer"])
            #expect(reply.status == .ok)

            // The customer sees only the public note, and replying brings the ticket back.
            reply = try await client.call(.get, "/api/v2/tickets/\(id)", token: customer)
            let notes = try #require(reply.ticket?["notes"] as? [[String: Any]])
            #expect(notes.map { $0["content"] as? String } == ["Vamos en camino"])
            reply = try await client.call(.get, "/api/v2/tickets?search=zafiro", token: customer)
            #expect((try reply.json()["tickets"] as? [Any])?.count == 0)
            reply = try await client.call(.get, "/api/v2/tickets?search=zafiro", token: agent)
            #expect((try reply.json()["tickets"] as? [Any])?.count == 1)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/notes", token: customer, json: ["content": "Ya les abrí la puerta"])
            #expect(reply.status == .created)
            #expect(reply.ticket?["status"] as? String == "in_progress")
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/notes", token: customer, json: ["content": "x", "isInternal": true])
            #expect(reply.status == .forbidden)

            // Feedback only once resolved, and only by the customer.
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/feedback", token: customer, json: ["rating": 5])
            #expect(reply.status == .conflict)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/resolve", token: agent, json: ["resolutionNotes": "Cambio de balastro"])
            #expect(reply.status == .ok)
            #expect((reply.ticket?["resolution"] as? [String: Any])?["notes"] as? String == "Cambio de balastro")
            #expect((reply.ticket?["sla"] as? [String: Any])?["resolutionMet"] as? Bool == true)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/feedback", token: agent, json: ["rating": 5])
            #expect(reply.status == .forbidden)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/feedback", token: customer, json: ["rating": 6])
            #expect(reply.status == .unprocessableContent)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/feedback", token: customer, json: ["rating": 5, "comment": "¡Excelente!"])
            #expect(reply.status == .ok)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/status", token: admin, json: ["status": "closed"])
            #expect(reply.ticket?["closedAt"] != nil)
            let history = try #require(reply.ticket?["statusHistory"] as? [[String: Any]])
            #expect(history.map { $0["to"] as? String } == ["new", "open", "in_progress", "pending_customer", "in_progress", "resolved", "closed"])

            reply = try await client.call(.get, "/api/v2/customers/cust1", token: customer)
            #expect(((try reply.json()["customer"] as? [String: Any])?["statistics"] as? [String: Any])?["totalTickets"] as? Int == 1)
        }
    }

    @Test func invalidTransitionsAnswer409WithTheAllowedTargets() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (_, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            var reply = try await client.call(.post, "/api/v2/tickets/\(id)/status", token: agent, json: ["status": "resolved"])
            #expect(reply.status == .conflict)
            #expect(reply.errorCode == "invalid_transition")
            let details = try #require((try reply.json()["error"] as? [String: Any])?["details"] as? [String: [String]])
            #expect(details["allowed"] == ["open", "in_progress", "closed"])
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/status", token: agent, json: ["status": "limbo"])
            #expect(reply.status == .unprocessableContent)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/resolve", token: agent, json: ["resolutionNotes": "n"])
            #expect(reply.status == .conflict)
            reply = try await client.call(.get, "/api/v2/tickets/\(id)", token: agent)
            #expect(reply.ticket?["status"] as? String == "new")
            #expect(reply.ticket?["version"] as? Int == 1)
        }
    }

    @Test func fiftyConcurrentClaimsHaveExactlyOneWinner() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (_, _, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            var tokens: [String] = []
            for index in 0..<50 { tokens.append(try await app.token(.agent, "agent-\(index)")) }
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for token in tokens { group.addTask { try await client.call(.post, "/api/v2/tickets/\(id)/claim", token: token) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = replies.filter { $0.status == .ok }
            #expect(winners.count == 1)
            let holder = try #require(winners.first?.ticket?["assignedAgent"] as? String)
            let losers = replies.filter { $0.status == .conflict }
            #expect(losers.count == 49)
            for loser in losers {
                #expect(loser.errorCode == "already_claimed")
                let message = (try loser.json()["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains(holder))
            }
            let reply = try await client.call(.get, "/api/v2/tickets/\(id)", token: tokens[0])
            #expect(reply.ticket?["assignedAgent"] as? String == holder)
            #expect((reply.ticket?["statusHistory"] as? [Any])?.count == 2)
        }
    }

    @Test func claimingAnotherAgentsTicketNamesTheHolder() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (_, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            #expect(try await client.call(.post, "/api/v2/tickets/\(id)/claim", token: agent).status == .ok)
            #expect(try await client.call(.post, "/api/v2/tickets/\(id)/claim", token: agent).status == .ok)  // idempotent
            let reply = try await client.call(.post, "/api/v2/tickets/\(id)/claim", token: try await app.token(.agent, "bob"))
            #expect(reply.status == .conflict)
            let message = (try reply.json()["error"] as? [String: Any])?["message"] as? String
            #expect(message == "ticket '\(id)' is already claimed by Ana López (ana)")
        }
    }

    @Test func twoHundredConcurrentCreatesGetConsecutiveNumbers() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let customer = try await app.token(.customer, "cust-many")
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<200 {
                    group.addTask { try await app.openTicket(client, token: customer, subject: "Reporte \(index)") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(ids).count == 200)
            #expect(ids.sorted() == (1...200).map { String(format: "LUX-2026-%06d", $0) })
            let reply = try await client.call(.get, "/api/v2/customers/cust-many", token: customer)
            #expect(((try reply.json()["customer"] as? [String: Any])?["statistics"] as? [String: Any])?["totalTickets"] as? Int == 200)
        }
    }

    @Test func theSequenceResetsWhenTheYearChangesInTheTenantsTimeZone() async throws {
        // 2027-01-01 05:59 UTC is still 31 December 2026 in Mexico City (UTC-6).
        let clock = ManualClock(Date(timeIntervalSince1970: 1_798_783_140))
        let app = try await TestApp(clock: clock)
        try await app.test { client in
            let customer = try await app.token(.customer, "c")
            #expect(try await app.openTicket(client, token: customer) == "LUX-2026-000001")
            #expect(try await app.openTicket(client, token: customer) == "LUX-2026-000002")
            clock.advance(by: 120)
            #expect(try await app.openTicket(client, token: customer) == "LUX-2027-000001")
            #expect(try await app.openTicket(client, token: customer) == "LUX-2027-000002")
        }
    }

    @Test func listsFilterSortPaginateAndSearch() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            for index in 0..<12 {
                let priority = ["low", "medium", "high", "urgent"][index % 4]
                let subject = index == 3 ? "Instalación de paneles" : "Reporte \(index)"
                let id = try await app.openTicket(client, token: customer, subject: subject, extra: ["priority": priority])
                if index % 3 == 0 { _ = try await client.call(.post, "/api/v2/tickets/\(id)/claim", token: agent) }
                app.clock.advance(by: 60)
            }
            var reply = try await client.call(.get, "/api/v2/tickets?limit=5&page=3", token: admin)
            var json = try reply.json()
            #expect((json["tickets"] as? [Any])?.count == 2)
            #expect(json["pagination"] as? [String: Int] == ["page": 3, "limit": 5, "total": 12, "pages": 3])
            reply = try await client.call(.get, "/api/v2/tickets?status=open&assignedAgent=ana", token: admin)
            #expect((try reply.json()["pagination"] as? [String: Int])?["total"] == 4)
            reply = try await client.call(.get, "/api/v2/tickets?assignedAgent=none", token: admin)
            #expect((try reply.json()["pagination"] as? [String: Int])?["total"] == 8)
            reply = try await client.call(.get, "/api/v2/tickets?priority=urgent&sortBy=createdAt&sortOrder=asc", token: admin)
            json = try reply.json()
            #expect((json["tickets"] as? [[String: Any]])?.first?["ticketId"] as? String == "LUX-2026-000004")
            // An unknown value of a fixed set is a 400 that lists them, as an unknown status is.
            reply = try await client.call(.get, "/api/v2/tickets?priority=critical", token: admin)
            #expect(reply.status == .badRequest)
            #expect(((try reply.json()["error"] as? [String: Any])?["details"] as? [String: [String]])?["allowed"] == ["low", "medium", "high", "urgent"])
            // An empty number is no number (the document says integer); an empty text is left out.
            #expect(try await client.call(.get, "/api/v2/tickets?limit=", token: admin).status == .badRequest)
            #expect(try await client.call(.get, "/api/v2/tickets?search=", token: admin).status == .ok)
            reply = try await client.call(.get, "/api/v2/tickets?search=instalacion", token: admin)
            #expect(((try reply.json()["tickets"] as? [[String: Any]])?.map { $0["ticketId"] as? String }) == ["LUX-2026-000004"])
            reply = try await client.call(.get, "/api/v2/tickets?search=LUX-2026-000007", token: admin)
            #expect((try reply.json()["pagination"] as? [String: Int])?["total"] == 1)
            reply = try await client.call(.get, "/api/v2/customers/cust1/tickets?limit=100", token: customer)
            #expect((try reply.json()["pagination"] as? [String: Int])?["total"] == 12)

            reply = try await client.call(.get, "/api/v2/tickets/stats/summary", token: admin)
            let stats = try #require(try reply.json()["stats"] as? [String: Any])
            #expect(stats["total"] as? Int == 12)
            #expect((stats["byStatus"] as? [String: Int])?["open"] == 4)
            #expect((stats["byStatus"] as? [String: Int])?["closed"] == 0)
            #expect((stats["byPriority"] as? [String: Int])?["urgent"] == 3)
            let agents = try #require(stats["agents"] as? [[String: Any]])
            #expect(agents.first?["agentId"] as? String == "ana")
            #expect(agents.first?["name"] as? String == "Ana López")
            #expect(agents.first?["assigned"] as? Int == 4)
        }
    }

    @Test func updatesEscalationsAndAssignmentsValidateTheirInput() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            var reply = try await client.call(.put, "/api/v2/tickets/\(id)", token: agent, json: ["priority": "urgent", "category": "electrical_issue", "tags": ["Riesgo"]])
            #expect(reply.status == .ok)
            #expect((reply.ticket?["sla"] as? [String: Any])?["resolutionTargetMs"] as? Int == 4 * 3600 * 1000)
            #expect(reply.ticket?["tags"] as? [String] == ["riesgo"])
            reply = try await client.call(.put, "/api/v2/tickets/\(id)", token: agent, json: ["category": "pizza"])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorCode == "validation_failed")
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/assign", token: agent, json: ["agentId": "ghost"])
            #expect(reply.status == .unprocessableContent)
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/assign", token: admin, json: ["agentId": "ana"])
            #expect(reply.ticket?["status"] as? String == "open")
            reply = try await client.call(.post, "/api/v2/tickets/\(id)/escalate", token: agent, json: ["reason": "Riesgo eléctrico"])
            #expect(reply.status == .ok)
            #expect((reply.ticket?["escalation"] as? [String: Any])?["reason"] as? String == "Riesgo eléctrico")
            reply = try await client.call(.get, "/api/v2/tickets?escalated=true", token: agent)
            #expect((try reply.json()["pagination"] as? [String: Int])?["total"] == 1)
        }
    }
}
