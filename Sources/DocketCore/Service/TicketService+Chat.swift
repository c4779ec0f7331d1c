import Foundation

/// A message on its way into a conversation; the service numbers and stores it.
struct MessageDraft: Sendable {
    var senderId: String
    var senderType: MessageSender
    var senderName: String?
    var senderAvatar: String?
    var content: String
    var type: MessageKind
    var attachments: [String]
}

/// The chat-style support flow: customers write messages (a new ticket when they have no open
/// one), staff claim, answer, transfer and read; every step is announced live.
extension TicketService {
    // MARK: - Conversation state

    /// What a change means for the conversation, applied to `ticket`: service sessions follow
    /// the assignee, claims, transfers, resolutions and closes leave a system message, and the
    /// counters and preview follow the new messages. Returns the messages to store with the ticket.
    func converse(
        _ ticket: inout Ticket, before: Ticket?, draft: MessageDraft?, events: [PendingEvent], tenant: Tenant, now: Date
    ) async throws -> [TicketMessage] {
        // Built only when a notice is written (most changes write none).
        lazy var texts = AssistantTexts(tenant)
        let workflow = tenant.workflow
        let finished: Set<String> = [workflow.resolved, workflow.closed]
        var chat = ticket.chat ?? TicketChat()
        var notices: [String] = []
        let previous = before?.assignedAgent, current = ticket.assignedAgent

        func endSession() {
            for index in chat.servedBy.indices where chat.servedBy[index].active {
                chat.servedBy[index].active = false
                chat.servedBy[index].endedAt = now
            }
        }
        func name(_ agent: String) async throws -> String {
            try await store.agent(tenantId: tenant.id, id: agent)?.name ?? agent
        }

        if previous != current {
            endSession()
            if let current {
                let reason =
                    events.contains { $0.details["claimed"] == "true" } ? "claimed"
                    : events.contains { $0.details["transferred"] == "true" } ? "transferred"
                    : events.contains { $0.type == .escalated } ? "escalated" : "assigned"
                let agentName = try await name(current)
                chat.servedBy.append(ServiceSession(agentId: current, agentName: agentName, startedAt: now, reason: reason))
                switch reason {
                case "claimed":
                    notices.append(texts.pick(es: "\(agentName) tomó el \(texts.terms.ticketSingular)", vi: "\(agentName) đã nhận \(texts.terms.ticketSingular)", en: "\(agentName) took the \(texts.terms.ticketSingular)"))
                case "transferred":
                    var from = "-"
                    if let previous { from = try await name(previous) }
                    notices.append(texts.pick(es: "Transferido de \(from) a \(agentName)", vi: "Đã chuyển từ \(from) sang \(agentName)", en: "Transferred from \(from) to \(agentName)"))
                default:
                    notices.append(texts.pick(es: "Asignado a \(agentName)", vi: "Đã giao cho \(agentName)", en: "Assigned to \(agentName)"))
                }
            } else {
                notices.append(texts.pick(es: "Sin asignar", vi: "Chưa được giao", en: "Unassigned"))
            }
        }
        if let before, before.status != ticket.status {
            if ticket.status == workflow.closed {
                endSession()
                notices.append(texts.pick(es: "\(texts.terms.ticketSingular.capitalized) cerrado", vi: "Đã đóng \(texts.terms.ticketSingular)", en: "\(texts.terms.ticketSingular.capitalized) closed"))
            } else if ticket.status == workflow.resolved {
                endSession()
                notices.append(texts.pick(es: "\(texts.terms.ticketSingular.capitalized) resuelto", vi: "Đã giải quyết \(texts.terms.ticketSingular)", en: "\(texts.terms.ticketSingular.capitalized) resolved"))
            } else if finished.contains(before.status) {
                notices.append(texts.pick(es: "\(texts.terms.ticketSingular.capitalized) reabierto", vi: "Đã mở lại \(texts.terms.ticketSingular)", en: "\(texts.terms.ticketSingular.capitalized) reopened"))
                if let current, !chat.servedBy.contains(where: \.active) {
                    chat.servedBy.append(ServiceSession(agentId: current, agentName: try await name(current), startedAt: now, reason: "reopened"))
                }
            }
        }
        chat.servedBy = Array(chat.servedBy.suffix(TicketChat.maxSessions))

        var drafts: [MessageDraft] = draft.map { [$0] } ?? []
        drafts += notices.map {
            MessageDraft(senderId: "system", senderType: .system, senderName: nil, senderAvatar: nil, content: $0, type: .system, attachments: [])
        }
        var messages: [TicketMessage] = []
        for draft in drafts {
            chat.messageCount += 1
            messages.append(TicketMessage(
                tenantId: tenant.id, ticketId: ticket.ticketId, seq: chat.messageCount, id: IdentifierGenerator.make(),
                senderId: draft.senderId, senderType: draft.senderType, senderName: draft.senderName, senderAvatar: draft.senderAvatar,
                content: draft.content, type: draft.type, attachments: draft.attachments, createdAt: now))
            switch draft.senderType {
            case .customer: chat.unreadStaff += 1
            case .staff: chat.unreadCustomer += 1
            case .system: break
            }
            chat.lastMessage = MessagePreview(text: draft.content, at: now, senderType: draft.senderType)
        }
        if ticket.chat != nil || chat != TicketChat() { ticket.chat = chat }
        return messages
    }

    // MARK: - Announcements

    /// Stores and delivers the live events of one stored change (`before` nil for a creation).
    func announce(
        before: Ticket?, after: Ticket, messages: [TicketMessage], events: [PendingEvent], entries: [RuleAuditEntry], now: Date
    ) async {
        // The summary is encoded once and spliced into each event's data.
        let summary = EventJSON.text(LiveTicketSummary(after))
        var out: [LiveEvent] = []
        func add(_ type: LiveEventType, _ data: String, to audience: LiveAudience = .everyone) {
            out.append(LiveEvent(
                tenantId: after.tenantId, type: type, ticketId: after.ticketId, customerId: after.customerId, queue: after.queue,
                audience: audience, data: data, at: now))
        }
        func withTicket(_ extra: some Encodable) -> String { LiveData.splice(ticket: summary, into: EventJSON.text(extra)) }
        let ticketOnly = LiveData.splice(ticket: summary, into: "{}")
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
                add(.ticketNoteAdded, EventJSON.text(NoteEventData(ticketId: after.ticketId, note: note)), to: note.isInternal ? .staff : .everyone)
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
            add(.ruleFired, EventJSON.text(RuleFiredData(ticketId: after.ticketId, entry: entry)), to: .staff)
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
        await live.emit(out)
    }

    // MARK: - Messages

    /// A customer writes: into their open ticket when they have one (the most recently
    /// updated), otherwise into a new ticket made from the message (subject from its first line).
    public func postCustomerMessage(_ principal: Principal, _ input: NewMessage) async throws -> (ticket: Ticket, message: TicketMessage, created: Bool) {
        guard principal.role == .customer else { throw DocketError.forbidden("POST /messages is the customer's way in; staff write to a ticket") }
        let tenant = try await tenant(for: principal)
        let draft = try await messageDraft(principal, input, tenant: tenant)
        var query = TicketQuery()
        query.customerId = principal.subject
        query.statuses = openStatuses(tenant)
        query.sortBy = .updatedAt
        query.limit = 1
        if let open = try await store.listTickets(tenantId: tenant.id, query: query).items.first {
            let (ticket, messages) = try await postMessage(principal, open.ticketId, draft: draft)
            return (ticket, messages[0], false)
        }
        let firstLine = draft.content.split(whereSeparator: \.isNewline).first.map(String.init) ?? draft.content
        let subject = firstLine.count > TicketLimits.subject ? String(firstLine.prefix(TicketLimits.subject - 1)) + "…" : firstLine
        var input = NewTicket(subject: subject, description: draft.content)
        input.source = .web
        let ticket = try await createTicket(principal, input, firstMessage: draft)
        let first = try await store.messages(tenantId: tenant.id, ticketId: ticket.ticketId, after: 0, limit: 1)
        guard let message = first.first else { throw DocketError(.internalError, "the first message of '\(ticket.ticketId)' was not stored") }
        return (ticket, message, true)
    }

    /// Staff, or the ticket's customer, write into a ticket's conversation.
    public func postMessage(_ principal: Principal, _ ticketId: String, _ input: NewMessage) async throws -> (ticket: Ticket, message: TicketMessage) {
        guard principal.role == .customer || principal.isStaff else { throw DocketError.forbidden("only staff and the ticket's customer write messages") }
        let tenant = try await tenant(for: principal)
        let draft = try await messageDraft(principal, input, tenant: tenant)
        let (ticket, messages) = try await postMessage(principal, ticketId, draft: draft)
        return (ticket, messages[0])
    }

    private func postMessage(_ principal: Principal, _ ticketId: String, draft: MessageDraft) async throws -> (Ticket, [TicketMessage]) {
        try await converseAndMutate(principal, ticketId, message: draft) { ticket, tenant, now in
            if ticket.status == tenant.workflow.closed, principal.isStaff {
                throw DocketError(.conflict, "ticket '\(ticketId)' is closed; reopen it to write")
            }
            var events = [PendingEvent(.messageReceived, ["text": draft.content, "author": draft.senderType.rawValue])]
            // A customer writing moves e.g. pending_customer → in_progress, resolved → open.
            if principal.role == .customer, let next = tenant.workflow.status(ticket.status)?.onCustomerReply {
                let from = ticket.status
                try Self.transition(&ticket, to: next, by: principal.subject, reason: "customer wrote", workflow: tenant.workflow, now: now)
                events.append(PendingEvent(.statusChanged, ["from": from, "to": next]))
            }
            return events
        }
    }

    func messageDraft(_ principal: Principal, _ input: NewMessage, tenant: Tenant) async throws -> MessageDraft {
        let type = input.type ?? .text
        guard type != .system else { throw DocketError.invalid("type", "system messages are written by Docket") }
        let attachments = input.attachments ?? []
        guard attachments.count <= MessageLimits.attachments else {
            throw DocketError.invalid("attachments", "at most \(MessageLimits.attachments) attachments")
        }
        for (index, url) in attachments.enumerated() { _ = try Check.url(url, field: "attachments[\(index)]") }
        // An image or file may come without words; a text message may not.
        let content = try Check.text(input.content, field: "content", max: MessageLimits.content, required: type == .text || attachments.isEmpty)
        if principal.isStaff {
            let agent = try await store.agent(tenantId: tenant.id, id: principal.subject)
            return MessageDraft(
                senderId: principal.subject, senderType: .staff, senderName: agent?.name ?? principal.subject, senderAvatar: agent?.avatarUrl,
                content: content, type: type, attachments: attachments)
        }
        try await ensureCustomer(tenantId: tenant.id, id: principal.subject, now: clock.now())
        let customer = try await store.customer(tenantId: tenant.id, id: principal.subject)
        let name = [customer?.firstName, customer?.lastName].compactMap { $0 }.joined(separator: " ")
        return MessageDraft(
            senderId: principal.subject, senderType: .customer, senderName: name.isEmpty ? nil : name, senderAvatar: customer?.avatarUrl,
            content: content, type: type, attachments: attachments)
    }

    /// The conversation, oldest first, `limit` messages after the cursor `after`.
    public func messages(_ principal: Principal, _ ticketId: String, after: Int, limit: Int) async throws -> MessagePage {
        guard (1...MessageLimits.pageMax).contains(limit) else {
            throw DocketError(.badRequest, "limit must be between 1 and \(MessageLimits.pageMax)", field: "limit")
        }
        guard after >= 0 else { throw DocketError(.badRequest, "after must be a cursor from a previous page (0 or more)", field: "after") }
        _ = try await tenant(for: principal)
        _ = try await load(principal, ticketId)
        let messages = try await store.messages(tenantId: principal.tenantId, ticketId: ticketId, after: after, limit: limit + 1)
        let page = Array(messages.prefix(limit))
        return MessagePage(messages: page, nextCursor: messages.count > limit ? page.last?.seq : nil)
    }

    /// The caller's side has read the conversation: the other side's messages are marked read
    /// and the caller's unread counter goes to zero. Returns the ticket and how many were marked.
    public func markRead(_ principal: Principal, _ ticketId: String) async throws -> (ticket: Ticket, marked: Int) {
        guard principal.role == .customer || principal.isStaff else { throw DocketError.forbidden("only staff and the ticket's customer read messages") }
        let tenant = try await tenant(for: principal)
        let current = try await load(principal, ticketId)
        let customerSide = principal.role == .customer
        let now = clock.now()
        let marked = try await store.markMessagesRead(
            tenantId: tenant.id, ticketId: ticketId, from: customerSide ? [.staff, .system] : [.customer], at: now)
        let unread = customerSide ? current.chat?.unreadCustomer ?? 0 : current.chat?.unreadStaff ?? 0
        guard marked > 0 || unread > 0 else { return (current.visible(to: principal), 0) }
        var stored: Ticket?
        for _ in 0..<Self.maxAttempts {
            var ticket = try await load(principal, ticketId)
            let expected = ticket.version
            var chat = ticket.chat ?? TicketChat()
            if customerSide { chat.unreadCustomer = 0 } else { chat.unreadStaff = 0 }
            ticket.chat = chat
            ticket.version = expected + 1
            if try await store.updateTicket(ticket, expectedVersion: expected) {
                stored = ticket
                break
            }
        }
        guard let ticket = stored else { throw DocketError(.conflict, "ticket '\(ticketId)' is being changed by others; retry") }
        let data = ReadEventData(
            ticketId: ticketId, reader: customerSide ? "customer" : "staff", readerId: principal.subject, marked: marked, readAt: now,
            ticket: LiveTicketSummary(ticket))
        await live.emit([LiveEvent(
            tenantId: tenant.id, type: .messagesRead, ticketId: ticketId, customerId: ticket.customerId, queue: ticket.queue,
            audience: .everyone, data: EventJSON.text(data), at: now)])
        return (ticket.visible(to: principal), marked)
    }

    /// Hands an assigned ticket to another agent: the current session ends, the next begins,
    /// and the conversation records it.
    public func transfer(_ principal: Principal, _ ticketId: String, to agentId: String, reason: String?) async throws -> Ticket {
        try Self.requireStaff(principal)
        let reason = try Check.optionalText(reason, field: "reason", max: TicketLimits.reason)
        guard let agentId = try Check.identifier(agentId, field: "toAgentId"),
            try await store.agent(tenantId: principal.tenantId, id: agentId) != nil
        else { throw DocketError.invalid("toAgentId", "unknown agent '\(agentId)'") }
        return try await mutate(principal, ticketId) { ticket, tenant, now in
            if ticket.status == tenant.workflow.closed || ticket.status == tenant.workflow.resolved {
                throw DocketError(.conflict, "ticket '\(ticketId)' is \(ticket.status) and cannot be transferred")
            }
            guard ticket.assignedAgent != agentId else { throw DocketError(.conflict, "ticket '\(ticketId)' is already with \(agentId)") }
            try Self.take(&ticket, agent: agentId, by: principal.subject, reason: reason ?? "transferred", workflow: tenant.workflow, now: now)
            return [PendingEvent(.assigned, ["agent": agentId, "transferred": "true"])]
        }
    }

    /// Unassigned tickets still open, newest activity first (staff).
    public func pendingTickets(_ principal: Principal, page: Int, limit: Int) async throws -> Page<Ticket> {
        try Self.requireStaff(principal)
        let tenant = try await tenant(for: principal)
        var query = TicketQuery()
        query.assignedAgent = ""
        query.statuses = openStatuses(tenant)
        query.sortBy = .updatedAt
        query.page = page
        query.limit = limit
        return try await listTickets(principal, query)
    }

    /// Open tickets the caller handles (staff: assigned to them) or opened (customers).
    public func myTickets(_ principal: Principal, page: Int, limit: Int) async throws -> Page<Ticket> {
        let tenant = try await tenant(for: principal)
        var query = TicketQuery()
        if principal.isStaff {
            query.assignedAgent = principal.subject
        } else if principal.role == .customer {
            query.customerId = principal.subject
        } else {
            throw DocketError.forbidden("this operation is for staff and customers")
        }
        query.statuses = openStatuses(tenant)
        query.sortBy = .updatedAt
        query.page = page
        query.limit = limit
        return try await listTickets(principal, query)
    }

    func openStatuses(_ tenant: Tenant) -> [String] {
        tenant.workflow.statuses.map(\.id).filter { $0 != tenant.workflow.resolved && $0 != tenant.workflow.closed }
    }

    // MARK: - Live

    /// Checks that `principal` may join `room`: staff any room of their tenant, a customer
    /// their own customer room and their own tickets. Another customer's ticket is "not found".
    public func authorize(_ principal: Principal, room: LiveRoom) async throws {
        _ = try await tenant(for: principal)
        switch (principal.isStaff, room) {
        case (true, .ticket(let id)):
            _ = try await load(principal, id)
        case (true, _):
            return
        case (false, _) where principal.role != .customer:
            throw DocketError.forbidden("live events are for staff and customers")
        case (false, .customer(let id)):
            guard id == principal.subject else { throw DocketError.forbidden("a customer joins only their own customer room") }
        case (false, .ticket(let id)):
            _ = try await load(principal, id)
        case (false, .staff), (false, .queue):
            throw DocketError.forbidden("the \(room) room is for staff")
        }
    }

    /// Announces that `principal` is (or stopped) typing in a ticket, to its other participants.
    /// Nothing is stored. `connection` identifies the sender's connection, which is skipped.
    public func typing(_ principal: Principal, _ ticketId: String, stopped: Bool, connection: String) async throws {
        let tenant = try await tenant(for: principal)
        let ticket = try await load(principal, ticketId)
        let data = TypingData(ticketId: ticketId, senderType: principal.isStaff ? "staff" : "customer", senderId: principal.subject)
        await live.emit([LiveEvent(
            tenantId: tenant.id, type: stopped ? .stopTyping : .typing, ticketId: ticketId, customerId: ticket.customerId,
            audience: .participants, senderKey: connection, data: EventJSON.text(data), at: clock.now())])
    }

    /// Announces a pack switch to the tenant's staff.
    func announcePack(_ tenant: Tenant) async {
        let data = PackEventData(tenantId: tenant.id, packId: tenant.pack.id, version: tenant.pack.version)
        await live.emit([LiveEvent(tenantId: tenant.id, type: .packActivated, audience: .staff, data: EventJSON.text(data), at: clock.now())])
    }
}

// MARK: - Event payloads

/// Builds event data around the ticket summary, which is encoded once per change.
enum LiveData {
    /// `{"ticket":<summary>, ...the fields of object}`.
    static func splice(ticket summary: String, into object: String) -> String {
        let rest = object.dropFirst().drop { $0 == " " }
        return rest.hasPrefix("}") ? "{\"ticket\":\(summary)}" : "{\"ticket\":\(summary),\(rest)"
    }
}

struct AgentData: Encodable {
    var agentId: String?
    var agentName: String? = nil
    var previousAgent: String? = nil
    var reason: String? = nil
}

struct SLAEventData: Encodable {
    var target: String?
    var dueAt: String?
}

struct NoteEventData: Encodable {
    var ticketId: String
    var note: Note
}

struct MessageEventData: Encodable {
    var ticketId: String
    var message: TicketMessage
}

struct ReadEventData: Encodable {
    var ticketId: String
    var reader: String
    var readerId: String
    var marked: Int
    var readAt: Date
    var ticket: LiveTicketSummary
}

struct RuleFiredData: Encodable {
    var ticketId: String
    var entry: RuleAuditEntry
}

struct NotificationData: Encodable {
    var ticketId: String
    var rule: String
    var target: String
    var message: String
}

struct TypingData: Encodable {
    var ticketId: String
    var senderType: String
    var senderId: String
}

struct PackEventData: Encodable {
    var tenantId: String
    var packId: String
    var version: String
}
