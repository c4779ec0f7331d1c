import DocketCore
@testable import DocketHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The dashboard's reports through the API: JSON and CSV, who may see what, and the limits.
@Suite("Reports through the API")
struct ReportAPITests {
    @Test func volumeAnswersJSONAndCSVAndAnAgentSeesTheirOwn() async throws {
        let app = try await TestApp(installShippedPacks: true)
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            let mine = try await app.openTicket(client, token: customer, subject: "Poste caído")
            _ = try await app.openTicket(client, token: customer, subject: "Otra luminaria")
            #expect(try await client.call(.post, "/api/v2/tickets/\(mine)/claim", token: agent).status == .ok)

            let all = try await client.call(.get, "/api/v2/reports/volume?by=agent", token: admin)
            #expect(all.status == .ok)
            let totals = try #require(try all.json()["totals"] as? [String: Any])
            #expect(totals["created"] as? Int == 2)
            let groups = try #require(totals["groups"] as? [String: [String: Any]])
            #expect(groups["ana"]?["created"] as? Int == 1)
            #expect(groups["unassigned"]?["created"] as? Int == 1)
            #expect(try all.json()["timeZone"] as? String == "America/Mexico_City")

            // An agent's report holds their own tickets only, whatever they ask for.
            let own = try await client.call(.get, "/api/v2/reports/volume?agent=someone-else", token: agent)
            #expect(try (own.json()["totals"] as? [String: Any])?["created"] as? Int == 1)
            #expect(try (own.json()["filters"] as? [String: String])?["agent"] == "ana")

            // A supervisor is an agent who sees the whole team's figures, and no admin route.
            let supervisor = try await app.token(.supervisor, "sara")
            let team = try await client.call(.get, "/api/v2/reports/volume?by=agent", token: supervisor)
            #expect(try (team.json()["totals"] as? [String: Any])?["created"] as? Int == 2)
            #expect(try (team.json()["filters"] as? [String: String])?["agent"] == nil)
            #expect(try await client.call(.get, "/api/v2/api-keys", token: supervisor).status == .forbidden)
            #expect(try await client.call(.get, "/api/v2/tickets", token: supervisor).status == .ok)

            // CSV: by path or by Accept, a header then a row per bucket and group, then the totals.
            for (path, accept) in [("/api/v2/reports/volume.csv?by=agent", nil), ("/api/v2/reports/volume?by=agent", "text/csv")] {
                var headers: HTTPFields = [.authorization: "Bearer \(admin)"]
                if let accept { headers[.accept] = accept }
                let reply = try await client.execute(uri: path, method: .get, headers: headers, body: nil) { response in
                    (response.status, response.headers[.contentType], String(buffer: response.body))
                }
                #expect(reply.0 == .ok)
                #expect(reply.1?.hasPrefix("text/csv") == true)
                let lines = reply.2.split(separator: "\r\n").map(String.init)
                #expect(lines.first == "start,agent,created,resolved")
                #expect(lines.contains { $0.hasPrefix("total,ana,1,0") })
                #expect(lines.contains { $0.hasPrefix("total,,2,0") })
            }

            // Customers may not read reports; bad questions are 400s naming the parameter.
            let refused = try await client.call(.get, "/api/v2/reports/volume", token: customer)
            #expect(refused.status == .forbidden)
            let badInterval = try await client.call(.get, "/api/v2/reports/times?interval=fortnight", token: admin)
            #expect(badInterval.status == .badRequest)
            #expect(try (badInterval.json()["error"] as? [String: Any])?["field"] as? String == "interval")
            let tooMany = try await client.call(.get, "/api/v2/reports/volume?interval=hour&from=2026-01-01&to=2026-06-01", token: admin)
            #expect(tooMany.status == .badRequest)
            let backwards = try await client.call(.get, "/api/v2/reports/volume?from=2026-06-01&to=2026-01-01", token: admin)
            #expect(backwards.status == .badRequest)
            let emptyDays = try await client.call(.get, "/api/v2/reports/agents.csv?lastDays=", token: admin)
            #expect(emptyDays.status == .badRequest)
            let statusElsewhere = try await client.call(.get, "/api/v2/reports/volume?by=status", token: admin)
            #expect(statusElsewhere.status == .badRequest)
        }
    }

    @Test func theRulesReportCountsTheShippedPacksRulesForSupervisorsAndAdmins() async throws {
        let app = try await TestApp(installShippedPacks: true)
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            for n in 1...3 { _ = try await app.openTicket(client, token: customer, subject: "Luminaria \(n) apagada") }
            let reply = try await client.call(.get, "/api/v2/reports/rules", token: admin)
            #expect(reply.status == .ok)
            let body = try reply.json()
            #expect(body["by"] as? String == "pack")
            let totals = try #require(body["totals"] as? [String: Any])
            let groups = try #require(totals["groups"] as? [String: [String: Any]])
            // The tenant's one pack version ran its rules for each new ticket, without failing.
            #expect(groups.count == 1)
            let (version, figures) = try #require(groups.first)
            #expect(version.contains("@"))
            #expect((figures["evaluations"] as? Int ?? 0) >= 3 && figures["errors"] as? Int == 0)
            #expect(totals["evaluations"] as? Int == figures["evaluations"] as? Int)
            #expect((body["failing"] as? [Any])?.isEmpty == true)

            // Agents may not read it (refused before the report is read); a supervisor may.
            let refused = try await client.call(.get, "/api/v2/reports/rules", token: agent)
            #expect(refused.status == .forbidden)
            let supervisor = try await app.token(.supervisor, "sara")
            #expect(try await client.call(.get, "/api/v2/reports/rules", token: supervisor).status == .ok)
            let csv = try await client.execute(uri: "/api/v2/reports/rules.csv", method: .get, headers: [.authorization: "Bearer \(admin)"], body: nil) {
                String(buffer: $0.body)
            }
            #expect(csv.hasPrefix("start,pack,actions,averageMicros,budgetOverruns,errors,evaluations,rejected\r\n"))
            // Its figures are per pack version: a filter is a 400 naming it.
            let filtered = try await client.call(.get, "/api/v2/reports/rules?queue=field", token: admin)
            #expect(filtered.status == .badRequest)
            #expect(try (filtered.json()["error"] as? [String: Any])?["field"] as? String == "queue")
        }
    }

    @Test func theTicketsBehindABucketExportAsCSVWithTheirTimes() async throws {
        let app = try await TestApp(installShippedPacks: true)
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            let hostile = try await app.openTicket(client, token: customer, subject: "=HYPERLINK(\"http://evil\",\"x\"), \"quoted\"")
            _ = try await app.openTicket(client, token: customer, subject: "Otra")
            #expect(try await client.call(.post, "/api/v2/tickets/\(hostile)/claim", token: agent).status == .ok)
            let reply = try await client.execute(
                uri: "/api/v2/tickets.csv?assignedAgent=ana", method: .get, headers: [.authorization: "Bearer \(admin)"], body: nil
            ) { response in (response.status, response.headers[.contentType], String(buffer: response.body)) }
            #expect(reply.0 == .ok)
            #expect(reply.1?.hasPrefix("text/csv") == true)
            let lines = reply.2.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 2)
            #expect(lines[0].hasPrefix("ticketId,subject,status,priority,category,channel,queue,assignedAgent"))
            // The subject a customer wrote is a cell of text, never a formula.
            #expect(lines[1].hasPrefix("\(hostile),\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\"), \"\"quoted\"\"\",open,"))
            #expect(try await client.call(.get, "/api/v2/tickets.csv", token: customer).status == .forbidden)
        }
    }

    @Test func aCSVCellASpreadsheetWouldRunIsText() {
        #expect(ReportCSV.cell("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"")
        #expect(ReportCSV.cell("-12") == "-12")
        #expect(ReportCSV.cell("@agent") == "'@agent")
        #expect(ReportCSV.cell("a,b") == "\"a,b\"")
        #expect(ReportCSV.cell("línea\nnueva") == "\"línea\nnueva\"")
    }
}
