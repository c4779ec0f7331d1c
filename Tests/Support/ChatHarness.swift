import DocketCore
import Foundation

/// What the harness does, through the services directly or through the API over real sockets.
/// Each returns nothing on success and throws a `DocketError` (code and message) on refusal.
public protocol ChatDriver: Sendable {
    func customerWrites(_ customer: String, _ content: String) async throws
    func writes(_ role: Role, _ subject: String, ticket: String, _ content: String) async throws
    func reads(_ role: Role, _ subject: String, ticket: String) async throws
    func claim(_ agent: String, ticket: String) async throws
    func assign(ticket: String, to agent: String) async throws
    func transfer(ticket: String, to agent: String) async throws
    func escalate(ticket: String, to agent: String?) async throws
    func resolve(_ agent: String, ticket: String) async throws
    func changeStatus(_ agent: String, ticket: String, to status: String) async throws
    func note(_ agent: String, ticket: String, internal: Bool) async throws
}

/// The services, called directly.
public struct ServiceDriver: ChatDriver {
    let services: DocketServices
    let tenantId: String

    public init(_ services: DocketServices, tenantId: String) {
        self.services = services
        self.tenantId = tenantId
    }

    func who(_ role: Role, _ subject: String) -> Principal { Principal(tenantId: tenantId, role: role, subject: subject) }
    var admin: Principal { who(.admin, "boss") }

    public func customerWrites(_ customer: String, _ content: String) async throws {
        _ = try await services.conversations.postCustomerMessage(who(.customer, customer), NewMessage(content: content))
    }
    public func writes(_ role: Role, _ subject: String, ticket: String, _ content: String) async throws {
        _ = try await services.conversations.postMessage(who(role, subject), ticket, NewMessage(content: content))
    }
    public func reads(_ role: Role, _ subject: String, ticket: String) async throws {
        _ = try await services.conversations.markRead(who(role, subject), ticket)
    }
    public func claim(_ agent: String, ticket: String) async throws { _ = try await services.tickets.claim(who(.agent, agent), ticket) }
    public func assign(ticket: String, to agent: String) async throws { _ = try await services.tickets.assign(admin, ticket, to: agent) }
    public func transfer(ticket: String, to agent: String) async throws {
        _ = try await services.conversations.transfer(admin, ticket, to: agent, reason: nil)
    }
    public func escalate(ticket: String, to agent: String?) async throws {
        _ = try await services.tickets.escalate(admin, ticket, to: agent, reason: "urgente")
    }
    public func resolve(_ agent: String, ticket: String) async throws { _ = try await services.tickets.resolve(who(.agent, agent), ticket, notes: "resuelto") }
    public func changeStatus(_ agent: String, ticket: String, to status: String) async throws {
        _ = try await services.tickets.changeStatus(who(.agent, agent), ticket, to: status, reason: nil)
    }
    public func note(_ agent: String, ticket: String, internal isInternal: Bool) async throws {
        _ = try await services.tickets.addNote(who(.agent, agent), ticket, content: "nota", isInternal: isInternal)
    }
}

/// A seeded, randomized drive of the chat flow at service level: many clients at once —
/// customers writing, agents claiming, answering, assigning, transferring, escalating,
/// resolving, closing, reopening, reading, noting — then every promise of the README's
/// "What holds however many people act at once" checked on the data left behind: numbers,
/// one open chat per customer, valid status paths, message sequences and unread counters
/// against the stored messages, one active session matching the assignee, none and no later
/// message on a closed ticket, and one claim written per ticket, however many agents claim it
/// at once. Routing capacity has tests of its own (on every store and across
/// instances): manual assignments may pass it by design, so a random drive cannot judge it.
/// Runs on any store; every run prints its seed (`DOCKET_HARNESS_SEED` replays its choices).
public struct ChatHarness: Sendable {
    public let services: DocketServices
    public let tenantId: String
    public let customers: [String]
    public let agents: [String]

    public struct Report: Sendable, CustomStringConvertible {
        public var seed: UInt64
        public var operations = 0
        /// Refusals by error code (a refusal the caller can act on is fine; "being changed by others" is not).
        public var refusals: [String: Int] = [:]
        public var starved = 0
        public var checks = 0
        public var violations: [String] = []
        public var seconds = 0.0

        public var description: String {
            String(format: "seed %llu: %d operations in %.2f s (%.0f/s), %d invariant checks, refusals %@, %d starved, %d violations",
                   seed, operations, seconds, Double(operations) / max(seconds, 0.001), checks, refusals.description, starved, violations.count)
        }
    }

    /// The seed of this run: `DOCKET_HARNESS_SEED` when set (to replay a failure), else random.
    public static var seed: UInt64 {
        ProcessInfo.processInfo.environment["DOCKET_HARNESS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max / 2)
    }

    /// A tenant `h` on `pack` with customers and agents (capacity high: manual assignments may
    /// exceed capacity by design; routing capacity has its own test).
    public static func prepare(_ services: DocketServices, pack: PackManifest, customers: Int = 4, agents: Int = 3) async throws -> ChatHarness {
        let tenant = "h"
        _ = try await services.tenants.provisionTenant(id: tenant, name: "Harness", pack: pack)
        let admin = Principal(tenantId: tenant, role: .admin, subject: "boss")
        let customerIds = (0..<customers).map { "c\($0)" }
        let agentIds = (0..<agents).map { "a\($0)" }
        for (index, id) in customerIds.enumerated() {
            _ = try await services.tenants.createCustomer(admin, NewCustomer(id: id, phoneNumber: "+5255000000\(10 + index)"))
        }
        for id in agentIds { _ = try await services.tenants.createAgent(admin, NewAgent(id: id, name: id.uppercased(), capacity: 1_000)) }
        return ChatHarness(services: services, tenantId: tenant, customers: customerIds, agents: agentIds)
    }

    /// `clients` tasks each doing `operations` random operations through `driver` (the
    /// services themselves unless given), then the checks.
    public func run(seed: UInt64, clients: Int, operations: Int, driver: (any ChatDriver)? = nil) async throws -> Report {
        let driver = driver ?? ServiceDriver(services, tenantId: tenantId)
        let started = ContinuousClock.now
        var report = Report(seed: seed)
        let outcomes = try await withThrowingTaskGroup(of: [String].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var random = SplitMix(seed: seed &+ UInt64(client) &* 0x9E37_79B9)
                    var outcomes: [String] = []
                    for _ in 0..<operations { outcomes.append(try await step(&random, driver)) }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        report.operations = outcomes.count
        for outcome in outcomes where outcome != "ok" {
            if outcome == "starved" {
                report.starved += 1
            } else if outcome.hasPrefix("claim race: ") {
                report.violations.append(outcome)
            } else {
                report.refusals[outcome, default: 0] += 1
            }
        }
        if report.starved > 0 { report.violations.append("\(report.starved) writes lost races until they gave up") }
        report.seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        try await check(&report)
        return report
    }

    func principal(_ role: Role, _ subject: String) -> Principal { Principal(tenantId: tenantId, role: role, subject: subject) }

    func someTicket(_ random: inout SplitMix) async throws -> Ticket? {
        var query = TicketQuery()
        query.limit = 100
        query.sortBy = .updatedAt
        let page = try await services.tickets.listTickets(principal(.admin, "boss"), query)
        return page.items.isEmpty ? nil : page.items[random.below(page.items.count)]
    }

    /// One random operation; "ok", the refusal's code, or "starved" (lost races until it gave up).
    func step(_ random: inout SplitMix, _ driver: any ChatDriver) async throws -> String {
        let customer = customers[random.below(customers.count)]
        let agent = agents[random.below(agents.count)]
        let other = agents[random.below(agents.count)]
        do {
            switch random.below(13) {
            case 0, 1, 2:
                try await driver.customerWrites(customer, "hola \(random.below(1000))")
            case 3:
                // Every agent claims one unassigned ticket at the same moment: one wins at most.
                guard let ticket = try await someTicket(&random), ticket.assignedAgent == nil else { return "ok" }
                let wins = await withTaskGroup(of: Bool.self) { race in
                    for racer in agents {
                        race.addTask { (try? await driver.claim(racer, ticket: ticket.ticketId)) != nil }
                    }
                    return await race.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                // A claim by the agent who already holds the ticket answers success without a
                // write, and another client may assign the ticket to a racer mid-race: more
                // than one success is a lost race only if more than one claim was written.
                if wins > 1 {
                    let after = try await services.tickets.ticket(principal(.admin, "boss"), ticket.ticketId)
                    let claims = after.chat?.servedBy.filter { $0.reason == "claimed" }.count ?? 0
                    if claims > 1 { return "claim race: \(claims) agents' claims of \(ticket.ticketId) were written" }
                }
            default:
                guard let ticket = try await someTicket(&random) else { return "ok" }
                let id = ticket.ticketId
                switch random.below(11) {
                case 0: try await driver.claim(agent, ticket: id)
                case 1: try await driver.writes(.agent, ticket.assignedAgent ?? agent, ticket: id, "respuesta")
                case 2: try await driver.writes(.customer, ticket.customerId, ticket: id, "¿y?")
                case 3: try await driver.reads(.customer, ticket.customerId, ticket: id)
                case 4: try await driver.reads(.agent, agent, ticket: id)
                case 5: try await driver.assign(ticket: id, to: agent)
                case 6: try await driver.transfer(ticket: id, to: other)
                case 7: try await driver.escalate(ticket: id, to: random.below(2) == 0 ? agent : nil)
                case 8: try await driver.resolve(agent, ticket: id)
                case 9:
                    let targets = ["closed", "open", "in_progress", "pending_customer"]
                    try await driver.changeStatus(agent, ticket: id, to: targets[random.below(targets.count)])
                default: try await driver.note(agent, ticket: id, internal: random.below(2) == 0)
                }
            }
            return "ok"
        } catch let error as DocketError {
            if error.code == .conflict, error.message.contains("being changed by others") { return "starved" }
            return error.code.rawValue
        }
    }

    /// Every promise, on the data left behind.
    func check(_ report: inout Report) async throws {
        let admin = principal(.admin, "boss")
        guard let tenant = try await services.tenants.tenant(id: tenantId) else { return }
        let workflow = tenant.workflow
        let finished = [workflow.resolved, workflow.closed]
        var tickets: [Ticket] = []
        var query = TicketQuery()
        query.limit = 100
        query.sortBy = .ticketId
        query.ascending = true
        while true {
            let page = try await services.tickets.listTickets(admin, query)
            tickets += page.items
            if page.items.count < query.limit { break }
            query.page += 1
        }
        func expect(_ condition: Bool, _ what: @autoclosure () -> String) {
            report.checks += 1
            if !condition { report.violations.append(what()) }
        }
        expect(tickets.map(\.number) == (0..<tickets.count).map { $0 + 1 }, "ticket numbers are not 1...\(tickets.count)")
        for customer in customers {
            let chats = tickets.filter { $0.openChatOf == customer }
            expect(chats.count <= 1, "customer \(customer) has \(chats.count) open chats: \(chats.map(\.ticketId))")
        }
        for ticket in tickets {
            let id = ticket.ticketId
            expect(ticket.openChatOf == nil || !finished.contains(ticket.status), "\(id) is \(ticket.status) but still an open chat")
            var previous: String?
            for change in ticket.statusHistory {
                if let previous {
                    expect(change.from == previous, "\(id): history jumps from \(previous) to a change from \(change.from ?? "-")")
                    if let from = change.from {
                        expect(workflow.canTransition(from: from, to: change.to), "\(id): \(from) → \(change.to) is not a transition of the pack")
                    }
                }
                previous = change.to
            }
            expect(previous == ticket.status, "\(id): history ends at \(previous ?? "-") but the status is \(ticket.status)")
            var messages: [TicketMessage] = []
            var cursor = 0
            while true {
                let page = try await services.conversations.messages(admin, id, after: cursor, limit: MessageLimits.pageMax)
                messages += page.messages
                guard let next = page.nextCursor else { break }
                cursor = next
            }
            let count = ticket.chat?.messageCount ?? 0
            expect(messages.map(\.seq) == Array(0..<count).map { $0 + 1 }, "\(id): message seqs \(messages.map(\.seq)) for a count of \(count)")
            expect(
                (ticket.chat?.unreadStaff ?? 0) == messages.filter { $0.senderType == .customer && !$0.isRead }.count,
                "\(id): unreadStaff \(ticket.chat?.unreadStaff ?? 0) vs \(messages.filter { $0.senderType == .customer && !$0.isRead }.count) unread")
            expect(
                (ticket.chat?.unreadCustomer ?? 0) == messages.filter { $0.senderType == .staff && !$0.isRead }.count,
                "\(id): unreadCustomer \(ticket.chat?.unreadCustomer ?? 0) vs \(messages.filter { $0.senderType == .staff && !$0.isRead }.count) unread")
            // Nothing takes an assignee away, so a ticket is claimed (a claim written) once at most.
            let claims = ticket.chat?.servedBy.filter { $0.reason == "claimed" } ?? []
            expect(claims.count <= 1, "\(id) was claimed \(claims.count) times: \(claims.map(\.agentId))")
            let active = ticket.chat?.servedBy.filter(\.active) ?? []
            expect(active.count <= 1, "\(id): \(active.count) active sessions")
            if let session = active.first {
                expect(session.agentId == ticket.assignedAgent, "\(id): the active session is \(session.agentId)'s, the assignee \(ticket.assignedAgent ?? "nobody")")
            }
            if ticket.status == workflow.closed {
                expect(active.isEmpty, "\(id) is closed with an active session")
                // The stored messages, not a copy: none was written after the ticket closed.
                if let closedAt = ticket.statusHistory.last(where: { $0.to == workflow.closed })?.timestamp {
                    let late = messages.filter { $0.createdAt > closedAt }
                    expect(late.isEmpty, "\(id) closed at \(closedAt) holds messages written after: \(late.map(\.seq))")
                }
            }
        }
    }
}
