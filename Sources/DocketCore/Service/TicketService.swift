import Foundation

/// The ticket lifecycle: every change to a ticket goes through here, is checked against the
/// tenant's workflow and the caller's role, and is stored with one conditional update.
public final class TicketService: Sendable {
    public let store: any TicketStore
    let clock: any WallClock
    let tenants: TenantDirectory
    let agentDirectory: AgentDirectory
    let rules: (any RuleEngine)?
    /// Told about every rule outcome (the composition root counts them in /metrics).
    let ruleObserver: (@Sendable (RuleOutcome) -> Void)?
    /// Validates uploaded packs (manifest, Lua, fixtures); nil disables uploads.
    let packInspector: (any PackInspector)?
    let recorder: EventRecorder
    /// Told about every SLA warning and breach fired (the composition root counts them).
    let slaObserver: (@Sendable (RuleEventType, Ticket) -> Void)?
    /// Stores and delivers live events (WebSocket notifications).
    public let live: LiveEventLog
    /// How often a conditional update is retried when another writer got there first.
    static let maxAttempts = 16

    public init(
        store: any TicketStore, clock: any WallClock = SystemClock(), tenantCacheSeconds: TimeInterval = 5,
        rules: (any RuleEngine)? = nil, ruleObserver: (@Sendable (RuleOutcome) -> Void)? = nil,
        packInspector: (any PackInspector)? = nil, slaObserver: (@Sendable (RuleEventType, Ticket) -> Void)? = nil,
        live: LiveEventLog? = nil
    ) {
        self.slaObserver = slaObserver
        self.packInspector = packInspector
        self.recorder = EventRecorder(store: store, clock: clock)
        self.store = store
        self.clock = clock
        self.rules = rules
        self.ruleObserver = ruleObserver
        self.tenants = TenantDirectory(store: store, clock: clock, ttl: tenantCacheSeconds)
        self.agentDirectory = AgentDirectory(store: store, clock: clock, ttl: tenantCacheSeconds)
        self.live = live ?? LiveEventLog(store: store)
    }

    // MARK: - Access

    /// The tenant a principal belongs to; nil when it does not exist.
    public func tenant(id: String) async throws -> Tenant? { try await tenants.tenant(id) }

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
        guard let ticket = try await store.ticket(tenantId: principal.tenantId, ticketId: ticketId),
            principal.isStaff || ticket.customerId == principal.subject
        else { throw DocketError.notFound("ticket", ticketId) }
        return ticket
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
        for _ in 0..<Self.maxAttempts {
            var ticket = try await load(principal, ticketId)
            let before = ticket
            let expected = ticket.version
            let now = clock.now()
            let events = try await change(&ticket, tenant, now)
            // Rule actions land in the same conditional write as the change that caused them.
            let run = try await runRules(&ticket, events: events, tenant: tenant, actor: principal.subject, now: now)
            let messages = try await converse(&ticket, before: before, draft: message, events: events, tenant: tenant, now: now)
            Self.applySLA(&ticket, before: before, tenant: tenant, now: now, messages: messages)
            ticket.version = expected + 1
            ticket.updatedAt = now
            if try await store.updateTicket(ticket, expectedVersion: expected, messages: messages) {
                await record(run.records)
                await announce(before: before, after: ticket, messages: messages, events: events, entries: run.entries, now: now)
                return (ticket.visible(to: principal), messages)
            }
        }
        throw DocketError(.conflict, "ticket '\(ticketId)' is being changed by others; retry")
    }

    /// Keeps recorded events for `simulate`. The ticket write has already succeeded, so a
    /// failure here loses only replay material: it is reported to the observer, never to the caller.
    func record(_ records: [RecordedRuleEvent]) async {
        guard !records.isEmpty, let batch = recorder.add(records) else { return }
        await persist(batch)
    }

    /// Stores every recorded event still waiting (before a simulation, and at shutdown).
    public func flushRecordedEvents() async {
        await persist(recorder.drain())
    }

    private func persist(_ batch: [RecordedRuleEvent]) async {
        guard !batch.isEmpty else { return }
        do {
            try await store.appendRuleEvents(batch)
        } catch {
            ruleObserver?(RuleOutcome(rule: "(event log)", actions: [], error: "recording events failed: \(error)", durationMicros: 0))
        }
    }

    // MARK: - Tickets

    public func createTicket(_ principal: Principal, _ input: NewTicket) async throws -> Ticket {
        try await createTicket(principal, input, firstMessage: nil)
    }

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
            customer = try await ensureCustomer(tenantId: tenant.id, id: customerId, now: now)
        } else {
            guard let given = try Check.identifier(input.customerId, field: "customerId") else {
                throw DocketError(.badRequest, "customerId is required", field: "customerId")
            }
            guard let found = try await store.customer(tenantId: tenant.id, id: given) else {
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
        // Rules see the ticket before it has a number; their actions are part of the insert.
        let created = [PendingEvent(.ticketCreated)]
        var (records, entries) = try await runRules(
            &draft, events: created, tenant: tenant, actor: principal.subject, now: now, customer: customer)
        let messages = try await converse(&draft, before: nil, draft: firstMessage, events: created, tenant: tenant, now: now)
        Self.applySLA(&draft, before: nil, tenant: tenant, now: now)
        let prepared = draft
        let ticket = try await store.createTicket(tenantId: tenant.id, counterYear: format.counterYear(for: year), messages: messages) { number in
            var ticket = prepared
            ticket.number = number
            ticket.ticketId = format.format(number: number, year: year)
            return ticket
        }
        for index in records.indices {
            // The snapshot stays as the rules saw it (no number yet); the record names the ticket.
            records[index].ticketId = ticket.ticketId
        }
        await record(records)
        await announce(
            before: nil, after: ticket, messages: messages.map { var message = $0; message.ticketId = ticket.ticketId; return message },
            events: created, entries: entries, now: now)
        return ticket.visible(to: principal)
    }

    public func ticket(_ principal: Principal, _ ticketId: String) async throws -> Ticket {
        _ = try await tenant(for: principal)
        return try await load(principal, ticketId).visible(to: principal)
    }

    /// The ticket's rule evaluations, oldest first; staff only.
    public func ruleAudit(_ principal: Principal, _ ticketId: String) async throws -> [RuleAuditEntry] {
        try Self.requireStaff(principal)
        _ = try await tenant(for: principal)
        return try await load(principal, ticketId).ruleAudit ?? []
    }

    public func listTickets(_ principal: Principal, _ query: TicketQuery) async throws -> Page<Ticket> {
        _ = try await tenant(for: principal)
        var query = query
        guard (1...TicketQuery.maxLimit).contains(query.limit) else {
            throw DocketError(.badRequest, "limit must be between 1 and \(TicketQuery.maxLimit)", field: "limit")
        }
        guard query.page >= 1, query.page <= 1_000_000 else {
            throw DocketError(.badRequest, "page must be between 1 and 1000000", field: "page")
        }
        guard query.statuses.count <= TicketQuery.maxStatuses else {
            throw DocketError(.badRequest, "status lists at most \(TicketQuery.maxStatuses) statuses", field: "status")
        }
        if let search = query.search, search.count > 200 {
            throw DocketError(.badRequest, "search must be at most 200 characters", field: "search")
        }
        if principal.role == .customer {
            if let asked = query.customerId, asked != principal.subject { return Page(items: [], page: query.page, limit: query.limit, total: 0) }
            query.customerId = principal.subject
        }
        query.searchInternalNotes = principal.isStaff
        var page = try await store.listTickets(tenantId: principal.tenantId, query: query)
        page.items = page.items.map { $0.visible(to: principal) }
        return page
    }

    public func updateTicket(_ principal: Principal, _ ticketId: String, _ patch: TicketPatch) async throws -> Ticket {
        try Self.requireStaff(principal)
        return try await mutate(principal, ticketId) { ticket, tenant, now in
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

    public func changeStatus(_ principal: Principal, _ ticketId: String, to status: String, reason: String?) async throws -> Ticket {
        try Self.requireStaff(principal)
        let reason = try Check.optionalText(reason, field: "reason", max: TicketLimits.reason)
        return try await mutate(principal, ticketId) { ticket, tenant, now in
            let from = ticket.status
            try Self.transition(&ticket, to: status, by: principal.subject, reason: reason, workflow: tenant.workflow, now: now)
            return [PendingEvent(.statusChanged, ["from": from, "to": status])]
        }
    }

    public func resolve(_ principal: Principal, _ ticketId: String, notes: String) async throws -> Ticket {
        try Self.requireStaff(principal)
        let notes = try Check.text(notes, field: "resolutionNotes", max: TicketLimits.resolutionNotes)
        return try await mutate(principal, ticketId) { ticket, tenant, now in
            let from = ticket.status
            try Self.transition(&ticket, to: tenant.workflow.resolved, by: principal.subject, reason: "resolved", workflow: tenant.workflow, now: now)
            ticket.resolution?.notes = notes
            return [PendingEvent(.statusChanged, ["from": from, "to": tenant.workflow.resolved])]
        }
    }

    public func assign(_ principal: Principal, _ ticketId: String, to agentId: String) async throws -> Ticket {
        try Self.requireStaff(principal)
        guard let agentId = try Check.identifier(agentId, field: "agentId"),
            try await store.agent(tenantId: principal.tenantId, id: agentId) != nil
        else { throw DocketError.invalid("agentId", "unknown agent '\(agentId)'") }
        return try await mutate(principal, ticketId) { ticket, tenant, now in
            try Self.take(&ticket, agent: agentId, by: principal.subject, reason: "assigned", workflow: tenant.workflow, now: now)
            return [PendingEvent(.assigned, ["agent": agentId])]
        }
    }

    /// An agent takes an unassigned ticket for itself; exactly one of many concurrent claimers wins.
    public func claim(_ principal: Principal, _ ticketId: String) async throws -> Ticket {
        try Self.requireStaff(principal)
        return try await mutate(principal, ticketId) { ticket, tenant, now in
            if let holder = ticket.assignedAgent {
                if holder == principal.subject { return [] }
                let name = try await self.store.agent(tenantId: principal.tenantId, id: holder)?.name
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

    static func take(_ ticket: inout Ticket, agent: String, by actor: String, reason: String, workflow: Workflow, now: Date) throws {
        ticket.assignedAgent = agent
        ticket.assignedAt = now
        if ticket.status == workflow.initial, let open = workflow.onAssign, workflow.canTransition(from: ticket.status, to: open) {
            try transition(&ticket, to: open, by: actor, reason: reason, workflow: workflow, now: now)
        }
    }

    public func addNote(_ principal: Principal, _ ticketId: String, content: String, isInternal: Bool?) async throws -> Ticket {
        let content = try Check.text(content, field: "content", max: TicketLimits.note)
        if principal.role == .customer, isInternal == true {
            throw DocketError.forbidden("customers cannot add internal notes")
        }
        let markInternal = principal.isStaff ? (isInternal ?? true) : false
        return try await mutate(principal, ticketId) { ticket, tenant, now in
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
                try await store.agent(tenantId: principal.tenantId, id: agentId) != nil
            else { throw DocketError.invalid("toAgentId", "unknown agent '\(agentId)'") }
        }
        return try await mutate(principal, ticketId) { ticket, tenant, now in
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
        return try await mutate(principal, ticketId) { ticket, tenant, now in
            guard ticket.status == tenant.workflow.resolved || ticket.status == tenant.workflow.closed else {
                throw DocketError(.conflict, "ticket '\(ticketId)' can be rated once it is resolved or closed")
            }
            ticket.customerFeedback = CustomerFeedback(rating: rating, comment: comment, submittedAt: now)
            return [PendingEvent(.ticketUpdated, ["fields": "customerFeedback"])]
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
