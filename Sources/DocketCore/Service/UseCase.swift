import Foundation

extension UseCase {
    func tenant(for principal: Principal) async throws -> Tenant {
        guard let tenant = try await tenants.tenant(principal.tenantId) else {
            throw DocketError(.unauthorized, "unknown tenant '\(principal.tenantId)'")
        }
        return tenant
    }

    static func requireStaff(_ principal: Principal) throws {
        guard principal.isStaff else { throw DocketError.forbidden("this operation is for agents and admins") }
    }

    static func requireAdmin(_ principal: Principal) throws {
        guard principal.role.isAdmin else { throw DocketError.forbidden("this operation is for admins") }
    }

    /// Whether this service runs rules and the tenant's pack (or the candidate of its running
    /// rollout) has one for an event `accepts`.
    func rulesHandle(_ tenant: Tenant, where accepts: (String) -> Bool) -> Bool {
        guard rules != nil else { return false }
        return (tenant.pack.rules ?? []).contains { $0.events.contains(where: accepts) }
            || (tenant.rollout?.candidate.rules ?? []).contains { $0.events.contains(where: accepts) }
    }

    /// The statuses whose tickets no longer count toward an agent's load.
    static func finished(_ tenant: Tenant) -> [String] { [tenant.workflow.resolved, tenant.workflow.closed] }

    /// Loads a ticket the principal may see; another customer's ticket is "not found".
    func load(_ principal: Principal, _ ticketId: String) async throws -> Ticket {
        try Self.visible(try await stores.tickets.ticket(tenantId: principal.tenantId, ticketId: ticketId), to: principal, ticketId)
    }

    /// The ticket if `principal` may see it (staff, or its own customer); not found otherwise.
    static func visible(_ ticket: Ticket?, to principal: Principal, _ ticketId: String) throws -> Ticket {
        guard let ticket, principal.isStaff || ticket.customerId == principal.subject else { throw DocketError.notFound("ticket", ticketId) }
        return ticket
    }

    /// `load`, with what the change's rules will read when they may run (one read instead of
    /// two where the store can): whenever the tenant's pack handles an event besides creation.
    func loadForChange(_ principal: Principal, _ ticketId: String, tenant: Tenant) async throws -> (Ticket, RuleInputs?) {
        guard rulesHandle(tenant, where: { $0 != RuleEventType.ticketCreated.rawValue }) else { return (try await load(principal, ticketId), nil) }
        let read = try await stores.tickets.ticketWithRuleInputs(tenantId: principal.tenantId, ticketId: ticketId, finished: Self.finished(tenant))
        return (try Self.visible(read?.ticket, to: principal, ticketId), read?.inputs)
    }

    static func fieldNames(_ patch: TicketPatch) -> [String] {
        var names: [String] = []
        if patch.subject != nil { names.append("subject") }
        if patch.description != nil { names.append("description") }
        if patch.category != nil { names.append("category") }
        if patch.subcategory != nil { names.append("subcategory") }
        if patch.priority != nil { names.append("priority") }
        if patch.conversationId != nil { names.append("conversationId") }
        if patch.location != nil { names.append("location") }
        if patch.tags != nil { names.append("tags") }
        if patch.attachments != nil { names.append("attachments") }
        return names
    }

    /// New SLA targets after a priority change, measured from creation; what was already met stays.
    static func retarget(_ ticket: inout Ticket, _ target: SLATarget) {
        let fresh = TicketSLA(targets: target, createdAt: ticket.createdAt)
        ticket.sla.firstResponseTargetMs = fresh.firstResponseTargetMs
        ticket.sla.resolutionTargetMs = fresh.resolutionTargetMs
        ticket.sla.firstResponseDueAt = fresh.firstResponseDueAt
        ticket.sla.resolutionDueAt = fresh.resolutionDueAt
    }

    /// Moves the ticket along the workflow and records what the new status means.
    static func transition(
        _ ticket: inout Ticket, to target: String, by actor: String, reason: String?, workflow: Workflow, now: Date
    ) throws {
        guard workflow.status(target) != nil else {
            throw DocketError(
                .validation, "status: '\(target)' is not a status of this workflow", field: "status",
                details: ["statuses": workflow.statuses.map(\.id)])
        }
        let allowed = workflow.allowedTransitions(from: ticket.status)
        guard allowed.contains(target) else {
            throw DocketError(
                .invalidTransition, "cannot move from '\(ticket.status)' to '\(target)'", field: "status",
                details: ["allowed": allowed])
        }
        ticket.statusHistory.append(StatusChange(from: ticket.status, to: target, changedBy: actor, reason: reason, timestamp: now))
        let leaving = ticket.status
        ticket.status = target
        if target == workflow.firstResponse, ticket.sla.firstResponseAt == nil {
            ticket.sla.firstResponseAt = now
            ticket.sla.firstResponseMet = now <= ticket.sla.firstResponseDueAt
        }
        if target == workflow.resolved {
            ticket.resolution = Resolution(resolvedAt: now, resolvedBy: actor, notes: ticket.resolution?.notes)
            ticket.sla.resolutionMet = now <= ticket.sla.resolutionDueAt
        } else if leaving == workflow.resolved, target != workflow.closed {
            // Reopened: the earlier resolution no longer counts.
            ticket.resolution = nil
            ticket.sla.resolutionMet = nil
        }
        if target == workflow.closed {
            ticket.closedAt = now
        } else if leaving == workflow.closed {
            ticket.closedAt = nil
        }
    }

    /// Gives the ticket to `agent` (an assignment, claim, transfer or escalation to someone).
    /// A resolved or closed ticket takes no assignee, and so no service session: it is reopened
    /// through the workflow first. Checked on the version being written, inside the retry loop.
    static func take(_ ticket: inout Ticket, agent: String, by actor: String, reason: String, workflow: Workflow, now: Date) throws {
        if ticket.status == workflow.closed || ticket.status == workflow.resolved {
            throw DocketError(
                .conflict, "ticket '\(ticket.ticketId)' is \(ticket.status): reopen it before giving it to an agent",
                details: ["status": [ticket.status]])
        }
        ticket.assignedAgent = agent
        ticket.assignedAt = now
        // Whoever gave it out, it waits for nobody any more.
        ticket.waiting = nil
        if ticket.status == workflow.initial, let open = workflow.onAssign, workflow.canTransition(from: ticket.status, to: open) {
            try transition(&ticket, to: open, by: actor, reason: reason, workflow: workflow, now: now)
        }
    }

    /// The customer `id`, registered first when new.
    @discardableResult
    func ensureCustomer(tenantId: String, id: String, now: Date) async throws -> Customer {
        if let known = try await stores.people.customer(tenantId: tenantId, id: id) { return known }
        let fresh = Customer(id: id, tenantId: tenantId, phoneNumber: nil, firstName: nil, lastName: nil, email: nil, createdAt: now)
        do {
            try await stores.people.insertCustomer(fresh)
            return fresh
        } catch let error as DocketError where error.code == .conflict {
            // Someone registered the customer at the same moment; that is what we wanted.
            return try await stores.people.customer(tenantId: tenantId, id: id) ?? fresh
        }
    }
}
