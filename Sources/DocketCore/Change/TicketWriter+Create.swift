import Foundation

extension TicketWriter {
    /// Opens a ticket; `firstMessage` (a customer's chat message) becomes message 1 of its conversation.
    func create(_ principal: Principal, _ input: NewTicket, firstMessage: MessageDraft?) async throws -> Ticket {
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
            guard ruled else { return try await stores.people.customer(tenantId: tenant.id, id: id) }
            inputs = try await stores.tickets.ruleInputs(tenantId: tenant.id, customerId: id, finished: Self.finished(tenant))
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
        var (records, entries) = try await ruleRunner.run(
            &draft, events: created, tenant: tenant, actor: principal.subject, now: now, version: 1, customer: customer, inputs: inputs)
        // A ticket the rules routed to an agent is routed again, and stored, during the tenant's
        // routing turn: the agents' open counts it sees are the ones its insert changes, so
        // concurrent creates never route an agent past its capacity.
        let routed = RuleRunner.routed(entries)
        let insert: () async throws -> (Ticket, [LiveEvent]) = { [draft] in
            var draft = draft
            if routed {
                draft = unruled
                (records, entries) = try await self.ruleRunner.run(
                    &draft, events: created, tenant: tenant, actor: principal.subject, now: now, version: 1, customer: customer)
            }
            let messages = try await self.conversation.apply(&draft, before: nil, draft: firstMessage, events: created, tenant: tenant, now: now)
            SLAKeeper.apply(&draft, before: nil, tenant: tenant, now: now)
            ConversationKeeper.settleOpenChat(&draft, tenant: tenant)
            let (prepared, clock) = (draft, self.clock)
            let (ruled, audit) = (records, entries)
            let (ticket, stored) = try await stores.tickets.createTicket(
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
                outbox: CreationOutbox(
                    rules: ruled, retain: self.live.settings.retainedPerTenant, onCommit: self.live.commitHook,
                    live: { ticket in
                        let written = messages.map { var message = $0; message.ticketId = ticket.ticketId; return message }
                        return self.announcer.announcements(before: nil, after: ticket, messages: written, events: created, entries: audit, now: now)
                    },
                    report: { [contribution = ReportContribution(tenant)] in contribution.written(before: nil, after: $0) }))
            return (ticket, stored)
        }
        let (ticket, stored) = routed ? try await RoutingTurn(core: core).run(tenant.id, insert) : try await insert()
        observer?.ticketCreated(ticket)
        live.publish(stored)
        return ticket.visible(to: principal)
    }
}
