import DocketCore
import Foundation
import HummingbirdTesting
import Testing

/// Why a ticket is as it is: the trace of each change, and a ticket replayed under another version.
@Suite("Rule trace and replay through the API")
struct RuleTraceTests {
    @Test func theTraceSaysWhichHandlerDecidedEachChangeAndHowEachRunEnded() async throws {
        let app = try await TestApp(ruleOverrides: [
            "rules/followup.lua": """
                function on_note_added(event, ctx)
                  local text = event.details.text or ""
                  if text == "boom" then error("the rule broke") end
                  if text == "spin" then while true do end end
                  if text == "later" then return { { type = "schedule", name = "check_back", after = "2h" } } end
                end
                """,
        ])
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer, subject: "Salen chispas del poste", extra: ["description": "Chispas frente al 12"])
            for text in ["boom", "spin", "hola", "later"] {
                try await client.succeed(.post, "/api/v2/tickets/\(id)/notes", token: agent, json: ["content": text])
            }
            var reply = try await client.call(.get, "/api/v2/tickets/\(id)/trace", token: customer)
            #expect(reply.status == .forbidden)
            reply = try await client.call(.get, "/api/v2/tickets/\(id)/trace", token: agent)
            #expect(reply.status == .ok)
            let trace = try reply.json()
            #expect(trace["activePack"] as? String == "luxfree-solar@1.3.0")
            let changes = try #require(trace["changes"] as? [[String: Any]])
            // Newest first: later (v5), hola (v4), spin (v3), boom (v2), the creation (v1).
            #expect(changes.map { $0["ticketVersion"] as? Int } == [5, 4, 3, 2, 1])
            func handler(_ change: [String: Any]) -> [String: Any] {
                (change["handlers"] as? [[String: Any]])?.first { $0["rule"] as? String == "rules/followup.lua:on_note_added" } ?? [:]
            }
            #expect(handler(changes[0])["outcome"] as? String == "actions")
            #expect((changes[0]["decisions"] as? [[String: Any]])?.map { $0["action"] as? String } == ["schedule(check_back, 2h)"])
            #expect(handler(changes[1])["outcome"] as? String == "no_actions")
            #expect(handler(changes[2])["outcome"] as? String == "budget")
            #expect((handler(changes[2])["instructions"] as? Int ?? 0) >= 1_000)
            #expect(handler(changes[3])["outcome"] as? String == "error")
            // The error names its Lua position.
            #expect((handler(changes[3])["error"] as? String)?.contains("followup.lua:3: the rule broke") == true, "\(handler(changes[3]))")
            let creation = changes[4]
            #expect(creation["events"] as? [String] == ["ticket.created"])
            let decided = (creation["decisions"] as? [[String: Any]] ?? []).map { "\($0["action"] ?? "") \($0["rule"] ?? "") \($0["pack"] ?? "")" }
            #expect(decided.contains("route_to_queue(electrical) rules/triage.lua:on_ticket_created luxfree-solar@1.3.0"), "\(decided)")
            // The timer the last change set is on the ticket for staff.
            let ticket = try #require(try await client.call(.get, "/api/v2/tickets/\(id)", token: admin).ticket)
            #expect((ticket["timers"] as? [[String: Any]])?.map { $0["name"] as? String } == ["check_back"])
        }
    }

    @Test func aTicketReplayedUnderAnotherVersionShowsWhatWouldDiffer() async throws {
        // 10:00 in Mexico City: office hours.
        let app = try await TestApp(clock: ManualClock(Date(timeIntervalSince1970: 1_795_017_600)), installShippedPacks: true)
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            let platform = try await app.token(.platform, "ops")
            let sparks = try await app.openTicket(client, token: customer, subject: "Salen chispas del poste", extra: ["description": "Chispas", "category": "other"])
            let quiet = try await app.openTicket(client, token: customer, subject: "Duda de factura", extra: ["description": "Una pregunta", "category": "other"])
            // 1.4.0 sends electrical danger to billing.
            var reply = try await client.call(.post, "/api/v2/packs", token: platform, json: try billingCandidate())
            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")

            reply = try await client.call(.post, "/api/v2/tickets/\(sparks)/replay", token: agent, json: ["version": "1.4.0"])
            #expect(reply.status == .forbidden)
            reply = try await client.call(.post, "/api/v2/tickets/\(sparks)/replay", token: admin, json: ["version": "1.4.0"])
            #expect(reply.status == .ok, "\(String(decoding: reply.body, as: UTF8.self))")
            var report = try reply.json()
            #expect(report["candidateVersion"] as? String == "luxfree-solar@1.4.0")
            #expect(report["events"] as? Int == 1)
            #expect(report["changed"] as? Int == 1)
            let result = try #require((report["results"] as? [[String: Any]])?.first)
            #expect(result["ticketId"] as? String == sparks)
            #expect(result["onlyActive"] as? [String] == ["route_to_queue(electrical)"])
            #expect(result["onlyCandidate"] as? [String] == ["route_to_queue(billing)"])
            // Another ticket's events stay out; its own replay changes nothing.
            report = try await client.call(.post, "/api/v2/tickets/\(quiet)/replay", token: admin, json: ["version": "1.4.0"]).json()
            #expect((report["results"] as? [[String: Any]])?.allSatisfy { $0["ticketId"] as? String == quiet } == true)
            #expect(report["changed"] as? Int == 0)
            // Nothing was written.
            let ticket = try #require(try await client.call(.get, "/api/v2/tickets/\(sparks)", token: admin).ticket)
            #expect(ticket["queue"] as? String == "electrical")
            reply = try await client.call(.post, "/api/v2/tickets/\(sparks)/replay", token: admin, json: ["version": "9.9.9"])
            #expect(reply.status == .notFound)
            reply = try await client.call(.post, "/api/v2/tickets/NOPE-1/replay", token: admin, json: ["version": "1.4.0"])
            #expect(reply.status == .notFound)
        }
    }
}
