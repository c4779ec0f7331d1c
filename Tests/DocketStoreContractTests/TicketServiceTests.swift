import DocketCore
import DocketWire
import DocketMemory
import DocketPacks
import DocketTestSupport
import Foundation
import Testing

/// Rules a test writes by hand: each event type answers the actions it is given.
@Suite("Ticket service on every store: workflow")
struct WorkflowServiceTests {
    @Test(arguments: StoreKind.available) func aTicketFollowsThePacksWorkflowAndRefusesOtherMoves(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let ticket = try await desk.open()
        #expect(ticket.status == "new")
        #expect(ticket.ticketId == "LUX-2026-000001")

        let claimed = try await desk.services.tickets.claim(Desk.agent("ana"), ticket.ticketId)
        #expect(claimed.status == "open")
        #expect(claimed.assignedAgent == "ana")

        let error = await #expect(throws: DocketError.self) {
            try await desk.services.tickets.changeStatus(Desk.agent("ana"), ticket.ticketId, to: "new", reason: nil)
        }
        #expect(error?.code == .invalidTransition)
        #expect(error?.details["allowed"]?.contains("in_progress") == true)

        let working = try await desk.services.tickets.changeStatus(Desk.agent("ana"), ticket.ticketId, to: "in_progress", reason: nil)
        #expect(working.sla.firstResponseAt != nil, "entering the first-response status records the first response")
        let resolved = try await desk.services.tickets.resolve(Desk.agent("ana"), ticket.ticketId, notes: "Cambiamos la fotocelda")
        #expect(resolved.status == "resolved")
        #expect(resolved.resolution?.resolvedBy == "ana")
        let closed = try await desk.services.tickets.changeStatus(Desk.agent("ana"), ticket.ticketId, to: "closed", reason: nil)
        #expect(closed.statusHistory.map(\.to) == ["new", "open", "in_progress", "resolved", "closed"])
        let stillClosed = await #expect(throws: DocketError.self) {
            try await desk.services.tickets.changeStatus(Desk.agent("ana"), ticket.ticketId, to: "open", reason: nil)
        }
        #expect(stillClosed?.code == .invalidTransition)
    }

    /// Issue 16, 5: no route gives a resolved or closed ticket an assignee (and a service session).
    @Test(arguments: StoreKind.available) func resolvedAndClosedTicketsTakeNoAssigneeWhicheverWayItComes(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let ticket = try await desk.open()
        _ = try await desk.services.tickets.claim(Desk.agent("ana"), ticket.ticketId)
        _ = try await desk.services.tickets.resolve(Desk.agent("ana"), ticket.ticketId, notes: "Listo")
        for status in ["resolved", "closed"] {
            if status == "closed" { _ = try await desk.services.tickets.changeStatus(Desk.agent("ana"), ticket.ticketId, to: "closed", reason: nil) }
            let attempts: [(String, () async throws -> Ticket)] = [
                ("assign", { try await desk.services.tickets.assign(Desk.admin, ticket.ticketId, to: "bea") }),
                ("escalate", { try await desk.services.tickets.escalate(Desk.admin, ticket.ticketId, to: "bea", reason: "Urgente") }),
                ("transfer", { try await desk.services.conversations.transfer(Desk.admin, ticket.ticketId, to: "bea", reason: nil) }),
                ("claim", { try await desk.services.tickets.claim(Desk.agent("bea"), ticket.ticketId) }),
                ("claim by the holder", { try await desk.services.tickets.claim(Desk.agent("ana"), ticket.ticketId) }),
            ]
            for (name, attempt) in attempts {
                let error = await #expect(throws: DocketError.self, "\(name) on a \(status) ticket") { _ = try await attempt() }
                #expect([.conflict, .alreadyClaimed].contains(error?.code), "\(name) on a \(status) ticket")
            }
            let after = try await desk.services.tickets.ticket(Desk.admin, ticket.ticketId)
            #expect(after.assignedAgent == "ana")
            #expect(after.chat?.servedBy.filter(\.active).count ?? 0 <= 1)
        }
        // Reopened through the workflow, it can be given to someone again.
        let other = try await desk.open("Otro")
        _ = try await desk.services.tickets.claim(Desk.agent("ana"), other.ticketId)
        _ = try await desk.services.tickets.resolve(Desk.agent("ana"), other.ticketId, notes: "Listo")
        _ = try await desk.services.tickets.changeStatus(Desk.agent("ana"), other.ticketId, to: "open", reason: "vuelve a fallar")
        #expect(try await desk.services.tickets.assign(Desk.admin, other.ticketId, to: "bea").assignedAgent == "bea")
    }

    /// Claiming an open ticket one already holds answers it as it is: nothing written, no event.
    @Test(arguments: StoreKind.available) func theHoldersClaimAgainChangesNothing(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let ticket = try await desk.open()
        let claimed = try await desk.services.tickets.claim(Desk.agent("ana"), ticket.ticketId)
        let events = try await desk.store.liveEventBounds(tenantId: "t")
        let again = try await desk.services.tickets.claim(Desk.agent("ana"), ticket.ticketId)
        #expect(again.version == claimed.version)
        #expect(again.assignedAgent == "ana")
        #expect(try await desk.store.liveEventBounds(tenantId: "t") == events)
    }

    @Test(arguments: StoreKind.available) func customersSeeOnlyTheirOwnTicketsAndCannotWorkThem(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let ticket = try await desk.open()
        let other = Principal(tenantId: "t", role: .customer, subject: "someone-else")
        let hidden = await #expect(throws: DocketError.self) { try await desk.services.tickets.ticket(other, ticket.ticketId) }
        #expect(hidden?.code == .notFound)
        let forbidden = await #expect(throws: DocketError.self) { try await desk.services.tickets.claim(Desk.customer, ticket.ticketId) }
        #expect(forbidden?.code == .forbidden)
    }

    /// On the cooperative pool, and on the request executor's threads (`WorkThreads`, where the
    /// server runs requests and the stores read in place).
    @Test(arguments: StoreKind.available, Threads.allCases) func ofEightAgentsClaimingAtOnceExactlyOneWins(kind: StoreKind, on threads: Threads) async throws {
        try await threads.run { try await eightAgentsClaimAtOnce(kind) }
    }

    func eightAgentsClaimAtOnce(_ kind: StoreKind) async throws {
        let agents = (1...8).map { "agent\($0)" }
        let desk = try await Desk(kind, agents: agents)
        for round in 0..<10 {
            let ticket = try await desk.open("Corte \(round)")
            let results = await withTaskGroup(of: (String, Result<Ticket, DocketError>).self) { group in
                for agent in agents {
                    group.addTask {
                        do {
                            return (agent, .success(try await desk.services.tickets.claim(Desk.agent(agent), ticket.ticketId)))
                        } catch {
                            return (agent, .failure(error as? DocketError ?? DocketError(.internalError, "\(error)")))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = results.filter { if case .success = $0.1 { true } else { false } }.map(\.0)
            #expect(winners.count == 1)
            for case (_, .failure(let error)) in results { #expect(error.code == .alreadyClaimed) }
            #expect(try await desk.services.tickets.ticket(Desk.admin, ticket.ticketId).assignedAgent == winners.first)
        }
    }

    @Test(arguments: StoreKind.available, Threads.allCases) func numbersHaveNoGapsUnderConcurrentCreates(kind: StoreKind, on threads: Threads) async throws {
        try await threads.run { try await numbersHaveNoGaps(kind) }
    }

    func numbersHaveNoGaps(_ kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<40 { group.addTask { try await desk.open("Corte \(index)").ticketId } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(ids) == Set((1...40).map { String(format: "LUX-2026-%06d", $0) }))
        #expect(try await desk.services.tenants.customer(Desk.admin, "c1").statistics.totalTickets == 40)
    }
}

@Suite("Ticket service on every store: rule actions")
struct RuleActionServiceTests {
    @Test(arguments: StoreKind.available) func validActionsApplyAndInvalidOnesAreRejectedWithAReason(kind: StoreKind) async throws {
        let desk = try await Desk(kind, rules: [
            .ticketCreated: [
                .setPriority(.urgent), .routeToQueue("electrical"), .addTag("Poste"), .addInternalNote("Revisar poste"),
                .routeToQueue("moon"), .setCategory("nope"), .setSLAPolicy("gold"), .assign(agent: "ghost", strategy: nil),
                .setStatus("resolved", reason: nil), .notify(target: "agent:ghost", message: "hola"),
            ]
        ])
        let ticket = try await desk.open()
        #expect(ticket.priority == .urgent)
        #expect(ticket.queue == "electrical")
        #expect(ticket.tags == ["poste"])
        #expect(ticket.notes.isEmpty, "the customer does not see internal notes")
        let staffView = try await desk.services.tickets.ticket(Desk.agent("ana"), ticket.ticketId)
        #expect(staffView.notes.contains { $0.isInternal && $0.content == "Revisar poste" && $0.authorRole == .system })
        #expect(ticket.status == "new")
        // The urgent target replaces medium's: 15 minutes, around the clock.
        #expect(ticket.sla.firstResponseDueAt == desk.clock.now().addingTimeInterval(15 * 60))

        let audit = try await desk.services.tickets.ruleAudit(Desk.agent("ana"), ticket.ticketId)
        let created = try #require(audit.first { $0.event == "ticket.created" })
        #expect(created.applied.count == 4)
        let reasons = Dictionary(created.rejected.map { ($0.action, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons.count == 6)
        #expect(reasons.contains { $0.key.hasPrefix("route_to_queue") && $0.value.contains("'moon' is not a queue of the pack") })
        #expect(reasons.contains { $0.key.hasPrefix("set_category") && $0.value.contains("not an active category") })
        #expect(reasons.contains { $0.key.hasPrefix("set_sla_policy") && $0.value.contains("no SLA policy named 'gold'") })
        #expect(reasons.contains { $0.key.hasPrefix("assign") && $0.value.contains("unknown agent 'ghost'") })
        #expect(reasons.contains { $0.key.hasPrefix("set_status") && $0.value.contains("resolved") })
        #expect(reasons.contains { $0.key.hasPrefix("notify") && $0.value.contains("unknown agent 'ghost'") })
    }

    @Test(arguments: StoreKind.available) func leastLoadedRoutingFillsAgentsUpToTheirCapacityThenLeavesTicketsUnassigned(kind: StoreKind) async throws {
        let desk = try await Desk(kind, rules: [.ticketCreated: [.assign(agent: nil, strategy: "least_loaded")]], agents: ["ana", "bea", "cy"], capacity: 2)
        var assigned: [String?] = []
        for index in 0..<8 { assigned.append(try await desk.open("Corte \(index)").assignedAgent) }
        #expect(assigned.prefix(6).map { $0 ?? "-" } == ["ana", "bea", "cy", "ana", "bea", "cy"])
        #expect(assigned.suffix(2) == [nil, nil])
        let audit = try await desk.services.tickets.ruleAudit(Desk.agent("ana"), try #require(try await desk.services.tickets.listTickets(Desk.admin, TicketQuery()).items.first).ticketId)
        #expect(audit.first?.rejected.first?.reason.contains("has capacity left") == true)
    }

    @Test(arguments: StoreKind.available) func aBreachEscalatesThroughTheRulesOnce(kind: StoreKind) async throws {
        let desk = try await Desk(kind, rules: [.slaBreached: [.escalate(to: nil, reason: "SLA vencido"), .addTag("sla_breached")]])
        let ticket = try await desk.open(priority: .urgent)
        desk.clock.advance(by: 16 * 60)
        #expect(try await desk.services.tickets.fireDueTimers() >= 1)
        #expect(try await desk.services.tickets.fireDueTimers() == 0)
        let breached = try await desk.services.tickets.ticket(Desk.admin, ticket.ticketId)
        #expect(breached.isEscalated)
        #expect(breached.escalation?.reason == "SLA vencido")
        #expect(breached.tags == ["sla_breached"])
    }
}

@Suite("Ticket service on every store: conversations")
struct ConversationServiceTests {
    @Test(arguments: StoreKind.available) func aCustomersMessagesOpenOneTicketAndCountersFollowBothSides(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let first = try await desk.services.conversations.postCustomerMessage(Desk.customer, NewMessage(content: "Se fue la luz en la colonia"))
        #expect(first.created)
        #expect(first.message.seq == 1)
        let second = try await desk.services.conversations.postCustomerMessage(Desk.customer, NewMessage(content: "Sigue sin luz"))
        #expect(!second.created)
        #expect(second.ticket.ticketId == first.ticket.ticketId)
        #expect(second.ticket.chat?.unreadStaff == 2)

        let id = first.ticket.ticketId
        _ = try await desk.services.tickets.claim(Desk.agent("ana"), id)
        let read = try await desk.services.conversations.markRead(Desk.agent("ana"), id)
        #expect(read.marked == 2)
        #expect(read.ticket.chat?.unreadStaff == 0)
        let answer = try await desk.services.conversations.postMessage(Desk.agent("ana"), id, NewMessage(content: "Ya vamos"))
        // The claim told the customer who took the ticket (message 3, from the system).
        #expect(answer.message.seq == 4)
        #expect(answer.ticket.chat?.unreadCustomer == 1, "system notices do not count as unread")
        let page = try await desk.services.conversations.messages(Desk.customer, id, after: 0, limit: 50)
        #expect(page.messages.map(\.senderType) == [.customer, .customer, .system, .staff])
        #expect(page.messages.last?.content == "Ya vamos")
        #expect(page.messages.prefix(2).allSatisfy { $0.isRead })
        let customerRead = try await desk.services.conversations.markRead(Desk.customer, id)
        #expect(customerRead.marked == 2)
        #expect(customerRead.ticket.chat?.unreadCustomer == 0)
        #expect(customerRead.ticket.chat?.servedBy.map(\.agentId) == ["ana"])
    }

    /// Issue 16, 1: a customer's burst of first messages opens one ticket; the rest join it.
    @Test(arguments: StoreKind.available) func aBurstOfFirstMessagesOpensOneTicket(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        for round in 0..<5 {
            let results = try await withThrowingTaskGroup(of: (ticketId: String, created: Bool).self) { group in
                for index in 0..<10 {
                    group.addTask {
                        let result = try await desk.services.conversations.postCustomerMessage(Desk.customer, NewMessage(content: "Hola \(round)-\(index)"))
                        return (result.ticket.ticketId, result.created)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.ticketId)).count == 1, "round \(round): \(results)")
            #expect(results.filter(\.created).count == 1)
            let id = results[0].ticketId
            #expect(try await desk.services.conversations.messages(Desk.customer, id, after: 0, limit: 50).messages.count == 10)
            // Closed, it stops being the open chat: the next burst opens the next ticket.
            _ = try await desk.services.tickets.changeStatus(Desk.admin, id, to: "closed", reason: nil)
            #expect(try await desk.services.tickets.ticket(Desk.admin, id).openChatOf == nil)
        }
    }

    /// Issue 16, 7: writes that run rules are not starved by lighter writes on the same ticket.
    @Test(arguments: StoreKind.available) func writesThatRunRulesAreNotStarvedByLighterOnes(kind: StoreKind) async throws {
        let store = try await kind.make()
        let services = DocketServices(store: store, wire: DocketWireFormat(), clock: ManualClock(Date(timeIntervalSince1970: 1_795_017_600)), tenantCacheSeconds: 0, rules: SlowNoteRules())
        _ = try await services.tenants.provisionTenant(id: "t", name: "T", pack: try PackLoader(root: packsRoot).load("luxfree-solar"))
        _ = try await services.tenants.createCustomer(Desk.admin, NewCustomer(id: "c1", phoneNumber: "+52 55 1234 5678"))
        _ = try await services.tenants.createAgent(Desk.admin, NewAgent(id: "ana", name: "Ana"))
        let id = try await services.conversations.postCustomerMessage(Desk.customer, NewMessage(content: "Hola")).ticket.ticketId
        _ = try await services.tickets.claim(Desk.agent("ana"), id)
        let failures = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<12 {
                group.addTask {
                    var failed = 0
                    for step in 0..<6 {
                        do {
                            if task % 3 == 0 {
                                _ = try await services.tickets.addNote(Desk.agent("ana"), id, content: "nota \(task)-\(step)", isInternal: true)
                            } else {
                                _ = try await services.conversations.postMessage(Desk.customer, id, NewMessage(content: "m \(task)-\(step)"))
                            }
                        } catch let error as DocketError where error.code == .conflict {
                            failed += 1
                        }
                    }
                    return failed
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(failures == 0, "writes lost races until they gave up")
        #expect(try await services.tickets.ticket(Desk.admin, id).notes.filter(\.isInternal).count == 24)
    }

    /// Issue 16, 2: both sides writing and reading at once; the counters end equal to the
    /// unread messages of the other side.
    @Test(arguments: StoreKind.available) func unreadCountersFollowTheMessagesWhenBothSidesWriteAndReadAtOnce(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let opened = try await desk.services.conversations.postCustomerMessage(Desk.customer, NewMessage(content: "Hola"))
        let id = opened.ticket.ticketId
        _ = try await desk.services.tickets.claim(Desk.agent("ana"), id)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for step in 0..<10 {
                        switch (task * 3 + step) % 4 {
                        case 0: _ = try await desk.services.conversations.postMessage(Desk.customer, id, NewMessage(content: "c\(task)-\(step)"))
                        case 1: _ = try await desk.services.conversations.postMessage(Desk.agent("ana"), id, NewMessage(content: "a\(task)-\(step)"))
                        case 2: _ = try await desk.services.conversations.markRead(Desk.customer, id)
                        default: _ = try await desk.services.conversations.markRead(Desk.agent("ana"), id)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let ticket = try await desk.services.tickets.ticket(Desk.admin, id)
        let messages = try await desk.services.conversations.messages(Desk.admin, id, after: 0, limit: 200).messages
        #expect(messages.map(\.seq) == Array(1...messages.count))
        #expect(ticket.chat?.unreadStaff == messages.filter { $0.senderType == .customer && !$0.isRead }.count)
        #expect(ticket.chat?.unreadCustomer == messages.filter { $0.senderType == .staff && !$0.isRead }.count)
    }

    /// Issue 16, 4: a message racing a close never lands in the closed ticket.
    @Test(arguments: StoreKind.available) func aMessageRacingACloseNeverJoinsTheClosedTicket(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        for round in 0..<40 {
            let first = try await desk.services.conversations.postCustomerMessage(Desk.customer, NewMessage(content: "Sin luz \(round)"))
            _ = try await desk.services.tickets.claim(Desk.agent("ana"), first.ticket.ticketId)
            async let closing = desk.services.tickets.changeStatus(Desk.agent("ana"), first.ticket.ticketId, to: "closed", reason: "duplicado")
            async let writing = desk.services.conversations.postCustomerMessage(Desk.customer, NewMessage(content: "¿Siguen ahí? \(round)"))
            let (closed, written) = try await (closing, writing)
            #expect(closed.status == "closed")
            if written.created {
                #expect(written.ticket.ticketId != first.ticket.ticketId)
            } else {
                #expect(written.ticket.status != "closed", "round \(round): the message was written into a closed ticket")
            }
            // Close whatever the message opened, so the next round starts with none open.
            if written.created {
                _ = try await desk.services.tickets.changeStatus(Desk.admin, written.ticket.ticketId, to: "closed", reason: nil)
            }
        }
    }

    @Test(arguments: StoreKind.available) func aResolvedConversationIsFollowedByANewTicket(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let first = try await desk.services.conversations.postCustomerMessage(Desk.customer, NewMessage(content: "Se fue la luz"))
        _ = try await desk.services.tickets.claim(Desk.agent("ana"), first.ticket.ticketId)
        _ = try await desk.services.tickets.resolve(Desk.agent("ana"), first.ticket.ticketId, notes: "Restablecido")
        _ = try await desk.services.tickets.changeStatus(Desk.agent("ana"), first.ticket.ticketId, to: "closed", reason: nil)
        // Written to the closed ticket by id, the message is refused (nobody would read it there).
        let count = try await desk.services.tickets.ticket(Desk.admin, first.ticket.ticketId).chat?.messageCount
        let refused = await #expect(throws: DocketError.self) {
            try await desk.services.conversations.postMessage(Desk.customer, first.ticket.ticketId, NewMessage(content: "¿Hola?"))
        }
        #expect(refused?.code == .conflict && refused?.message.contains("POST /api/v2/messages") == true)
        #expect(try await desk.services.tickets.ticket(Desk.admin, first.ticket.ticketId).chat?.messageCount == count)
        let next = try await desk.services.conversations.postCustomerMessage(Desk.customer, NewMessage(content: "Otra vez sin luz"))
        #expect(next.created)
        #expect(next.ticket.ticketId != first.ticket.ticketId)
    }
}

@Suite("Ticket service on every store: tenants and packs")
struct TenantServiceTests {
    @Test(arguments: StoreKind.available) func aTenantSwitchesPackLiveAndRollsBack(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let loader = PackLoader(root: packsRoot)
        let shipped = try await desk.services.tenants.installShippedPack(try loader.bundle("restaurant"))
        #expect(shipped.1 == .installed)
        #expect(try await desk.services.tenants.installShippedPack(try loader.bundle("restaurant")).1 == .unchanged)
        let solar = try await desk.services.tenants.installShippedPack(try loader.bundle("luxfree-solar")).0

        let switched = try await desk.services.tenants.activatePack(Desk.admin, tenantId: "t", PackSelection(pack: "restaurant"))
        #expect(switched.pack.id == "restaurant")
        #expect(switched.packPinned == true)
        let ticket = try await desk.services.tickets.createTicket(Desk.customer, NewTicket(subject: "Pedido frío", description: "Llegó frío"))
        #expect(ticket.category == switched.pack.defaultCategory)
        #expect(!ticket.ticketId.hasPrefix("LUX-"))

        let back = try await desk.services.tenants.activatePack(Desk.admin, tenantId: "t", PackSelection(pack: "luxfree-solar", version: solar.version))
        #expect(back.pack.id == "luxfree-solar")
        #expect(back.packHistory?.map(\.packId) == ["restaurant", "luxfree-solar"])

        let agentRefused = await #expect(throws: DocketError.self) {
            try await desk.services.tenants.activatePack(Desk.agent("ana"), tenantId: "t", PackSelection(pack: "restaurant"))
        }
        #expect(agentRefused?.code == .forbidden)
        let unknown = await #expect(throws: DocketError.self) {
            try await desk.services.tenants.activatePack(Desk.admin, tenantId: "t", PackSelection(pack: "restaurant", version: "9.9.9"))
        }
        #expect(unknown?.code == .notFound)
    }

    @Test(arguments: StoreKind.available) func terminologyOverridesAreTheTenantsAndResetToThePacks(kind: StoreKind) async throws {
        let desk = try await Desk(kind)
        let pack = try await desk.services.tenants.configuration(Desk.admin).terminology
        var words = pack
        words.ticketSingular = "caso"
        words.ticketPlural = "casos"
        let changed = try await desk.services.tenants.setTerminology(Desk.admin, words)
        #expect(changed.terminology.ticketSingular == "caso")
        let refused = await #expect(throws: DocketError.self) { try await desk.services.tenants.setTerminology(Desk.agent("ana"), words) }
        #expect(refused?.code == .forbidden)
        let reset = try await desk.services.tenants.resetConfiguration(Desk.admin, .terminology)
        #expect(reset.terminology == pack)
    }
}
