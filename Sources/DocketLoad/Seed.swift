import ArgumentParser
@_spi(Benchmarks) import DocketAssembly
import DocketCore
import DocketSQLite
import Foundation

/// `docket-load seed`: a realistic data set written straight into the embedded store, in
/// transactions of `batch` tickets (1,000,000 tickets in minutes rather than hours of REST calls).
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill a tenant with N tickets (customers, agents, statuses, notes, tags) in the SQLite store of a data directory.")

    @Option(help: "Data directory of the server (start it once first so the tenant exists).") var dataDir = "./data"
    @Option(help: "Tenant.") var tenant = "default"
    @Option(help: "Tickets to add.") var tickets = 10_000
    @Option(help: "Tickets per transaction.") var batch = 5_000
    @Option(help: "Texts in this language: es, vi, en.") var language = "es"

    func run() async throws {
        let store = try DocketSystem.embeddedStore(in: URL(fileURLWithPath: dataDir))
        guard let tenant = try await store.tenant(id: tenant) else {
            throw ValidationError("no tenant '\(self.tenant)' in \(dataDir): start the server once to create it")
        }
        let now = Date()
        let agents = (0..<20).map { "seed-agent-\($0)" }
        for (index, id) in agents.enumerated() where try await store.agent(tenantId: tenant.id, id: id) == nil {
            try await store.insertAgent(Agent(
                id: id, tenantId: tenant.id, name: "Agente \(index)", email: nil, role: .agent, skills: [], capacity: 1_000_000, createdAt: now))
        }
        let customerCount = max(1, min(tickets / 10, 20_000))
        let customers = (0..<customerCount).map { "seed-customer-\($0)" }
        for id in customers where try await store.customer(tenantId: tenant.id, id: id) == nil {
            try await store.insertCustomer(Customer(
                id: id, tenantId: tenant.id, phoneNumber: nil, firstName: "Usuario", lastName: id, email: "\(id)@seed.test", createdAt: now))
        }
        let workflow = tenant.workflow
        // Mostly finished work, some open, in progress and new, as a year of a helpdesk looks.
        let statuses: [String] = Array(repeating: workflow.closed, count: 45) + Array(repeating: workflow.resolved, count: 20)
            + Array(repeating: workflow.onAssign ?? workflow.initial, count: 15) + Array(repeating: workflow.firstResponse, count: 10)
            + Array(repeating: workflow.initial, count: 10)
        let categories = tenant.categories.filter(\.active).map(\.id)
        let format = tenant.ticketIdFormat
        let year = CivilTime(now, timeZone: tenant.timeZone).year
        let language = self.language
        let tenantId = tenant.id
        let started = ContinuousClock.now
        var done = 0
        while done < tickets {
            let count = min(batch, tickets - done)
            try await store.importTickets(tenantId: tenantId, counterYear: format.counterYear(for: year), count: count) { number in
                var random = SplitMix(seed: UInt64(number))
                let status = statuses[Int(random.next() % UInt64(statuses.count))]
                let created = now.addingTimeInterval(-Double(random.next() % (365 * 86_400)))
                let agent = status == workflow.initial ? nil : agents[Int(random.next() % UInt64(agents.count))]
                let (subject, description) = Texts.ticket(language, number)
                let priority = Priority.allCases[Int(random.next() % 4)]
                var history = [StatusChange(from: nil, to: workflow.initial, changedBy: "seed", reason: "created", timestamp: created)]
                if status != workflow.initial {
                    history.append(StatusChange(from: workflow.initial, to: status, changedBy: agent ?? "seed", reason: nil, timestamp: created.addingTimeInterval(3600)))
                }
                var notes: [Note] = []
                if random.next() % 2 == 0 {
                    notes.append(Note(
                        id: "n\(number)", authorId: agent ?? "seed", authorRole: .agent, content: "Revisamos el reporte \(number) en sitio",
                        isInternal: random.next() % 3 == 0, timestamp: created.addingTimeInterval(7200)))
                }
                let finished = status == workflow.resolved || status == workflow.closed
                return Ticket(
                    tenantId: tenantId, ticketId: format.format(number: number, year: year), number: number, numberingYear: year,
                    subject: subject, description: description, category: categories[Int(random.next() % UInt64(categories.count))],
                    subcategory: nil, priority: priority, status: status, statusHistory: history,
                    customerId: customers[Int(random.next() % UInt64(customers.count))], conversationId: nil, assignedAgent: agent,
                    assignedAt: agent == nil ? nil : created.addingTimeInterval(1800), location: nil,
                    sla: TicketSLA(targets: tenant.sla.target(for: priority), createdAt: created),
                    resolution: finished ? Resolution(resolvedAt: created.addingTimeInterval(86_400), resolvedBy: agent ?? "seed", notes: nil) : nil,
                    customerFeedback: nil, notes: notes, tags: random.next() % 4 == 0 ? ["poste"] : [], escalation: nil, attachments: [],
                    source: .web, createdAt: created, updatedAt: created.addingTimeInterval(3600), closedAt: status == workflow.closed ? created.addingTimeInterval(90_000) : nil,
                    version: 1)
            }
            done += count
            let elapsed = (ContinuousClock.now - started).milliseconds / 1000
            print(String(format: "seeded %d/%d tickets (%.0f/s)", done, tickets, Double(done) / max(elapsed, 0.001)))
        }
    }
}
