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
        let queues = tenant.queues.map(\.id)
        // Channels as a helpdesk sees them: the web form and chat first, then WhatsApp, the assistant, the app.
        let sources: [TicketSource] = Array(repeating: .web, count: 50) + Array(repeating: .whatsapp, count: 25)
            + Array(repeating: .ai, count: 15) + Array(repeating: .mobile_app, count: 10)
        let ratings = Array(repeating: 5, count: 45) + Array(repeating: 4, count: 30) + Array(repeating: 3, count: 12)
            + Array(repeating: 2, count: 7) + Array(repeating: 1, count: 6)
        let format = tenant.ticketIdFormat
        let year = CivilTime(now, timeZone: tenant.timeZone).year
        let language = self.language
        let tenantId = tenant.id
        let sla = tenant.sla
        let contribution = ReportContribution(tenant)
        let started = ContinuousClock.now
        var done = 0
        while done < tickets {
            let count = min(batch, tickets - done)
            try await store.importTickets(
                tenantId: tenantId, counterYear: format.counterYear(for: year), count: count, report: { contribution.contribution($0) }
            ) { number in
                var random = SplitMix(seed: UInt64(number))
                func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
                // A duration of `typical` seconds, spread over a tenth to ten times it (log-uniform).
                func spread(_ typical: Double) -> Double { typical * pow(10, Double(random.next() % 2_000) / 1_000 - 1) }
                let status = pick(statuses)
                let created = now.addingTimeInterval(-Double(random.next() % (365 * 86_400)))
                let agent = status == workflow.initial ? nil : pick(agents)
                let (subject, description) = Texts.ticket(language, number)
                let priority = Priority.allCases[Int(random.next() % 4)]
                let target = sla.target(for: priority)
                let finished = status == workflow.resolved || status == workflow.closed
                let answered = status != workflow.initial && status != (workflow.onAssign ?? workflow.initial)
                let firstResponse = min(spread(Double(target.firstResponseSeconds) / 2), now.timeIntervalSince(created) / 2)
                let resolution = finished ? min(max(firstResponse * 2, spread(Double(target.resolutionSeconds) / 2)), now.timeIntervalSince(created)) : 0
                let resolvedAt = created.addingTimeInterval(resolution)
                var history = [StatusChange(from: nil, to: workflow.initial, changedBy: "seed", reason: "created", timestamp: created)]
                if status != workflow.initial {
                    history.append(StatusChange(
                        from: workflow.initial, to: finished ? workflow.firstResponse : status, changedBy: agent ?? "seed", reason: nil,
                        timestamp: created.addingTimeInterval(answered || finished ? firstResponse : min(1800, now.timeIntervalSince(created) / 2))))
                }
                if finished {
                    history.append(StatusChange(from: workflow.firstResponse, to: workflow.resolved, changedBy: agent ?? "seed", reason: nil, timestamp: resolvedAt))
                    if status == workflow.closed {
                        history.append(StatusChange(from: workflow.resolved, to: workflow.closed, changedBy: "seed", reason: nil, timestamp: resolvedAt.addingTimeInterval(1)))
                    }
                }
                var ticketSLA = TicketSLA(targets: target, createdAt: created)
                if answered || finished {
                    ticketSLA.firstResponseAt = created.addingTimeInterval(firstResponse)
                    ticketSLA.clocks = [.decided(
                        kind: .firstResponse, targetSeconds: target.firstResponseSeconds, startedAt: created,
                        stoppedAt: created.addingTimeInterval(firstResponse), consumedSeconds: firstResponse.rounded())]
                    ticketSLA.firstResponseMet = ticketSLA.clocks?.first?.met
                }
                if finished {
                    let clock = SLAClock.decided(
                        kind: .resolution, targetSeconds: target.resolutionSeconds, startedAt: created, stoppedAt: resolvedAt,
                        consumedSeconds: resolution.rounded())
                    ticketSLA.clocks = (ticketSLA.clocks ?? []) + [clock]
                    ticketSLA.resolutionMet = clock.met
                }
                var notes: [Note] = []
                if random.next() % 2 == 0 {
                    notes.append(Note(
                        id: "n\(number)", authorId: agent ?? "seed", authorRole: .agent, content: "Revisamos el reporte \(number) en sitio",
                        isInternal: random.next() % 3 == 0, timestamp: created.addingTimeInterval(firstResponse)))
                }
                let rated = finished && random.next() % 5 < 2 && resolvedAt.addingTimeInterval(3600) < now
                let feedback = rated
                    ? CustomerFeedback(rating: pick(ratings), comment: random.next() % 3 == 0 ? "Gracias por la atención" : nil, submittedAt: resolvedAt.addingTimeInterval(3600))
                    : nil
                var ticket = Ticket(
                    tenantId: tenantId, ticketId: format.format(number: number, year: year), number: number, numberingYear: year,
                    subject: subject, description: description, category: pick(categories),
                    subcategory: nil, priority: priority, status: status, statusHistory: history,
                    customerId: pick(customers), conversationId: nil, assignedAgent: agent,
                    assignedAt: agent == nil ? nil : created.addingTimeInterval(min(1800, firstResponse)), location: nil,
                    sla: ticketSLA,
                    resolution: finished ? Resolution(resolvedAt: resolvedAt, resolvedBy: agent ?? "seed", notes: nil) : nil,
                    customerFeedback: feedback, notes: notes, tags: random.next() % 4 == 0 ? ["poste"] : [], escalation: nil, attachments: [],
                    source: pick(sources), createdAt: created, updatedAt: history.last?.timestamp ?? created,
                    closedAt: status == workflow.closed ? resolvedAt.addingTimeInterval(1) : nil, version: 1)
                if !queues.isEmpty { ticket.queue = pick(queues) }
                return ticket
            }
            done += count
            let elapsed = (ContinuousClock.now - started).milliseconds / 1000
            print(String(format: "seeded %d/%d tickets (%.0f/s)", done, tickets, Double(done) / max(elapsed, 0.001)))
        }
    }
}
