import DocketCore
import Foundation
import HummingbirdTesting
import Testing

@Suite("Rules through the API")
struct RulesAPITests {
    @Test func dangerWordsMakeANewTicketUrgentInTheSameWrite() async throws {
        // 2026-11-18 16:00 UTC: 10:00 in Mexico City, the office is open.
        let app = try await TestApp(clock: ManualClock(Date(timeIntervalSince1970: 1_795_017_600)))
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            var reply = try await client.call(.post, "/api/v2/tickets", token: customer, json: [
                "subject": "Salen chispas del poste", "description": "Frente al número 12 hay chispas y olor a quemado",
            ])
            #expect(reply.status == .created)
            let ticket = try #require(reply.ticket)
            #expect(ticket["priority"] as? String == "urgent")
            #expect(ticket["category"] as? String == "electrical_issue")
            #expect(ticket["queue"] as? String == "electrical")
            #expect(ticket["tags"] as? [String] == ["riesgo_electrico"])
            #expect(ticket["version"] as? Int == 1)
            #expect((ticket["sla"] as? [String: Any])?["firstResponseTargetMs"] as? Int == 15 * 60 * 1000)
            #expect(ticket["ruleAudit"] == nil)  // customers never see the audit
            let id = try #require(ticket["ticketId"] as? String)

            reply = try await client.call(.get, "/api/v2/tickets/\(id)/rule-audit", token: customer)
            #expect(reply.status == .forbidden)
            reply = try await client.call(.get, "/api/v2/tickets/\(id)/rule-audit", token: agent)
            #expect(reply.status == .ok)
            let audit = try #require(try reply.json()["audit"] as? [[String: Any]])
            #expect(audit.count == 1)
            #expect(audit[0]["event"] as? String == "ticket.created")
            #expect(audit[0]["rule"] as? String == "rules/triage.lua:on_ticket_created")
            #expect(audit[0]["packId"] as? String == "luxfree-solar")
            #expect((audit[0]["applied"] as? [String])?.count == 4)
            #expect((audit[0]["rejected"] as? [Any])?.isEmpty == true)

            // A customer's dangerous reply on a calmer ticket raises it again (note.added rule).
            let calm = try await app.openTicket(client, token: customer, subject: "Medidor ruidoso", extra: ["description": "El medidor hace ruido", "category": "maintenance"])
            reply = try await client.call(.post, "/api/v2/tickets/\(calm)/notes", token: customer, json: ["content": "Ahora sale humo"])
            #expect(reply.ticket?["priority"] as? String == "urgent")
            reply = try await client.call(.get, "/api/v2/tickets/\(calm)", token: admin)
            let notes = try #require(reply.ticket?["notes"] as? [[String: Any]])
            #expect(notes.last?["authorRole"] as? String == "system")
            #expect(notes.last?["isInternal"] as? Bool == true)
            reply = try await client.call(.get, "/api/v2/tickets/\(calm)", token: customer)
            #expect((reply.ticket?["notes"] as? [Any])?.count == 1)
        }
    }

    @Test func invalidActionsAreRejectedWithAReasonAndTheRestApplied() async throws {
        let app = try await TestApp(ruleOverrides: [
            "rules/triage.lua": """
                function on_ticket_created(event, ctx)
                  return {
                    { type = "set_category", category = "pizza" },
                    { type = "route_to_queue", queue = "nowhere" },
                    { type = "assign", agent = "ghost" },
                    { type = "set_status", status = "closed", reason = "spam" },
                    { type = "add_tag", tag = "revisado" },
                  }
                end
                """,
        ])
        try await app.test { client in
            let (_, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            var reply = try await client.call(.get, "/api/v2/tickets/\(id)", token: agent)
            #expect(reply.ticket?["status"] as? String == "closed")
            #expect(reply.ticket?["tags"] as? [String] == ["revisado"])
            #expect(reply.ticket?["category"] as? String == "light_malfunction")
            reply = try await client.call(.get, "/api/v2/tickets/\(id)/rule-audit", token: agent)
            let entry = try #require((try reply.json()["audit"] as? [[String: Any]])?.first)
            let rejected = try #require(entry["rejected"] as? [[String: String]])
            #expect(rejected.map { $0["action"] } == ["set_category(pizza)", "route_to_queue(nowhere)", "assign(ghost)"])
            #expect(rejected[0]["reason"]?.contains("not an active category") == true)
            #expect(entry["applied"] as? [String] == ["set_status(closed)", "add_tag(revisado)"])
        }
    }

    @Test func aFailingRuleNeverLosesTheOperation() async throws {
        let app = try await TestApp(ruleOverrides: ["rules/triage.lua": "function on_ticket_created() while true do end end"])
        try await app.test { client in
            let (_, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            let reply = try await client.call(.get, "/api/v2/tickets/\(id)/rule-audit", token: agent)
            let entry = try #require((try reply.json()["audit"] as? [[String: Any]])?.first)
            #expect((entry["error"] as? String)?.contains("budget") == true)
            #expect(try await client.call(.get, "/api/v2/tickets/\(id)", token: agent).status == .ok)
        }
    }

    @Test func followUpEventsStopAtTheDepthLimit() async throws {
        // Each priority change triggers another: the chain must stop.
        let app = try await TestApp(ruleOverrides: [
            "rules/triage.lua": """
                function on_ticket_created() return { { type = "set_priority", priority = "high" } } end
                """,
            "rules/followup.lua": """
                function on_note_added(event) return { { type = "set_priority", priority = event.ticket.priority == "low" and "urgent" or "low" } } end
                function on_status_changed() return nil end
                """,
        ])
        try await app.test { client in
            let (_, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            let reply = try await client.call(.post, "/api/v2/tickets/\(id)/notes", token: customer, json: ["content": "hola"])
            #expect(reply.status == .created)
            let audit = try #require((try await client.call(.get, "/api/v2/tickets/\(id)/rule-audit", token: agent).json())["audit"] as? [[String: Any]])
            // followup.lua fires once per chain: note.added → priority.changed is not handled by it again.
            #expect(audit.filter { ($0["rule"] as? String)?.hasPrefix("rules/followup.lua") == true }.count == 1)
        }
    }
}

@Suite("What a rule can add to a ticket")
struct RuleOutputBoundsTests {
    /// A rule that returns the most it may, with enormous texts, on every note, and fails with an
    /// enormous error on every status change: the ticket stays within the documented size,
    /// and the audit says what was cut.
    @Test func aRuleCannotMakeATicketHuge() async throws {
        let app = try await TestApp(ruleOverrides: [
            "rules/followup.lua": """
                function on_note_added()
                  local out = {}
                  for i = 1, 10 do out[#out + 1] = { type = "add_internal_note", text = string.rep("n", 10000) } end
                  for i = 1, 20 do out[#out + 1] = { type = "set_category", category = string.rep("c", 5000) } end
                  for i = 1, 20 do out[#out + 1] = { type = "add_tag", tag = string.rep("t", 5000) } end
                  return out
                end
                function on_status_changed() error(string.rep("e", 100000)) end
                """,
        ])
        try await app.test { client in
            let (_, agent, customer) = try await app.people(client)
            let id = try await app.openTicket(client, token: customer)
            for index in 0..<150 {
                let reply = try await client.call(.post, "/api/v2/tickets/\(id)/notes", token: agent, json: ["content": "nota \(index)", "isInternal": true])
                #expect(reply.status == .created)
            }
            _ = try await client.succeed(.post, "/api/v2/tickets/\(id)/claim", token: agent)
            _ = try await client.succeed(.post, "/api/v2/tickets/\(id)/status", token: agent, json: ["status": "in_progress"])

            let reply = try await client.call(.get, "/api/v2/tickets/\(id)", token: agent)
            let ticket = try #require(reply.ticket)
            let notes = try #require(ticket["notes"] as? [[String: Any]])
            let ruleNotes = notes.filter { ($0["authorId"] as? String)?.hasPrefix("rule:") == true }
            #expect(ruleNotes.count == RuleOutputBounds.notesPerTicket)
            #expect(ruleNotes.allSatisfy { ($0["content"] as? String)?.count == RuleOutputBounds.note })
            let audit = try #require((try await client.call(.get, "/api/v2/tickets/\(id)/rule-audit", token: agent).json())["audit"] as? [[String: Any]])
            let auditBytes = try JSONSerialization.data(withJSONObject: audit).count
            let ruleNoteBytes = try JSONSerialization.data(withJSONObject: ruleNotes).count
            #expect(auditBytes <= 300_000, "the audit's JSON: \(auditBytes) bytes")
            #expect(ruleNoteBytes <= 250_000, "the rule notes' JSON: \(ruleNoteBytes) bytes")
            print("rule-made parts after 150 maximal evaluations and a failing one: audit \(audit.count) entries, \(auditBytes) bytes; rule notes \(ruleNotes.count), \(ruleNoteBytes) bytes; whole ticket \(reply.body.count) bytes")

            // The audit says what was cut.
            let maximal = try #require(audit.first { ($0["rule"] as? String)?.hasSuffix("on_note_added") == true })
            let cuts = try #require(maximal["cuts"] as? [String])
            #expect(cuts.contains("add_internal_note: 10 texts cut to 2000 characters (the longest had 10000)"), "\(cuts)")
            #expect(cuts.contains("proposed: 50 listed as 20"), "\(cuts)")
            #expect(cuts.count <= 8, "one line per kind of cut: \(cuts)")
            #expect((maximal["proposed"] as? [String])?.count == 21)
            #expect((maximal["proposed"] as? [String])?.allSatisfy { $0.count <= RuleOutputBounds.summary } == true)
            let failed = try #require(audit.last { $0["rule"] as? String == "rules/followup.lua:on_status_changed" })
            #expect((failed["error"] as? String)?.count == RuleOutputBounds.error)
            #expect((failed["cuts"] as? [String])?.first?.hasPrefix("error: ") == true)
        }
    }
}
