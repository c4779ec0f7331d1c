import Foundation

/// The change pipeline: where every change to a stored ticket is made, whoever asks (the API,
/// the chat, the assistant, the SLA clock). One loop, during the ticket's writers' turn:
///
/// load → change → rules (`RuleRunner`) → conversation (`ConversationKeeper`) → SLA clocks
/// (`SLAKeeper`) and rules' timers (`TimerKeeper`) → outbox (`Announcer`) → conditional update → announce.
///
/// A change whose rules gave the ticket to an agent is redone, and stored, during the tenant's
/// routing turn as well, whichever path it came by: the agents' loads its rules saw are the
/// ones its write changes, so concurrent changes never route an agent past capacity. A lost
/// race (another writer, perhaps another instance, changed the ticket first) loads and redoes
/// the whole change, up to `ServiceCore.maxAttempts` times. Creation is `create` (TicketWriter+Create).
struct TicketWriter: UseCase {
    let core: ServiceCore

    /// What one change stored: the ticket before and after, the messages that joined its
    /// conversation, and the events the change itself produced (before rules).
    struct Written {
        var before: Ticket
        var ticket: Ticket
        var messages: [TicketMessage]
        var events: [PendingEvent]
    }

    /// Applies `change` to the ticket the principal may see and stores it; with `message`, the
    /// message joins the conversation in the same write. Answers the ticket as the principal
    /// sees it and the messages stored with it.
    func change(
        _ principal: Principal, _ ticketId: String, _ change: (inout Ticket, Tenant, Date) async throws -> [PendingEvent]
    ) async throws -> Ticket {
        try await self.change(principal, ticketId, message: nil, change).ticket
    }

    /// `change` that may find nothing to do (nil): then nothing is written, no event told, and
    /// the ticket is answered as it is.
    func changeIfNeeded(
        _ principal: Principal, _ ticketId: String, _ change: (inout Ticket, Tenant, Date) async throws -> [PendingEvent]?
    ) async throws -> Ticket {
        let tenant = try await tenant(for: principal)
        let written = try await core.turns.withTurn("\(tenant.id)/\(ticketId)") {
            try await write(
                ticketId, tenant: tenant, actor: principal.subject, message: nil,
                load: { try await loadForChange(principal, ticketId, tenant: tenant) }, change: change)
        }
        if let written { return written.ticket.visible(to: principal) }
        return try await loadForChange(principal, ticketId, tenant: tenant).0.visible(to: principal)
    }

    /// `change`, with `message` (when given) joining the conversation in the same write.
    func change(
        _ principal: Principal, _ ticketId: String, message: MessageDraft?,
        _ change: (inout Ticket, Tenant, Date) async throws -> [PendingEvent]
    ) async throws -> (ticket: Ticket, messages: [TicketMessage]) {
        let tenant = try await tenant(for: principal)
        let written = try await core.turns.withTurn("\(tenant.id)/\(ticketId)") {
            try await write(
                ticketId, tenant: tenant, actor: principal.subject, message: message,
                load: { try await loadForChange(principal, ticketId, tenant: tenant) }, change: change)
        }
        // `load` never answers nil here (a ticket the principal may not see throws).
        guard let written else { throw DocketError.notFound("ticket", ticketId) }
        return (written.ticket.visible(to: principal), written.messages)
    }

    /// Fires what is due on one ticket now — SLA warnings and breaches, and rules' timers —
    /// through the rules; answers the events fired. Nothing is written when nothing is due any
    /// more (another scheduler, or a change, got there first).
    func fireDue(_ ref: TicketRef, tenant: Tenant) async throws -> Int {
        let written = try await core.turns.withTurn("\(ref.tenantId)/\(ref.ticketId)") {
            try await write(
                ref.ticketId, tenant: tenant, actor: "scheduler", message: nil,
                load: { try await stores.tickets.ticket(tenantId: ref.tenantId, ticketId: ref.ticketId).map { ($0, nil) } },
                change: { ticket, _, now in
                    let next = ticket.nextWakeAt
                    let events = SLAKeeper.fire(&ticket, now: now) + TimerKeeper.fire(&ticket, now: now)
                    return events.isEmpty && ticket.nextWakeAt == next ? nil : events
                })
        }
        guard let written else { return 0 }
        for event in written.events { observer?.timerFired(event.type, ticket: written.ticket) }
        return written.events.count
    }

    /// Carries out the routing a waiting ticket (`Ticket.waiting`) asked for, now that `agent`
    /// came online (nil: the scheduler's look for tickets still waiting): during the ticket's
    /// turn and the tenant's routing turn (so the loads it reads are the ones its write changes),
    /// from fresh loads and presence. With an agent, the ticket's rules get `agent.online` in the
    /// same write. Nothing is written when the ticket no longer waits, or when still nobody fits
    /// and there is no `agent.online` its rules handle. Answers the ticket's assignee after it
    /// (nil when nothing was written or it still waits).
    func carryOutWaiting(_ ref: TicketRef, tenant: Tenant, agent: String?) async throws -> String? {
        let written = try await core.turns.withTurn("\(ref.tenantId)/\(ref.ticketId)") {
            try await RoutingTurn(core: core).run(tenant.id) {
                try await write(
                    ref.ticketId, tenant: tenant, actor: "scheduler", message: nil, routing: true,
                    load: { try await stores.tickets.ticket(tenantId: ref.tenantId, ticketId: ref.ticketId).map { ($0, nil) } },
                    change: { ticket, tenant, now in
                        guard let waiting = ticket.waiting else { return nil }
                        var events = agent.map { [PendingEvent(.agentOnline, ["agent": $0])] } ?? []
                        let agents = try await ruleRunner.agentViews(tenant)
                        // Still nobody (gone again, or everyone at capacity): it keeps waiting.
                        if let chosen = try? RuleRunner.route(ticket: ticket, strategy: waiting.strategy, tenant: tenant, agents: agents) {
                            if ticket.assignedAgent == chosen {
                                ticket.waiting = nil
                            } else {
                                try Self.take(
                                    &ticket, agent: chosen, by: "rule:\(waiting.rule)", reason: "assigned by rule once an agent came online",
                                    workflow: tenant.workflow, now: now)
                                events.append(PendingEvent(.assigned, ["agent": chosen]))
                            }
                        } else if events.isEmpty || !ruleRunner.rulesHandle(tenant, where: { $0 == RuleEventType.agentOnline.rawValue }) {
                            return nil
                        }
                        return events
                    })
            }
        }
        guard let written, written.ticket.waiting == nil else { return nil }
        return written.ticket.assignedAgent
    }

    /// The one conditional-write loop, during the ticket's writers' turn (and, with `routing`,
    /// the tenant's routing turn). `load` answers the ticket and what its rules read with it, or
    /// nil when there is no ticket; `change` answers the events it caused, or nil when there is
    /// nothing to write. Answers nil when nothing was written for either reason.
    private func write(
        _ ticketId: String, tenant: Tenant, actor: String, message: MessageDraft?, routing: Bool = false,
        load: () async throws -> (Ticket, RuleInputs?)?,
        change: (inout Ticket, Tenant, Date) async throws -> [PendingEvent]?
    ) async throws -> Written? {
        for _ in 0..<ServiceCore.maxAttempts {
            guard var (ticket, inputs) = try await load() else { return nil }
            let before = ticket
            let expected = ticket.version
            let now = clock.now()
            guard let events = try await change(&ticket, tenant, now) else { return nil }
            // Rule actions land in the same conditional write as the change that caused them.
            if ticket.customerId != before.customerId { inputs = nil }
            let run = try await ruleRunner.run(
                &ticket, events: events, tenant: tenant, actor: actor, now: now, version: expected + 1, inputs: inputs)
            if !routing, RuleRunner.routed(run.entries) {
                return try await RoutingTurn(core: core).run(tenant.id) {
                    try await write(ticketId, tenant: tenant, actor: actor, message: message, routing: true, load: load, change: change)
                }
            }
            let messages = try await conversation.apply(&ticket, before: before, draft: message, events: events, tenant: tenant, now: now)
            SLAKeeper.apply(&ticket, before: before, tenant: tenant, now: now, messages: messages)
            TimerKeeper.settle(&ticket, before: before, workflow: tenant.workflow)
            ConversationKeeper.settleOpenChat(&ticket, tenant: tenant)
            // A resolved or closed ticket waits for no agent.
            if ticket.waiting != nil, SLAKeeper.finished(ticket, tenant.workflow) { ticket.waiting = nil }
            ticket.version = expected + 1
            ticket.updatedAt = now
            // The change, its messages, its live events and its recorded rule events: one write.
            let outbox = announcer.outbox(
                before: before, after: ticket, messages: messages, events: events, entries: run.entries, records: run.records, tenant: tenant,
                now: now)
            if let stored = try await stores.tickets.updateTicket(ticket, expectedVersion: expected, messages: messages, outbox: outbox) {
                announcer.observe(before: before, after: ticket)
                live.publish(stored)
                return Written(before: before, ticket: ticket, messages: messages, events: events)
            }
        }
        throw DocketError(.conflict, "ticket '\(ticketId)' is being changed by others; retry")
    }
}
