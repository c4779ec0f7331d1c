import DocketCore
import DocketPacks
import DocketTestSupport
import DocketWire
import Foundation
import Testing

/// A rules double for timers: waiting for the customer sets a reminder (1 day) and a give-up
/// (3 days, which resolves); notes set the other timers the tests need.
struct TimerRules: RuleEngine {
    func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome] {
        let rule = "timer-test:\(event.type.rawValue)"
        guard !skipping.contains(rule) else { return [] }
        func outcome(_ actions: [RuleAction]) -> [RuleOutcome] { [RuleOutcome(rule: rule, actions: actions, error: nil, durationMicros: 1)] }
        switch event.type {
        case .statusChanged where event.details["to"] == "pending_customer":
            return outcome([
                .schedule(name: "reminder", after: "1d", business: false, keep: false),
                .schedule(name: "give_up", after: "3d", business: false, keep: false),
            ])
        case .ticketTimer:
            switch event.details["name"] {
            case "reminder": return outcome([.addInternalNote("reminder")])
            case "give_up": return outcome([.setStatus("resolved", reason: "no answer")])
            case "loop": return outcome([.schedule(name: "loop", after: "1m", business: false, keep: false)])
            default: return outcome([.addInternalNote("fired \(event.details["name"] ?? "")")])
            }
        case .noteAdded:
            switch event.details["text"] {
            case "keep": return outcome([.schedule(name: "later", after: "2h", business: false, keep: true)])
            case "loop": return outcome([.schedule(name: "loop", after: "1m", business: false, keep: false)])
            case "business": return outcome([.schedule(name: "office", after: "2h", business: true, keep: false)])
            case "soon": return outcome([.schedule(name: "soon", after: "1m", business: false, keep: false)])
            case "cancel": return outcome([.cancelTimer(name: "reminder")])
            case "bad":
                return outcome([
                    .schedule(name: "short", after: "30s", business: false, keep: false),
                    .schedule(name: "Bad Name", after: "1h", business: false, keep: false),
                    .schedule(name: "long", after: "400d", business: false, keep: false),
                ])
            case "many":
                return outcome((0...TimerLimits.perTicket).map { .schedule(name: "t\($0)", after: "1h", business: false, keep: false) })
            default: return []
            }
        default:
            return []
        }
    }

    func prepare(packId: String, version: String) async throws {}
}

/// A service with `TimerRules` on a store of one kind (or, for a second instance, the one given).
struct TimerHarness {
    let services: DocketServices
    let clock: ManualClock
    let store: any TicketStore
    static let t0 = utc("2026-11-16T12:00:00Z")  // a Monday
    static let agent = Principal(tenantId: "t", role: .agent, subject: "ana")
    static let customer = Principal(tenantId: "t", role: .customer, subject: "c")

    init(_ kind: StoreKind, store given: (any TicketStore)? = nil, clock: ManualClock = ManualClock(TimerHarness.t0)) async throws {
        let store: any TicketStore
        if let given { store = given } else { store = try await kind.make() }
        self.store = store
        self.clock = clock
        services = DocketServices(store: store, wire: DocketWireFormat(), clock: clock, tenantCacheSeconds: 0, rules: TimerRules())
        var pack = try PackLoader(root: packsRoot).load("luxfree-solar")
        // Business hours: weekdays 09:00-17:00 UTC.
        let day = ["09:00-17:00"]
        pack.sla.calendar = BusinessCalendar(
            timeZone: "UTC", week: ["monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day])
        pack.rules = [RuleFileSpec(file: "rules/timers.lua", events: ["status.changed", "note.added", "ticket.timer"])]
        _ = try await services.tenants.provisionTenant(id: "t", name: "T", pack: pack)
        if given == nil {
            try await store.insertCustomer(Customer(id: "c", tenantId: "t", phoneNumber: "+525500000002", firstName: nil, lastName: nil, email: nil, createdAt: Self.t0))
            try await store.insertAgent(Agent(id: "ana", tenantId: "t", name: "Ana", email: nil, role: .agent, skills: [], capacity: 50, createdAt: Self.t0))
        }
    }

    func open(_ subject: String = "Duda") async throws -> Ticket {
        try await services.tickets.createTicket(Self.customer, NewTicket(subject: subject, description: "Una pregunta general"))
    }

    /// A new ticket waiting for the customer (its reminder and give-up timers set).
    func waiting() async throws -> Ticket {
        let ticket = try await open()
        _ = try await services.tickets.changeStatus(Self.agent, ticket.ticketId, to: "open", reason: nil)
        return try await services.tickets.changeStatus(Self.agent, ticket.ticketId, to: "pending_customer", reason: nil)
    }

    func note(_ ticketId: String, _ text: String) async throws -> Ticket {
        try await services.tickets.addNote(Self.agent, ticketId, content: text, isInternal: true)
    }

    func ticket(_ id: String) async throws -> Ticket { try await services.tickets.ticket(Self.agent, id) }

    func audit(_ id: String) async throws -> [RuleAuditEntry] { try await services.tickets.ruleAudit(Self.agent, id) }
}

@Suite("Rules' timers")
struct RuleTimerTests {
    @Test(arguments: StoreKind.available) func aTimerFiresOnceWhenDueThroughTheRules(kind: StoreKind) async throws {
        let h = try await TimerHarness(kind)
        let ticket = try await h.waiting()
        #expect(ticket.timers?.map(\.name) == ["reminder", "give_up"])
        #expect(ticket.timers?.first?.dueAt == TimerHarness.t0.addingTimeInterval(86_400))
        #expect(ticket.nextWakeAt == TimerHarness.t0.addingTimeInterval(86_400))
        // A customer does not see the timers.
        #expect(try await h.services.tickets.ticket(TimerHarness.customer, ticket.ticketId).timers == nil)

        h.clock.advance(by: 86_400 - 60)
        #expect(try await h.services.tickets.fireDueTimers() == 0)
        h.clock.advance(by: 60)
        #expect(try await h.services.tickets.fireDueTimers() == 1)
        #expect(try await h.services.tickets.fireDueTimers() == 0)
        var now = try await h.ticket(ticket.ticketId)
        #expect(now.notes.map(\.content) == ["reminder"])
        #expect(now.timers?.map(\.name) == ["give_up"])
        let fired = try #require(try await h.audit(ticket.ticketId).last)
        #expect(fired.event == "ticket.timer")
        #expect(fired.applied == ["add_internal_note"])
        // The live event, for staff, names the timer.
        let events = try await h.store.liveEvents(tenantId: "t", after: 0, limit: 100).filter { $0.type == .ticketTimer }
        #expect(events.count == 1)
        #expect(events.first?.audience == .staff)
        #expect(events.first?.data.contains(#""name":"reminder""#) == true)

        // Two days later the give-up resolves the ticket; no timer is left.
        h.clock.advance(by: 2 * 86_400)
        #expect(try await h.services.tickets.fireDueTimers() == 1)
        now = try await h.ticket(ticket.ticketId)
        #expect(now.status == "resolved")
        #expect(now.timers == nil)
        #expect(now.nextWakeAt == now.sla.nextTimerAt)
    }

    @Test(arguments: StoreKind.available) func theSameNameReplacesAndCancelDrops(kind: StoreKind) async throws {
        let h = try await TimerHarness(kind)
        let ticket = try await h.waiting()
        h.clock.advance(by: 3600)
        // Waiting again (after a round trip) sets the reminder a day from now.
        _ = try await h.services.tickets.changeStatus(TimerHarness.agent, ticket.ticketId, to: "in_progress", reason: nil)
        let again = try await h.services.tickets.changeStatus(TimerHarness.agent, ticket.ticketId, to: "pending_customer", reason: nil)
        #expect(again.timers?.count == 2)
        #expect(again.timers?.first { $0.name == "reminder" }?.dueAt == TimerHarness.t0.addingTimeInterval(3600 + 86_400))
        let cancelled = try await h.note(ticket.ticketId, "cancel")
        #expect(cancelled.timers?.map(\.name) == ["give_up"])
    }

    @Test(arguments: StoreKind.available) func resolvingDropsTimersUnlessTheyAreKept(kind: StoreKind) async throws {
        let h = try await TimerHarness(kind)
        let ticket = try await h.waiting()
        _ = try await h.note(ticket.ticketId, "keep")
        #expect(try await h.ticket(ticket.ticketId).timers?.count == 3)
        let resolved = try await h.services.tickets.resolve(TimerHarness.agent, ticket.ticketId, notes: "Listo")
        #expect(resolved.timers?.map(\.name) == ["later"])
        h.clock.advance(by: 2 * 3600)
        #expect(try await h.services.tickets.fireDueTimers() == 1)
        #expect(try await h.ticket(ticket.ticketId).notes.last?.content == "fired later")
    }

    @Test(arguments: StoreKind.available) func businessTimersCountOfficeHours(kind: StoreKind) async throws {
        // Friday 16:00: one office hour left today, the second on Monday 09:00-10:00.
        let h = try await TimerHarness(kind, clock: ManualClock(utc("2026-11-20T16:00:00Z")))
        let ticket = try await h.open()
        let set = try await h.note(ticket.ticketId, "business")
        #expect(set.timers?.first?.dueAt == utc("2026-11-23T10:00:00Z"))
        #expect(set.timers?.first?.business == true)
    }

    @Test(arguments: StoreKind.available) func limitsRejectWithAReasonInTheAudit(kind: StoreKind) async throws {
        let h = try await TimerHarness(kind)
        let ticket = try await h.open()
        _ = try await h.note(ticket.ticketId, "bad")
        var entry = try #require(try await h.audit(ticket.ticketId).last)
        #expect(entry.applied.isEmpty)
        #expect(entry.rejected.count == 3)
        #expect(entry.rejected[0].reason.contains("'30s' is not a delay"))
        #expect(entry.rejected[1].reason.contains("lower-case letters"))
        #expect(entry.rejected[2].reason.contains("at most 365 days"))
        #expect(try await h.ticket(ticket.ticketId).timers == nil)

        _ = try await h.note(ticket.ticketId, "many")
        entry = try #require(try await h.audit(ticket.ticketId).last)
        #expect(entry.applied.count == TimerLimits.perTicket)
        #expect(entry.rejected.map(\.reason) == ["a ticket holds at most \(TimerLimits.perTicket) timers"])
        #expect(try await h.ticket(ticket.ticketId).timers?.count == TimerLimits.perTicket)
    }

    /// A timer that reschedules itself fires at most `TimerLimits.repeats` times, a minute apart.
    @Test(arguments: StoreKind.available) func aRunawayTimerStopsAfterItsRepeats(kind: StoreKind) async throws {
        let h = try await TimerHarness(kind)
        let ticket = try await h.open()
        _ = try await h.note(ticket.ticketId, "loop")
        var firings = 0
        for _ in 0..<(TimerLimits.repeats + 5) {
            h.clock.advance(by: 60)
            firings += try await h.services.tickets.fireDueTimers()
        }
        #expect(firings == TimerLimits.repeats)
        let now = try await h.ticket(ticket.ticketId)
        #expect(now.timers == nil)
        let last = try #require(try await h.audit(ticket.ticketId).last)
        #expect(last.rejected.first?.reason.contains("fired \(TimerLimits.repeats) times in a row") == true)
    }

    /// Two schedulers (two instances on one store) racing over the same due timers fire each once.
    @Test(arguments: StoreKind.available) func twoSchedulersFireEachTimerOnce(kind: StoreKind) async throws {
        let clock = ManualClock(TimerHarness.t0)
        let one = try await TimerHarness(kind, clock: clock)
        let two = try await TimerHarness(kind, store: one.store, clock: clock)
        var ids: [String] = []
        for index in 0..<12 {
            let ticket = try await one.open("T\(index)")
            _ = try await one.note(ticket.ticketId, "soon")
            ids.append(ticket.ticketId)
        }
        clock.advance(by: 61)
        async let a = Self.drain(one.services)
        async let b = Self.drain(two.services)
        let (first, second) = try await (a, b)
        #expect(first + second == 12, "one fired \(first), the other \(second)")
        for id in ids {
            let ticket = try await one.ticket(id)
            #expect(ticket.notes.filter { $0.content == "fired soon" }.count == 1, "\(id)")
            #expect(ticket.timers == nil)
        }
    }

    static func drain(_ services: DocketServices) async throws -> Int {
        var total = 0
        while true {
            let fired = try await services.tickets.fireDueTimers(limit: 5)
            if fired == 0 { return total }
            total += fired
        }
    }
}
