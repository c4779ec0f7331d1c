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

    /// Loads a ticket the principal may see; another customer's ticket is "not found".
    func load(_ principal: Principal, _ ticketId: String) async throws -> Ticket {
        try Self.visible(try await store.ticket(tenantId: principal.tenantId, ticketId: ticketId), to: principal, ticketId)
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
        let read = try await store.ticketWithRuleInputs(tenantId: principal.tenantId, ticketId: ticketId, finished: Self.finished(tenant))
        return (try Self.visible(read?.ticket, to: principal, ticketId), read?.inputs)
    }

    /// Applies `change` to the current ticket and stores it conditionally, retrying on a lost race.
    /// With `message`, the message joins the conversation in the same write. Returns the ticket
    /// as the principal sees it and the messages stored with it.
    func mutate(
        _ principal: Principal, _ ticketId: String,
        _ change: (inout Ticket, Tenant, Date) async throws -> [PendingEvent]
    ) async throws -> Ticket {
        try await converseAndMutate(principal, ticketId, message: nil, change).ticket
    }

    /// `mutate`, with a message joining the conversation in the same write.
    func converseAndMutate(
        _ principal: Principal, _ ticketId: String, message: MessageDraft?,
        _ change: (inout Ticket, Tenant, Date) async throws -> [PendingEvent]
    ) async throws -> (ticket: Ticket, messages: [TicketMessage]) {
        let tenant = try await tenant(for: principal)
        return try await core.turns.withTurn("\(tenant.id)/\(ticketId)") {
            try await converseAndMutate(principal, ticketId, tenant: tenant, message: message, change)
        }
    }

    /// The conditional-update loop every ticket change goes through, during the writer's turn.
    /// A change whose rules routed the ticket to an agent is redone, and stored, during the
    /// tenant's routing turn as well (see `createTicket`).
    private func converseAndMutate(
        _ principal: Principal, _ ticketId: String, tenant: Tenant, message: MessageDraft?, routing: Bool = false,
        _ change: (inout Ticket, Tenant, Date) async throws -> [PendingEvent]
    ) async throws -> (ticket: Ticket, messages: [TicketMessage]) {
        for _ in 0..<ServiceCore.maxAttempts {
            var (ticket, inputs) = try await loadForChange(principal, ticketId, tenant: tenant)
            let before = ticket
            let expected = ticket.version
            let now = clock.now()
            let events = try await change(&ticket, tenant, now)
            // Rule actions land in the same conditional write as the change that caused them.
            if ticket.customerId != before.customerId { inputs = nil }
            let run = try await runRules(&ticket, events: events, tenant: tenant, actor: principal.subject, now: now, inputs: inputs)
            if !routing, Self.routed(run.entries) {
                return try await core.turns.withTurn(Self.routingTurn(tenant.id)) {
                    try await converseAndMutate(principal, ticketId, tenant: tenant, message: message, routing: true, change)
                }
            }
            let messages = try await converse(&ticket, before: before, draft: message, events: events, tenant: tenant, now: now)
            Self.applySLA(&ticket, before: before, tenant: tenant, now: now, messages: messages)
            Self.settleOpenChat(&ticket, tenant: tenant)
            ticket.version = expected + 1
            ticket.updatedAt = now
            // The change, its messages, its live events and its recorded rule events: one write.
            let outbox = outbox(
                before: before, after: ticket, messages: messages, events: events, entries: run.entries, records: run.records, now: now)
            if let stored = try await store.updateTicket(ticket, expectedVersion: expected, messages: messages, outbox: outbox) {
                observe(before: before, after: ticket)
                live.publish(stored)
                return (ticket.visible(to: principal), messages)
            }
        }
        throw DocketError(.conflict, "ticket '\(ticketId)' is being changed by others; retry")
    }

    /// Tells the observer which SLA clocks a stored change decided.
    func observe(before: Ticket, after: Ticket) {
        guard let observer else { return }
        let decisions = SLADecision.between(before, after)
        if !decisions.isEmpty { observer.slaDecided(decisions, ticket: after) }
    }

    /// Whether rules gave the ticket to an agent (an `assign` action applied).
    static func routed(_ entries: [RuleAuditEntry]) -> Bool {
        entries.contains { $0.applied.contains { $0.hasPrefix("assign") } }
    }

    /// The turn routing decisions of a tenant take, one at a time.
    static func routingTurn(_ tenantId: String) -> String { "\(tenantId)#routing" }

    /// Opens a ticket; `firstMessage` (a customer's chat message) becomes message 1 of its conversation.
    func createTicket(_ principal: Principal, _ input: NewTicket, firstMessage: MessageDraft?) async throws -> Ticket {
        let tenant = try await tenant(for: principal)
        let now = clock.now()
        let subject = try Check.text(input.subject, field: "subject", max: TicketLimits.subject)
        let description = try Check.text(input.description, field: "description", max: TicketLimits.description)
        let categoryId = input.category ?? tenant.pack.defaultCategory
        guard tenant.category(categoryId) != nil else {
            throw DocketError(
                .validation, "category: '\(categoryId)' is not an active category", field: "category",
                details: ["allowed": tenant.categories.filter(\.active).map(\.id)])
        }
        let subcategory = try Check.optionalText(input.subcategory, field: "subcategory", max: TicketLimits.shortText)
        let tags = try Check.tags(input.tags)
        let location = try Check.location(input.location)
        let attachments = try Check.attachments(input.attachments, by: principal.subject, at: now)
        let conversationId = try Check.identifier(input.conversationId, field: "conversationId")
        let fields = try Check.fields(input.fields)

        let customerId: String
        let customer: Customer
        let source: TicketSource
        var assignee: String?
        // When the pack's rules handle creation, the customer is read with what they read
        // besides (the agents' loads): one read instead of two.
        let ruled = rulesHandle(tenant, where: { $0 == RuleEventType.ticketCreated.rawValue })
        var inputs: RuleInputs?
        func readCustomer(_ id: String) async throws -> Customer? {
            guard ruled else { return try await store.customer(tenantId: tenant.id, id: id) }
            inputs = try await store.ruleInputs(tenantId: tenant.id, customerId: id, finished: Self.finished(tenant))
            return inputs?.customer
        }
        if principal.role == .customer {
            if let given = input.customerId, given != principal.subject {
                throw DocketError.forbidden("customers open tickets only for themselves")
            }
            if input.assignToSelf == true { throw DocketError.forbidden("customers cannot assign tickets") }
            if let source = input.source, source == .agent || source == .ai {
                throw DocketError.invalid("source", "customers may use whatsapp, web or mobile_app")
            }
            customerId = principal.subject
            source = input.source ?? .web
            if let known = try await readCustomer(customerId) {
                customer = known
            } else {
                customer = try await ensureCustomer(tenantId: tenant.id, id: customerId, now: now)
            }
        } else {
            guard let given = try Check.identifier(input.customerId, field: "customerId") else {
                throw DocketError(.badRequest, "customerId is required", field: "customerId")
            }
            guard let found = try await readCustomer(given) else {
                throw DocketError.invalid("customerId", "unknown customer '\(given)'")
            }
            customerId = given
            customer = found
            if principal.role == .assistant {
                // An AI assistant files for the customer it identified; the source says so.
                source = .ai
            } else {
                try Self.requireStaff(principal)
                source = input.source ?? .agent
                if input.assignToSelf == true { assignee = principal.subject }
            }
        }

        let workflow = tenant.workflow
        let priority = input.priority ?? .medium
        var history = [StatusChange(from: nil, to: workflow.initial, changedBy: principal.subject, reason: "created", timestamp: now)]
        var status = workflow.initial
        if assignee != nil, let open = workflow.onAssign, workflow.canTransition(from: status, to: open) {
            history.append(StatusChange(from: status, to: open, changedBy: principal.subject, reason: "assigned on creation", timestamp: now))
            status = open
        }
        let format = tenant.ticketIdFormat
        let year = CivilTime(now, timeZone: tenant.timeZone).year
        let sla = TicketSLA(targets: tenant.sla.target(for: priority), createdAt: now)
        var draft = Ticket(
            tenantId: tenant.id, ticketId: "", number: 0, numberingYear: year, subject: subject, description: description,
            category: categoryId, subcategory: subcategory, priority: priority, status: status, statusHistory: history,
            customerId: customerId, conversationId: conversationId, assignedAgent: assignee,
            assignedAt: assignee == nil ? nil : now, location: location, sla: sla, resolution: nil,
            customerFeedback: nil, notes: [], tags: tags, escalation: nil, attachments: attachments,
            source: source, createdAt: now, updatedAt: now, closedAt: nil, version: 1)
        draft.fields = fields
        // A ticket a customer's message opens is that customer's open chat (one at most).
        if firstMessage != nil, principal.role == .customer { draft.openChatOf = customerId }
        // Rules see the ticket before it has a number; their actions are part of the insert.
        let created = [PendingEvent(.ticketCreated)]
        let unruled = draft
        var (records, entries) = try await runRules(
            &draft, events: created, tenant: tenant, actor: principal.subject, now: now, customer: customer, inputs: inputs)
        // A ticket the rules routed to an agent is routed again, and stored, during the tenant's
        // routing turn: the agents' open counts it sees are the ones its insert changes, so
        // concurrent creates never route an agent past its capacity.
        let routed = Self.routed(entries)
        let insert: () async throws -> (Ticket, [LiveEvent]) = { [draft] in
            var draft = draft
            if routed {
                draft = unruled
                (records, entries) = try await self.runRules(
                    &draft, events: created, tenant: tenant, actor: principal.subject, now: now, customer: customer)
            }
            let messages = try await self.converse(&draft, before: nil, draft: firstMessage, events: created, tenant: tenant, now: now)
            Self.applySLA(&draft, before: nil, tenant: tenant, now: now)
            Self.settleOpenChat(&draft, tenant: tenant)
            let (prepared, clock) = (draft, self.clock)
            let (ruled, audit) = (records, entries)
            let (ticket, stored) = try await self.store.createTicket(
                tenantId: tenant.id, counterYear: format.counterYear(for: year), messages: messages,
                build: { number in
                    var ticket = prepared
                    ticket.number = number
                    ticket.ticketId = format.format(number: number, year: year)
                    // Created when numbered: numbers, creation times and the stores' row order
                    // agree, so a list or a search by creation time is in one order.
                    let at = max(prepared.createdAt, clock.now())
                    ticket.createdAt = at
                    ticket.updatedAt = at
                    return ticket
                },
                // The ticket, its first message, its live events and its recorded rule events: one write.
                // The rules' snapshots stay as the rules saw them (no number yet); the store names the ticket.
                outbox: CreationOutbox(rules: ruled, retain: self.live.settings.retainedPerTenant, onCommit: self.live.commitHook) { ticket in
                    let written = messages.map { var message = $0; message.ticketId = ticket.ticketId; return message }
                    return self.announcements(before: nil, after: ticket, messages: written, events: created, entries: audit, now: now)
                })
            return (ticket, stored)
        }
        let (ticket, stored) = routed ? try await core.turns.withTurn(Self.routingTurn(tenant.id), insert) : try await insert()
        observer?.ticketCreated(ticket)
        live.publish(stored)
        return ticket.visible(to: principal)
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
        if ticket.status == workflow.initial, let open = workflow.onAssign, workflow.canTransition(from: ticket.status, to: open) {
            try transition(&ticket, to: open, by: actor, reason: reason, workflow: workflow, now: now)
        }
    }

    /// The customer `id`, registered first when new.
    @discardableResult
    func ensureCustomer(tenantId: String, id: String, now: Date) async throws -> Customer {
        if let known = try await store.customer(tenantId: tenantId, id: id) { return known }
        let fresh = Customer(id: id, tenantId: tenantId, phoneNumber: nil, firstName: nil, lastName: nil, email: nil, createdAt: now)
        do {
            try await store.insertCustomer(fresh)
            return fresh
        } catch let error as DocketError where error.code == .conflict {
            // Someone registered the customer at the same moment; that is what we wanted.
            return try await store.customer(tenantId: tenantId, id: id) ?? fresh
        }
    }
}
