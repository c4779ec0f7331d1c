import Foundation

extension TicketService {
    /// Fires the SLA warnings and breaches due now, each exactly once (one conditional write per
    /// ticket; another scheduler that got there first leaves nothing due), through the rules.
    /// Returns how many events fired.
    @discardableResult
    public func fireDueSLATimers(limit: Int = 500) async throws -> Int {
        let now = clock.now()
        var fired = 0
        for ref in try await store.dueSLATickets(before: now, limit: limit) {
            guard let tenant = try await tenants.tenant(ref.tenantId) else { continue }
            fired += try await core.turns.withTurn("\(ref.tenantId)/\(ref.ticketId)") { try await fire(ref, tenant: tenant, now: now) }
        }
        return fired
    }

    /// Fires what is due on one ticket (during its writers' turn); returns how many events.
    private func fire(_ ref: TicketRef, tenant: Tenant, now: Date) async throws -> Int {
        var fired = 0
        for _ in 0..<ServiceCore.maxAttempts {
            guard var ticket = try await store.ticket(tenantId: ref.tenantId, ticketId: ref.ticketId) else { break }
            let before = ticket
            let expected = ticket.version
            let events = Self.fireSLA(&ticket, now: now)
            if events.isEmpty, ticket.sla.nextTimerAt == before.sla.nextTimerAt { break }
            let run = try await runRules(&ticket, events: events, tenant: tenant, actor: "sla", now: now)
            let messages = try await converse(&ticket, before: before, draft: nil, events: events, tenant: tenant, now: now)
            Self.applySLA(&ticket, before: before, tenant: tenant, now: now, messages: messages)
            Self.settleOpenChat(&ticket, tenant: tenant)
            ticket.version = expected + 1
            ticket.updatedAt = now
            let outbox = outbox(
                before: before, after: ticket, messages: messages, events: events, entries: run.entries, records: run.records, now: now)
            if let stored = try await store.updateTicket(ticket, expectedVersion: expected, messages: messages, outbox: outbox) {
                fired += events.count
                for event in events { observer?.slaFired(event.type, ticket: ticket) }
                observe(before: before, after: ticket)
                live.publish(stored)
                break
            }
        }
        return fired
    }
}
