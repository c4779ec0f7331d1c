import DocketTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `/metrics` of the real binary after a scripted mix: refused requests under their real
/// status, tickets counted from every path that creates them, rule runs by pack as the audits
/// record them, SLA clocks decided and compliance.
@Suite("Metrics", .serialized)
struct MetricsTests {
    typealias Server = DurabilityTests

    @Test func metricsCountRefusalsUnderTheirStatusAndTicketsFromEveryPath() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Server.binary.path), "build the docket product first")
        let dataDir = try Scratch.directory("metrics")
        let customer = try await Server.token(dataDir: dataDir)
        let (server, port) = try await Server.serve(dataDir: dataDir)
        defer {
            server.stopInBackground()
        }
        let base = "http://127.0.0.1:\(port)/api/v2"
        // Three refusals (400 malformed, 422 unknown category, 403 staff route), two tickets by a form, one by a chat message.
        var (status, _) = try await Server.request("POST", "\(base)/tickets", token: customer, body: #"{"subject": 5}"#)
        #expect(status == 400)
        (status, _) = try await Server.request("POST", "\(base)/tickets", token: customer, body: #"{"subject":"s","description":"d","category":"nope"}"#)
        #expect(status == 422)
        (status, _) = try await Server.request("GET", "\(base)/agents", token: customer)
        #expect(status == 403)
        // The chat message first: with no open ticket it opens one (201), where it would join one.
        (status, _) = try await Server.request("POST", "\(base)/messages", token: customer, body: #"{"content":"Hola, sigo sin luz"}"#)
        #expect(status == 201)
        var tickets: [[String: Any]] = []
        for index in 0..<2 {
            let (status, body) = try await Server.request("POST", "\(base)/tickets", token: customer, body: #"{"subject":"Corte \#(index)","description":"Sin luz"}"#)
            #expect(status == 201)
            tickets.append(try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["ticket"] as? [String: Any]))
        }
        // Staff answer one ticket in time: its first-response clock is decided, met.
        let admin = try await Server.token(dataDir: dataDir, role: "admin", subject: "boss")
        let answered = try #require(tickets.first?["ticketId"] as? String)
        (status, _) = try await Server.request("POST", "\(base)/tickets/\(answered)/notes", token: admin, body: #"{"content":"Vamos en camino","isInternal":false}"#)
        #expect(status == 201)
        let priority = try #require(tickets.first?["priority"] as? String)
        (status, _) = try await Server.request("GET", "\(base)/tickets?status=bogus", token: customer)
        #expect(status == 400, "an unknown status is refused like an unknown priority")

        let (_, data) = try await Server.request("GET", "http://127.0.0.1:\(port)/metrics")
        let text = String(decoding: data, as: UTF8.self)
        let requests = text.split(separator: "\n").filter { $0.hasPrefix("hb_requests{") || $0.hasPrefix("hb_requests_total{") }
        func count(route: String, method: String, status: Int) -> Int {
            requests.filter {
                $0.contains("http_route=\"\(route)\"") && $0.contains("http_request_method=\"\(method)\"")
                    && $0.contains("http_response_status_code=\"\(status)\"")
            }.compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        }
        #expect(count(route: "/api/v2/tickets", method: "POST", status: 400) == 1, "\(requests)")
        #expect(count(route: "/api/v2/tickets", method: "POST", status: 422) == 1, "\(requests)")
        #expect(count(route: "/api/v2/tickets", method: "POST", status: 201) == 2, "\(requests)")
        #expect(count(route: "/api/v2/agents", method: "GET", status: 403) == 1, "\(requests)")
        #expect(!requests.contains { $0.contains("http_response_status_code=\"500\"") }, "\(requests)")
        let created = text.split(separator: "\n").filter { $0.hasPrefix("docket_tickets_created_total") }
            .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        #expect(created == 3, "\(text.split(separator: "\n").filter { $0.contains("docket_tickets_created_total") })")

        // Rule runs by pack: as many as the tickets' audits record.
        let (_, listed) = try await Server.request("GET", "\(base)/tickets?limit=100", token: admin)
        let ids = try #require((try JSONSerialization.jsonObject(with: listed) as? [String: Any])?["tickets"] as? [[String: Any]]).compactMap { $0["ticketId"] as? String }
        #expect(ids.count == 3)
        var audited = 0
        for id in ids {
            let (_, body) = try await Server.request("GET", "\(base)/tickets/\(id)/rule-audit", token: admin)
            audited += ((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["audit"] as? [Any])?.count ?? 0
        }
        func sample(_ name: String, _ labels: [String: String]) -> Double? {
            let lines = text.split(separator: "\n").filter { line in
                line.hasPrefix(name + "{") && labels.allSatisfy { line.contains("\($0.key)=\"\($0.value)\"") }
            }
            return lines.isEmpty ? nil : lines.compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
        }
        #expect(audited > 0)
        #expect(sample("docket_rule_evaluations_total", ["pack": "luxfree-solar"]) == Double(audited))
        #expect(sample("docket_rule_failures_total", ["pack": "luxfree-solar"]) ?? 0 == 0)
        // SLA compliance: one clock decided (met) for the answered ticket's priority.
        let slaLabels = ["tenant": "default", "priority": priority, "target": "firstResponse"]
        #expect(sample("docket_sla_clocks_decided_total", slaLabels.merging(["outcome": "met"]) { a, _ in a }) == 1, "\(text)")
        #expect(sample("docket_sla_clocks_decided_total", slaLabels.merging(["outcome": "missed"]) { a, _ in a }) == nil)
        #expect(sample("docket_sla_compliance_percent", slaLabels) == 100)
    }
}
