import DocketCore
import Foundation
import Testing

func utc(_ text: String) -> Date { try! Date.ISO8601FormatStyle().parse(text) }

@Suite("Business hours configuration")
struct BusinessHoursAPITests {
    @Test func aTenantCalendarReplacesThePacksForNewDueTimes() async throws {
        let app = try await TestApp(clock: ManualClock(utc("2026-11-20T16:30:00Z")))  // Friday
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            var reply = try await client.call(.get, "/api/v2/config/business-hours", token: agent)
            #expect(((try reply.json()["calendar"] as? [String: Any])?["timeZone"] as? String) == "America/Mexico_City")
            reply = try await client.call(.put, "/api/v2/config/business-hours", token: agent, json: ["timeZone": "UTC"])
            #expect(reply.status == .forbidden)
            reply = try await client.call(.put, "/api/v2/config/business-hours", token: admin, json: ["timeZone": "Mars/Base", "week": ["monday": ["9-5"]]])
            #expect(reply.status == .unprocessableContent)
            let weekdays = Dictionary(uniqueKeysWithValues: ["monday", "tuesday", "wednesday", "thursday", "friday"].map { ($0, ["09:00-17:00"]) })
            reply = try await client.call(.put, "/api/v2/config/business-hours", token: admin, json: ["timeZone": "UTC", "week": weekdays, "holidays": ["2026-11-23"]])
            #expect(reply.status == .ok, "\(String(decoding: reply.body, as: UTF8.self))")
            // Medium: first response in 4 business hours. Friday 16:30 → 30 min, Monday is a holiday → Tuesday 12:30.
            let id = try await app.openTicket(client, token: customer, subject: "Pregunta", extra: ["description": "Una duda", "category": "other"])
            let ticket = try #require(try await client.call(.get, "/api/v2/tickets/\(id)", token: admin).ticket)
            let clocks = try #require((ticket["sla"] as? [String: Any])?["clocks"] as? [[String: Any]])
            #expect(clocks.first { $0["kind"] as? String == "firstResponse" }?["dueAt"] as? String == "2026-11-24T12:30:00.000Z")
            // The time left is business time: 4 h at 16:30 on Friday; at 17:10 (closed since
            // 17:00) 3 h 30 min, and still that on the holiday Monday.
            #expect(clocks.first { $0["kind"] as? String == "firstResponse" }?["remainingSeconds"] as? Double == 14_400)
            for at in ["2026-11-20T17:10:00Z", "2026-11-23T15:00:00Z"] {
                app.clock.set(utc(at))
                let later = try #require(try await client.call(.get, "/api/v2/tickets/\(id)", token: admin).ticket)
                let left = ((later["sla"] as? [String: Any])?["clocks"] as? [[String: Any]])?.first { $0["kind"] as? String == "firstResponse" }
                #expect(left?["remainingSeconds"] as? Double == 12_600, "at \(at)")
            }
            let all = try await client.call(.get, "/api/v2/config/all", token: admin).json()["configurations"] as? [String: Any]
            #expect((all?["overridden"] as? [String])?.contains("business_hours") == true)
            reply = try await client.call(.post, "/api/v2/config/reset/business_hours", token: admin)
            #expect(reply.status == .ok)
            reply = try await client.call(.get, "/api/v2/config/business-hours", token: agent)
            #expect(((try reply.json()["calendar"] as? [String: Any])?["timeZone"] as? String) == "America/Mexico_City")
        }
    }
}
