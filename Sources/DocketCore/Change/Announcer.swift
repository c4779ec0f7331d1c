import Foundation

/// What a change announces: its live events and recorded rule events (the outbox written with
/// it), and what the observer is told once it is stored. A step of the change pipeline.
struct Announcer: UseCase {
    let core: ServiceCore
}

extension Announcer {
    /// The outbox of one change (`before` nil for a creation): its live events and the rule
    /// events to record, written in the change's own write.
    func outbox(
        before: Ticket?, after: Ticket, messages: [TicketMessage], events: [PendingEvent], entries: [RuleAuditEntry],
        records: [RecordedRuleEvent], now: Date
    ) -> Outbox {
        Outbox(
            live: announcements(before: before, after: after, messages: messages, events: events, entries: entries, now: now),
            rules: records, retain: live.settings.retainedPerTenant, onCommit: live.commitHook)
    }

    /// The live events of one change (`before` nil for a creation), in the order they happen.
    func announcements(
        before: Ticket?, after: Ticket, messages: [TicketMessage], events: [PendingEvent], entries: [RuleAuditEntry], now: Date
    ) -> [LiveEvent] {
        // The summary is encoded once and spliced into each event's data.
        let summary = wire.summary(LiveTicketSummary(after))
        var out: [LiveEvent] = []
        func add(_ type: LiveEventType, _ data: String, to audience: LiveAudience = .everyone) {
            out.append(LiveEvent(
                tenantId: after.tenantId, type: type, ticketId: after.ticketId, customerId: after.customerId, queue: after.queue,
                audience: audience, data: data, at: now))
        }
        func withTicket(_ extra: some Encodable) -> String { wire.splice(summary: summary, into: wire.text(extra)) }
        let ticketOnly = wire.splice(summary: summary, into: "{}")
        let session = after.chat?.servedBy.last { $0.active }
        if let before {
            if before.assignedAgent != after.assignedAgent {
                if let agent = after.assignedAgent, session?.reason == "claimed" {
                    add(.ticketClaimed, withTicket(AgentData(agentId: agent, agentName: session?.agentName)))
                } else {
                    add(.ticketAssigned, withTicket(AgentData(agentId: after.assignedAgent, agentName: session?.agentName, previousAgent: before.assignedAgent)))
                }
            }
            if before.status != after.status, after.resolution != nil, before.resolution == nil {
                add(.ticketResolved, ticketOnly)
            }
            if let escalation = after.escalation, escalation != before.escalation {
                add(.ticketEscalated, withTicket(AgentData(agentId: escalation.escalatedTo, reason: escalation.reason)), to: .staff)
            }
            for note in after.notes.dropFirst(before.notes.count) {
                add(.ticketNoteAdded, wire.note(note, ticketId: after.ticketId), to: note.isInternal ? .staff : .everyone)
            }
            if out.isEmpty, messages.isEmpty, before.version != after.version {
                add(.ticketUpdated, ticketOnly)
            }
        } else {
            add(.ticketCreated, ticketOnly)
            if after.assignedAgent == nil {
                add(.newPendingTicket, ticketOnly)
            } else {
                add(.ticketAssigned, withTicket(AgentData(agentId: after.assignedAgent, agentName: session?.agentName)))
            }
        }
        for message in messages {
            add(.newMessage, withTicket(MessageEventData(ticketId: after.ticketId, message: message)))
        }
        for event in events where event.type == .slaWarning || event.type == .slaBreached {
            add(event.type == .slaWarning ? .slaWarning : .slaBreached,
                withTicket(SLAEventData(target: event.details["target"], dueAt: event.details["dueAt"])), to: .staff)
        }
        // Rules that proposed something or failed; the rest are in the audit only.
        for entry in entries where !entry.proposed.isEmpty || entry.error != nil {
            add(.ruleFired, wire.ruleFired(entry, ticketId: after.ticketId), to: .staff)
            for hook in entry.webhooks ?? [] {
                let data = withTicket(RuleWebhookData(ticketId: after.ticketId, rule: entry.rule, endpoint: hook.endpoint, event: hook.event))
                out.append(LiveEvent(
                    tenantId: after.tenantId, type: .ruleWebhook, ticketId: after.ticketId, customerId: after.customerId, audience: .staff,
                    data: data, at: now))
            }
            for notice in entry.notifications ?? [] {
                let data = withTicket(NotificationData(ticketId: after.ticketId, rule: entry.rule, target: notice.target, message: notice.message))
                var event = LiveEvent(
                    tenantId: after.tenantId, type: .notification, ticketId: after.ticketId, customerId: after.customerId,
                    audience: notice.target == "customer" ? .everyone : .staff, data: data, at: now)
                switch notice.target {
                case "assignee": event.agentId = after.assignedAgent
                case "customer": break
                case let target where target.hasPrefix("agent:"): event.agentId = String(target.dropFirst("agent:".count))
                case let target where target.hasPrefix("queue:"): event.queue = String(target.dropFirst("queue:".count))
                default: break
                }
                out.append(event)
            }
        }
        let origin = live.origin
        for index in out.indices { out[index].origin = origin }
        return out
    }

    /// What a pack switch announces to the tenant's staff, written with the switch.
    func packOutbox(_ tenant: Tenant, at now: Date) -> Outbox {
        let data = PackEventData(tenantId: tenant.id, packId: tenant.pack.id, version: tenant.pack.version)
        var event = LiveEvent(tenantId: tenant.id, type: .packActivated, audience: .staff, data: wire.text(data), at: now)
        event.origin = live.origin
        return Outbox(
            live: [event],
            retain: live.settings.retainedPerTenant, onCommit: live.commitHook)
    }

    /// Tells the observer which SLA clocks a stored change decided.
    func observe(before: Ticket, after: Ticket) {
        guard let observer else { return }
        let decisions = SLADecision.between(before, after)
        if !decisions.isEmpty { observer.slaDecided(decisions, ticket: after) }
    }
}
