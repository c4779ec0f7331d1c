import Foundation

/// The SLA clocks of a change: brought up to date with what changed, and the warnings and
/// breaches that came due fired. Pure: no I/O.
enum SLAKeeper {
    /// Brings the ticket's SLA clocks up to date with what changed since `before` (nil for a
    /// new ticket): status (first response, pause and resume, resolve, reopen), priority,
    /// category, queue or policy (re-targets), public notes (next reply). Pure: no I/O.
    static func apply(_ ticket: inout Ticket, before: Ticket?, tenant: Tenant, now: Date, messages: [TicketMessage] = []) {
        let context = SLAContext(tenant)
        let workflow = tenant.workflow
        let paused = Set(context.policy.paused)
        var sla = ticket.sla
        let (target, matched) = context.policy.target(
            for: ticket.priority, policy: ticket.sla.policy, category: ticket.category, queue: ticket.queue)
        let allDay = target.allDay ?? false

        if sla.clocks == nil {
            // A new ticket, or one from before the SLA clock: start from here.
            var first = context.start(.firstResponse, seconds: target.firstResponseSeconds, allDay: allDay, at: before == nil ? ticket.createdAt : now)
            let resolution = context.start(.resolution, seconds: target.resolutionSeconds, allDay: allDay, at: before == nil ? ticket.createdAt : now)
            if sla.firstResponseAt != nil { context.stop(&first, at: now) }
            sla.clocks = [first, resolution]
            sla.policy = ticket.sla.policy ?? matched
            if paused.contains(ticket.status) {
                for index in sla.clocks!.indices { context.pause(&sla.clocks![index], at: now) }
            }
        } else if let before {
            if before.priority != ticket.priority || before.category != ticket.category || before.queue != ticket.queue
                || before.sla.policy != ticket.sla.policy
            {
                if ticket.sla.policy == nil { sla.policy = matched }
                sla.update(.firstResponse) { context.retarget(&$0, seconds: target.firstResponseSeconds, allDay: allDay, at: now) }
                sla.update(.resolution) { context.retarget(&$0, seconds: target.resolutionSeconds, allDay: allDay, at: now) }
                if let next = target.nextReplySeconds {
                    sla.update(.nextReply) { context.retarget(&$0, seconds: next, allDay: allDay, at: now) }
                }
            }
            let from = before.status, to = ticket.status
            if from != to {
                let finished: Set<String> = [workflow.resolved, workflow.closed]
                if to == workflow.firstResponse { sla.update(.firstResponse) { context.stop(&$0, at: now) } }
                if finished.contains(to) {
                    for kind in SLAClock.Kind.allCases { sla.update(kind) { context.stop(&$0, at: now) } }
                } else if finished.contains(from) {
                    // Reopened: the resolution clock runs again with what it had consumed.
                    sla.update(.resolution) { context.restart(&$0, at: now, paused: paused.contains(to)) }
                }
                if paused.contains(to), !paused.contains(from) {
                    for kind in SLAClock.Kind.allCases { sla.update(kind) { context.pause(&$0, at: now) } }
                } else if paused.contains(from), !paused.contains(to), !finished.contains(to) {
                    for kind in SLAClock.Kind.allCases { sla.update(kind) { context.resume(&$0, at: now) } }
                }
            }
            // Public notes and chat messages are replies alike.
            let replies = ticket.notes.dropFirst(before.notes.count).filter { !$0.isInternal }.map(\.authorRole)
                + messages.compactMap { message -> AuthorRole? in
                    switch message.senderType {
                    case .customer: .customer
                    case .staff: .agent
                    case .system: nil
                    }
                }
            for role in replies {
                switch role {
                case .customer:
                    // The customer writes after staff answered: staff owe the next reply.
                    guard let next = target.nextReplySeconds, sla.clock(.firstResponse)?.stoppedAt != nil,
                        sla.clock(.nextReply)?.isRunning != true, !finished(ticket, workflow)
                    else { continue }
                    // The earlier reply's target stays counted in the tally.
                    if let earlier = sla.clock(.nextReply) {
                        var tally = sla.nextReplies ?? ReplyTally()
                        tally.add(earlier)
                        sla.nextReplies = tally
                    }
                    sla.clocks?.removeAll { $0.kind == .nextReply }
                    var clock = context.start(.nextReply, seconds: next, allDay: allDay, at: now)
                    if paused.contains(ticket.status) { context.pause(&clock, at: now) }
                    sla.clocks?.append(clock)
                case .agent, .admin:
                    // A public staff reply answers the customer.
                    if sla.clock(.firstResponse)?.stoppedAt == nil {
                        sla.update(.firstResponse) { context.stop(&$0, at: now) }
                        if sla.firstResponseAt == nil { sla.firstResponseAt = now }
                    }
                    sla.update(.nextReply) { context.stop(&$0, at: now) }
                case .system:
                    break
                }
            }
        }
        sla.refreshNextTimer()
        ticket.sla = sla
    }

    static func finished(_ ticket: Ticket, _ workflow: Workflow) -> Bool {
        ticket.status == workflow.resolved || ticket.status == workflow.closed
    }

    /// Marks every warning and breach due by `now` and returns the events they raise.
    static func fire(_ ticket: inout Ticket, now: Date) -> [PendingEvent] {
        var events: [PendingEvent] = []
        for index in (ticket.sla.clocks ?? []).indices {
            var clock = ticket.sla.clocks![index]
            guard clock.isRunning else { continue }
            if clock.warnedAt == nil, let warnAt = clock.warnAt, warnAt <= now {
                clock.warnedAt = now
                clock.warnAt = nil
                events.append(PendingEvent(.slaWarning, ["target": clock.kind.rawValue, "dueAt": CivilTime.iso8601(clock.dueAt ?? now)]))
            }
            if clock.breachedAt == nil, let dueAt = clock.dueAt, dueAt <= now {
                clock.breachedAt = dueAt
                events.append(PendingEvent(.slaBreached, ["target": clock.kind.rawValue, "dueAt": CivilTime.iso8601(dueAt)]))
            }
            ticket.sla.clocks![index] = clock
        }
        ticket.sla.refreshNextTimer()
        return events
    }
}
