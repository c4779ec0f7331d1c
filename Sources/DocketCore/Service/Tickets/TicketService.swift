import Foundation

/// The ticket lifecycle: every change to a ticket goes through here, is checked against the
/// tenant's workflow and the caller's role, and is stored with one conditional update.
extension TicketService {
    // MARK: - Tickets

    public func createTicket(_ principal: Principal, _ input: NewTicket) async throws -> Ticket {
        try await writer.create(principal, input, firstMessage: nil)
    }

    public func ticket(_ principal: Principal, _ ticketId: String) async throws -> Ticket {
        let tenant = try await tenant(for: principal)
        var ticket = try await load(principal, ticketId).visible(to: principal)
        // What each running clock has left now, in its own time (business hours or all day).
        let context = SLAContext(tenant)
        let now = clock.now()
        ticket.sla.clocks = ticket.sla.clocks?.map { clock in
            var clock = clock
            if clock.stoppedAt == nil { clock.remainingSeconds = Double(clock.targetSeconds) - context.consumed(clock, at: now) }
            return clock
        }
        return ticket
    }

    /// The ticket's rule evaluations, oldest first; staff only.
    public func ruleAudit(_ principal: Principal, _ ticketId: String) async throws -> [RuleAuditEntry] {
        try Self.requireStaff(principal)
        _ = try await tenant(for: principal)
        return try await load(principal, ticketId).ruleAudit ?? []
    }

    public func listTickets(_ principal: Principal, _ query: TicketQuery) async throws -> Page<Ticket> {
        let tenant = try await tenant(for: principal)
        var query = query
        try Self.checkFilters(query, tenant)
        guard (1...TicketQuery.maxLimit).contains(query.limit) else {
            throw DocketError(.badRequest, "limit must be between 1 and \(TicketQuery.maxLimit)", field: "limit")
        }
        guard query.page >= 1, query.page <= 1_000_000 else {
            throw DocketError(.badRequest, "page must be between 1 and 1000000", field: "page")
        }
        if let search = query.search, search.count > 200 {
            throw DocketError(.badRequest, "search must be at most 200 characters", field: "search")
        }
        if principal.role == .customer {
            if let asked = query.customerId, asked != principal.subject { return Page(items: [], page: query.page, limit: query.limit, total: 0) }
            query.customerId = principal.subject
        }
        query.searchInternalNotes = principal.isStaff
        var page = try await stores.tickets.listTickets(tenantId: principal.tenantId, query: query)
        page.items = page.items.map { $0.visible(to: principal) }
        return page
    }

    /// A list's statuses and category must be the tenant's (a filter that can never match is a
    /// mistake to report), and it names at most `TicketQuery.maxStatuses` statuses.
    static func checkFilters(_ query: TicketQuery, _ tenant: Tenant) throws {
        let known = tenant.workflow.statuses.map(\.id)
        if let unknown = query.statuses.first(where: { !known.contains($0) }) {
            // As an unknown priority is: a filter that can never match is a mistake to report.
            throw DocketError(
                .badRequest, "status '\(unknown)' is not a status of this tenant's workflow", field: "status", details: ["allowed": known])
        }
        // The same rule for the pack's other vocabulary: a category it never had (inactive ones
        // still filter their old tickets).
        if let category = query.category, !tenant.categories.contains(where: { $0.id == category }) {
            throw DocketError(
                .badRequest, "category '\(category)' is not a category of this tenant's pack", field: "category",
                details: ["allowed": tenant.categories.map(\.id)])
        }
        guard query.statuses.count <= TicketQuery.maxStatuses else {
            throw DocketError(.badRequest, "status lists at most \(TicketQuery.maxStatuses) statuses", field: "status")
        }
    }

    public func updateTicket(_ principal: Principal, _ ticketId: String, _ patch: TicketPatch) async throws -> Ticket {
        try Self.requireStaff(principal)
        return try await writer.change(principal, ticketId) { ticket, tenant, now in
            var events = [PendingEvent(.ticketUpdated, ["fields": Self.fieldNames(patch).joined(separator: ",")])]
            if let subject = patch.subject { ticket.subject = try Check.text(subject, field: "subject", max: TicketLimits.subject) }
            if let description = patch.description {
                ticket.description = try Check.text(description, field: "description", max: TicketLimits.description)
            }
            if let category = patch.category {
                guard tenant.category(category) != nil else {
                    throw DocketError(
                        .validation, "category: '\(category)' is not an active category", field: "category",
                        details: ["allowed": tenant.categories.filter(\.active).map(\.id)])
                }
                ticket.category = category
            }
            if let sub = patch.subcategory { ticket.subcategory = try Check.optionalText(sub, field: "subcategory", max: TicketLimits.shortText) }
            if let conversation = patch.conversationId { ticket.conversationId = try Check.identifier(conversation, field: "conversationId") }
            if let location = patch.location { ticket.location = try Check.location(location) }
            if let tags = patch.tags { ticket.tags = try Check.tags(tags) }
            if let attachments = patch.attachments {
                let added = try Check.attachments(attachments, by: principal.subject, at: now)
                guard ticket.attachments.count + added.count <= TicketLimits.attachments else {
                    throw DocketError.invalid("attachments", "a ticket holds at most \(TicketLimits.attachments) attachments")
                }
                ticket.attachments += added
            }
            if let priority = patch.priority, priority != ticket.priority {
                events.append(PendingEvent(.priorityChanged, ["from": ticket.priority.rawValue, "to": priority.rawValue]))
                ticket.priority = priority
                Self.retarget(&ticket, tenant.sla.target(for: priority))
            }
            return events
        }
    }

    public func changeStatus(_ principal: Principal, _ ticketId: String, to status: String, reason: String?) async throws -> Ticket {
        try Self.requireStaff(principal)
        let reason = try Check.optionalText(reason, field: "reason", max: TicketLimits.reason)
        return try await writer.change(principal, ticketId) { ticket, tenant, now in
            let from = ticket.status
            try Self.transition(&ticket, to: status, by: principal.subject, reason: reason, workflow: tenant.workflow, now: now)
            return [PendingEvent(.statusChanged, ["from": from, "to": status])]
        }
    }

    public func resolve(_ principal: Principal, _ ticketId: String, notes: String) async throws -> Ticket {
        try Self.requireStaff(principal)
        let notes = try Check.text(notes, field: "resolutionNotes", max: TicketLimits.resolutionNotes)
        return try await writer.change(principal, ticketId) { ticket, tenant, now in
            let from = ticket.status
            try Self.transition(&ticket, to: tenant.workflow.resolved, by: principal.subject, reason: "resolved", workflow: tenant.workflow, now: now)
            ticket.resolution?.notes = notes
            return [PendingEvent(.statusChanged, ["from": from, "to": tenant.workflow.resolved])]
        }
    }

    public func assign(_ principal: Principal, _ ticketId: String, to agentId: String) async throws -> Ticket {
        try Self.requireStaff(principal)
        guard let agentId = try Check.identifier(agentId, field: "agentId"),
            let agent = try await stores.people.agent(tenantId: principal.tenantId, id: agentId)
        else { throw DocketError.invalid("agentId", "unknown agent '\(agentId)'") }
        guard agent.isActive else { throw DocketError.invalid("agentId", "agent '\(agentId)' is deactivated") }
        return try await writer.change(principal, ticketId) { ticket, tenant, now in
            try Self.take(&ticket, agent: agentId, by: principal.subject, reason: "assigned", workflow: tenant.workflow, now: now)
            return [PendingEvent(.assigned, ["agent": agentId])]
        }
    }

    /// An agent takes an unassigned ticket for itself; exactly one of many concurrent claimers wins.
    /// Claiming an open ticket one already holds changes nothing (no write, no event); a resolved
    /// or closed ticket cannot be claimed, whoever holds it.
    public func claim(_ principal: Principal, _ ticketId: String) async throws -> Ticket {
        try Self.requireStaff(principal)
        return try await writer.changeIfNeeded(principal, ticketId) { ticket, tenant, now in
            if let holder = ticket.assignedAgent {
                if holder == principal.subject {
                    if ticket.status == tenant.workflow.closed || ticket.status == tenant.workflow.resolved {
                        throw DocketError(.conflict, "ticket '\(ticketId)' is \(ticket.status) and cannot be claimed")
                    }
                    return nil
                }
                let name = try await stores.people.agent(tenantId: principal.tenantId, id: holder)?.name
                let who = name.map { "\($0) (\(holder))" } ?? holder
                throw DocketError(.alreadyClaimed, "ticket '\(ticketId)' is already claimed by \(who)", details: ["assignedAgent": [holder]])
            }
            if ticket.status == tenant.workflow.closed || ticket.status == tenant.workflow.resolved {
                throw DocketError(.conflict, "ticket '\(ticketId)' is \(ticket.status) and cannot be claimed")
            }
            try Self.take(&ticket, agent: principal.subject, by: principal.subject, reason: "claimed", workflow: tenant.workflow, now: now)
            return [PendingEvent(.assigned, ["agent": principal.subject, "claimed": "true"])]
        }
    }

    public func addNote(_ principal: Principal, _ ticketId: String, content: String, isInternal: Bool?) async throws -> Ticket {
        let content = try Check.text(content, field: "content", max: TicketLimits.note)
        if principal.role == .customer, isInternal == true {
            throw DocketError.forbidden("customers cannot add internal notes")
        }
        let markInternal = principal.isStaff ? (isInternal ?? true) : false
        return try await writer.change(principal, ticketId) { ticket, tenant, now in
            guard ticket.notes.count < 1_000 else { throw DocketError(.conflict, "ticket '\(ticketId)' holds the maximum of 1000 notes") }
            ticket.notes.append(Note(
                id: IdentifierGenerator.make(), authorId: principal.subject, authorRole: AuthorRole(principal.role),
                content: content, isInternal: markInternal, timestamp: now))
            var events = [PendingEvent(.noteAdded, ["text": content, "internal": markInternal ? "true" : "false", "author": principal.role.rawValue])]
            // The way back: a customer's reply moves e.g. pending_customer → in_progress, resolved → open.
            if principal.role == .customer, let next = tenant.workflow.status(ticket.status)?.onCustomerReply {
                let from = ticket.status
                try Self.transition(&ticket, to: next, by: principal.subject, reason: "customer replied", workflow: tenant.workflow, now: now)
                events.append(PendingEvent(.statusChanged, ["from": from, "to": next]))
            }
            return events
        }
    }

    public func escalate(_ principal: Principal, _ ticketId: String, to agentId: String?, reason: String) async throws -> Ticket {
        try Self.requireStaff(principal)
        let reason = try Check.text(reason, field: "reason", max: TicketLimits.reason)
        if let agentId {
            guard try Check.identifier(agentId, field: "toAgentId") != nil,
                try await stores.people.agent(tenantId: principal.tenantId, id: agentId) != nil
            else { throw DocketError.invalid("toAgentId", "unknown agent '\(agentId)'") }
        }
        return try await writer.change(principal, ticketId) { ticket, tenant, now in
            if ticket.status == tenant.workflow.closed {
                throw DocketError(.conflict, "ticket '\(ticketId)' is closed and cannot be escalated")
            }
            ticket.escalation = Escalation(escalatedTo: agentId, escalatedBy: principal.subject, reason: reason, escalatedAt: now)
            if let agentId {
                try Self.take(&ticket, agent: agentId, by: principal.subject, reason: "escalated", workflow: tenant.workflow, now: now)
            }
            return [PendingEvent(.escalated, ["reason": reason])]
        }
    }

    public func submitFeedback(_ principal: Principal, _ ticketId: String, rating: Int, comment: String?) async throws -> Ticket {
        guard principal.role == .customer else { throw DocketError.forbidden("only the customer rates a ticket") }
        guard (1...5).contains(rating) else { throw DocketError.invalid("rating", "must be between 1 and 5") }
        let comment = try Check.optionalText(comment, field: "comment", max: TicketLimits.feedbackComment)
        return try await writer.change(principal, ticketId) { ticket, tenant, now in
            guard ticket.status == tenant.workflow.resolved || ticket.status == tenant.workflow.closed else {
                throw DocketError(.conflict, "ticket '\(ticketId)' can be rated once it is resolved or closed")
            }
            ticket.customerFeedback = CustomerFeedback(rating: rating, comment: comment, submittedAt: now)
            return [PendingEvent(.ticketUpdated, ["fields": "customerFeedback"])]
        }
    }
}
