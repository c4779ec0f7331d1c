import DocketCore
import Foundation
import Testing

/// Issue 16, 6: a search sorted by creation lists tickets in creation order, even when many
/// writers created them at once while the clock moved.
@Suite("Search order")
struct SearchOrderTests {
    @Test func searchResultsSortedByCreationAreInCreationOrder() async throws {
        let clock = ManualClock(TestApp.start)
        let app = try await TestApp(clock: clock)
        try await app.test { client in
            let (_, agent, customer) = try await app.people(client)
            let ticking = Task {
                while !Task.isCancelled {
                    clock.advance(by: 0.001)
                    await Task.yield()
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        for index in 0..<5 {
                            _ = try await app.openTicket(client, token: customer, subject: "Poste caído \(writer)-\(index)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            ticking.cancel()
            for order in ["desc", "asc"] {
                let reply = try await client.call(.get, "/api/v2/tickets?search=poste&sortBy=createdAt&sortOrder=\(order)&limit=100", token: agent)
                #expect(reply.status == .ok)
                let tickets = try #require(try reply.json()["tickets"] as? [[String: Any]])
                #expect(tickets.count == 80)
                let times = tickets.compactMap { $0["createdAt"] as? String }
                #expect(times == (order == "desc" ? times.sorted(by: >) : times.sorted()), "search, \(order)")
                let plain = try #require(try await client.call(.get, "/api/v2/tickets?sortBy=createdAt&sortOrder=\(order)&limit=100", token: agent).json()["tickets"] as? [[String: Any]])
                #expect(plain.compactMap { $0["ticketId"] as? String } == tickets.compactMap { $0["ticketId"] as? String }, "search and list agree")
            }
        }
    }
}
