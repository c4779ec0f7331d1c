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
        records: [RecordedRuleEvent], tenant: Tenant, now: Date
    ) -> Outbox {
        Outbox(
            live: announcements(before: before, after: after, messages: messages, events: events, entries: entries, now: now),
            rules: records, retain: live.settings.retainedPerTenant, onCommit: live.commitHook,
            report: ReportContribution(tenant).written(before: before, after: after))
    }

    /// The live events of one change (`before` nil for a creation), in the order they happen.
    func announcements(
        before: Ticket?, after: Ticket, messages: [TicketMessage], events: [PendingEvent], entries: [RuleAuditEntry], now: Date
    ) -> [LiveEvent] {
        var out: [LiveEvent] = []
        var payloads: [LivePayload] = []
        func add(_ type: LiveEventType, _ payload: LivePayload, to audience: LiveAudience = .everyone) {
            out.append(LiveEvent(
                tenantId: after.tenantId, type: type, ticketId: after.ticketId, customerId: after.customerId, queue: after.queue,
                audience: audience, data: "", at: now))
            payloads.append(payload)
        }
        let session = after.chat?.servedBy.last { $0.active }
        if let before {
            if before.assignedAgent != after.assignedAgent {
                if let agent = after.assignedAgent, session?.reason == "claimed" {
                    add(.ticketClaimed, .agent(agentId: agent, agentName: session?.agentName))
                } else {
                    add(.ticketAssigned, .agent(agentId: after.assignedAgent, agentName: session?.agentName, previousAgent: before.assignedAgent))
                }
            }
            if before.status != after.status, after.resolution != nil, before.resolution == nil {
                add(.ticketResolved, .ticket)
            }
            if let escalation = after.escalation, escalation != before.escalation {
                add(.ticketEscalated, .agent(agentId: escalation.escalatedTo, reason: escalation.reason), to: .staff)
            }
            for note in after.notes.dropFirst(before.notes.count) {
                add(.ticketNoteAdded, .note(note, ticketId: after.ticketId), to: note.isInternal ? .staff : .everyone)
            }
            if out.isEmpty, messages.isEmpty, before.version != after.version {
                add(.ticketUpdated, .ticket)
            }
        } else {
            add(.ticketCreated, .ticket)
            if after.assignedAgent == nil {
                add(.newPendingTicket, .ticket)
            } else {
                add(.ticketAssigned, .agent(agentId: after.assignedAgent, agentName: session?.agentName))
            }
        }
        for message in messages {
            add(.newMessage, .message(message))
        }
        for event in events {
            switch event.type {
            case .slaWarning, .slaBreached:
                add(event.type == .slaWarning ? .slaWarning : .slaBreached,
                    .sla(target: event.details["target"], dueAt: event.details["dueAt"]), to: .staff)
            case .ticketTimer:
                add(.ticketTimer, .timer(name: event.details["name"] ?? "", dueAt: event.details["dueAt"], setBy: event.details["setBy"]), to: .staff)
            default:
                break
            }
        }
        // Rules that proposed something or failed; the rest are in the audit only.
        for entry in entries where !entry.proposed.isEmpty || entry.error != nil {
            add(.ruleFired, .ruleFired(entry, ticketId: after.ticketId), to: .staff)
            for hook in entry.webhooks ?? [] {
                add(.ruleWebhook, .ruleWebhook(rule: entry.rule, endpoint: hook.endpoint, event: hook.event), to: .staff)
                out[out.count - 1].queue = nil
                out[out.count - 1].endpoint = hook.endpoint
            }
            for template in entry.mails ?? [] {
                add(.ruleMail, .ruleMail(rule: entry.rule, template: template), to: .staff)
                out[out.count - 1].queue = nil
            }
            for notice in entry.notifications ?? [] {
                add(.notification, .notification(rule: entry.rule, target: notice.target, message: notice.message),
                    to: notice.target == "customer" ? .everyone : .staff)
                out[out.count - 1].queue = nil
                switch notice.target {
                case "assignee": out[out.count - 1].agentId = after.assignedAgent
                case "customer": break
                case let target where target.hasPrefix("agent:"): out[out.count - 1].agentId = String(target.dropFirst("agent:".count))
                case let target where target.hasPrefix("queue:"): out[out.count - 1].queue = String(target.dropFirst("queue:".count))
                default: break
                }
            }
        }
        // The summary is written once and put in each event that carries it.
        let data = wire.eventData(payloads, about: LiveTicketSummary(after))
        let origin = live.origin
        for index in out.indices {
            out[index].data = data[index]
            out[index].origin = origin
        }
        return out
    }

    /// What a pack switch announces to the tenant's staff, written with the switch.
    func packOutbox(_ tenant: Tenant, at now: Date) -> Outbox {
        let data = wire.eventData(.packActivated(tenantId: tenant.id, packId: tenant.pack.id, version: tenant.pack.version), about: nil)
        var event = LiveEvent(tenantId: tenant.id, type: .packActivated, audience: .staff, data: data, at: now)
        event.origin = live.origin
        return Outbox(
            live: [event],
            retain: live.settings.retainedPerTenant, onCommit: live.commitHook)
    }

    /// A rollout's start or end, for staff (`pack_rollout`), written with the tenant's change.
    func rolloutOutbox(_ rollout: PackRollout, at now: Date) -> Outbox {
        let data = wire.eventData(.packRollout(PackRolloutNotice(rollout)), about: nil)
        var event = LiveEvent(tenantId: rollout.tenantId, type: .packRollout, audience: .staff, data: data, at: now)
        event.origin = live.origin
        return Outbox(live: [event], retain: live.settings.retainedPerTenant, onCommit: live.commitHook)
    }

    /// Tells the observer which SLA clocks a stored change decided.
    func observe(before: Ticket, after: Ticket) {
        guard let observer else { return }
        let decisions = SLADecision.between(before, after)
        if !decisions.isEmpty { observer.slaDecided(decisions, ticket: after) }
    }
}
