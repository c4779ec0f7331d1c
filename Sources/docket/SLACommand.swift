import ArgumentParser
import DocketCore
import DocketPacks
import DocketSQLite
import Foundation

struct SLACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sla", abstract: "SLA clock tools.", subcommands: [Bench.self])

    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open N tickets on a scratch SQLite store, move the clock past every target and time the scheduler firing all warnings and breaches.")
        @Option(help: "Open tickets with timers.")
        var tickets: Int = 10_000
        @Option(help: "Directory of industry packs.")
        var packsDir: String = "./IndustryPacks"

        func run() async throws {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("docket-sla-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try SQLiteTicketStore(path: dir.appendingPathComponent("docket.sqlite").path)
            let start = Date(timeIntervalSince1970: 1_795_017_600)  // a Wednesday, 10:00 in Mexico City
            let clock = ManualClock(start)
            let service = TicketService(store: store, clock: clock, tenantCacheSeconds: 60)
            let pack = try PackLoader(root: URL(fileURLWithPath: packsDir)).load("luxfree-solar")
            _ = try await service.provisionTenant(id: "bench", name: "Bench", pack: pack)
            try await store.insertCustomer(Customer(
                id: "c", tenantId: "bench", phoneNumber: "+525500000000", firstName: nil, lastName: nil, email: nil, createdAt: start))
            let customer = Principal(tenantId: "bench", role: .customer, subject: "c")
            let priorities: [Priority] = [.low, .medium, .high, .urgent]
            let seeding = ContinuousClock.now
            for index in 0..<tickets {
                _ = try await service.createTicket(customer, NewTicket(subject: "Ticket \(index)", description: "Benchmark", priority: priorities[index % 4]))
            }
            print("opened \(tickets) tickets in \(ContinuousClock.now - seeding)")
            // Ten weeks later every target of every ticket is past due.
            clock.advance(by: 70 * 86_400)
            let firing = ContinuousClock.now
            var events = 0
            while true {
                let fired = try await service.fireDueSLATimers(limit: 500)
                if fired == 0 { break }
                events += fired
            }
            let elapsed = ContinuousClock.now - firing
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(String(format: "fired %d SLA events (warnings and breaches) for %d tickets in %.2f s: %.0f events/s, %.0f tickets/s",
                         events, tickets, seconds, Double(events) / seconds, Double(tickets) / seconds))
            let left = try await store.dueSLATickets(before: clock.now(), limit: 10)
            print("timers still due: \(left.count)")
        }
    }
}
