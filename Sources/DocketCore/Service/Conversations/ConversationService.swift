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
    /// The mail it came as, when it did.
    var mail: MessageMail? = nil
}

/// The chat-style support flow: customers write messages (a new ticket when they have no open
/// one), staff claim, answer, transfer and read; every step is announced live.

/// Builds event data around the ticket summary, which is encoded once per change.
extension ConversationService {
    // MARK: - Messages

    /// A customer writes: into their open ticket when they have one (the most recently
    /// updated), otherwise into a new ticket made from the message (subject from its first line,
    /// unless `subject` gives one; `source` is the channel it came by).
    public func postCustomerMessage(
        _ principal: Principal, _ input: NewMessage, subject given: String? = nil, source: TicketSource = .web, mail: MessageMail? = nil
    ) async throws -> (ticket: Ticket, message: TicketMessage, created: Bool) {
        guard principal.role == .customer else { throw DocketError.forbidden("POST /messages is the customer's way in; staff write to a ticket") }
        let tenant = try await tenant(for: principal)
        var draft = try await messageDraft(principal, input, tenant: tenant)
        draft.mail = mail
        var query = TicketQuery()
        query.customerId = principal.subject
        query.statuses = ConversationKeeper.openStatuses(tenant)
        query.sortBy = .updatedAt
        query.limit = 1
        // The open ticket found must still be open when the message is written with it; one
        // closed meanwhile sends us looking again. With none, the message opens a ticket that is
        // the customer's open chat: a concurrent first message that opened one first makes the
        // store refuse ours (one open chat per customer), and we look again and join it.
        let firstLine = given ?? draft.content.split(whereSeparator: \.isNewline).first.map(String.init) ?? draft.content
        let subject = firstLine.count > TicketLimits.subject ? String(firstLine.prefix(TicketLimits.subject - 1)) + "…" : firstLine
        // A customer's messages take turns here, so this server never races itself into the
        // store's constraint (on MongoDB a refused insert can leave a gap in the numbers).
        let outcome: (created: Ticket?, joined: (Ticket, TicketMessage)?) = try await core.turns.withTurn("\(tenant.id)/chat/\(principal.subject)") {
            for _ in 0..<ServiceCore.maxAttempts {
                if let open = try await stores.tickets.listTickets(tenantId: tenant.id, query: query).items.first {
                    do {
                        let (ticket, messages) = try await postMessage(principal, open.ticketId, draft: draft, onlyIfOpen: true)
                        return (nil, (ticket, messages[0]))
                    } catch is TicketNoLongerOpen {
                        continue
                    }
                }
                var input = NewTicket(subject: subject, description: draft.content)
                input.source = source
                do {
                    return (try await writer.create(principal, input, firstMessage: draft), nil)
                } catch let error as DocketError where error.code == .conflict {
                    continue
                }
            }
            return (nil, nil)
        }
        if let (ticket, message) = outcome.joined { return (ticket, message, false) }
        let created = outcome.created
        guard let ticket = created else {
            throw DocketError(.conflict, "the conversation of '\(principal.subject)' is being changed by others; retry")
        }
        let first = try await stores.tickets.messages(tenantId: tenant.id, ticketId: ticket.ticketId, after: 0, limit: 1)
        guard let message = first.first else { throw DocketError(.internalError, "the first message of '\(ticket.ticketId)' was not stored") }
        return (ticket, message, true)
    }

    /// Staff write to a customer rather than to a ticket (the old 1-1 chat's way): into the
    /// customer's open ticket, the most recently updated; a customer without one has nothing
    /// to answer (404).
    public func postStaffMessage(_ principal: Principal, toCustomer customerId: String, _ input: NewMessage) async throws -> (ticket: Ticket, message: TicketMessage) {
        guard principal.isStaff else { throw DocketError.forbidden("only staff write to a customer") }
        let tenant = try await tenant(for: principal)
        var query = TicketQuery()
        query.customerId = customerId
        query.statuses = ConversationKeeper.openStatuses(tenant)
        query.sortBy = .updatedAt
        query.limit = 1
        guard let open = try await stores.tickets.listTickets(tenantId: tenant.id, query: query).items.first else {
            throw DocketError(.notFound, "customer '\(customerId)' has no open conversation", field: "receiver_id")
        }
        return try await postMessage(principal, open.ticketId, input)
    }

    /// Staff, or the ticket's customer, write into a ticket's conversation.
    public func postMessage(_ principal: Principal, _ ticketId: String, _ input: NewMessage, mail: MessageMail? = nil) async throws -> (ticket: Ticket, message: TicketMessage) {
        guard principal.role == .customer || principal.isStaff else { throw DocketError.forbidden("only staff and the ticket's customer write messages") }
        let tenant = try await tenant(for: principal)
        var draft = try await messageDraft(principal, input, tenant: tenant)
        draft.mail = mail
        let (ticket, messages) = try await postMessage(principal, ticketId, draft: draft)
        return (ticket, messages[0])
    }

    /// The conversation, oldest first, `limit` messages after the cursor `after`.
    public func messages(_ principal: Principal, _ ticketId: String, after: Int, limit: Int) async throws -> MessagePage {
        guard (1...MessageLimits.pageMax).contains(limit) else {
            throw DocketError(.badRequest, "limit must be between 1 and \(MessageLimits.pageMax)", field: "limit")
        }
        guard after >= 0 else { throw DocketError(.badRequest, "after must be a cursor from a previous page (0 or more)", field: "after") }
        _ = try await tenant(for: principal)
        _ = try await load(principal, ticketId)
        let messages = try await stores.tickets.messages(tenantId: principal.tenantId, ticketId: ticketId, after: after, limit: limit + 1)
        let page = Array(messages.prefix(limit))
        return MessagePage(messages: page, nextCursor: messages.count > limit ? page.last?.seq : nil)
    }

    /// The caller's side has read the conversation: the other side's messages are marked read
    /// and the caller's unread counter goes to zero. Returns the ticket and how many were marked.
    public func markRead(_ principal: Principal, _ ticketId: String) async throws -> (ticket: Ticket, marked: Int) {
        guard principal.role == .customer || principal.isStaff else { throw DocketError.forbidden("only staff and the ticket's customer read messages") }
        let tenant = try await tenant(for: principal)
        let customerSide = principal.role == .customer
        let senders: [MessageSender] = customerSide ? [.staff, .system] : [.customer]
        // The counter reset and the read marks are one conditional write: a message stored
        // meanwhile changes the version, and the loop reads it and marks it too.
        enum Outcome { case nothingNew(Ticket), marked(Ticket, Int) }
        let outcome: Outcome? = try await core.turns.withTurn("\(tenant.id)/\(ticketId)") {
            for _ in 0..<ServiceCore.maxAttempts {
                var ticket = try await load(principal, ticketId)
                var chat = ticket.chat ?? TicketChat()
                let through = chat.messageCount
                let readThrough = (customerSide ? chat.readThroughCustomer : chat.readThroughStaff) ?? 0
                let unread = customerSide ? chat.unreadCustomer : chat.unreadStaff
                // Nothing new since this side last read, and nothing counted: no write.
                guard through > readThrough || unread > 0 else { return .nothingNew(ticket) }
                let expected = ticket.version
                let now = clock.now()
                if customerSide {
                    chat.unreadCustomer = 0
                    chat.readThroughCustomer = through
                } else {
                    chat.unreadStaff = 0
                    chat.readThroughStaff = through
                }
                ticket.chat = chat
                ticket.version = expected + 1
                let mark = ReadMark(senders: senders, through: through, at: now)
                // The read marks, the ticket and its messages_read event: one write.
                let written = ticket
                let reader = customerSide ? "customer" : "staff"
                let outbox: @Sendable (Int) -> Outbox = { marked in
                    let data = wire.eventData(
                        .read(reader: reader, readerId: principal.subject, marked: marked, readAt: now), about: LiveTicketSummary(written))
                    var event = LiveEvent(
                        tenantId: tenant.id, type: .messagesRead, ticketId: ticketId, customerId: written.customerId, queue: written.queue,
                        audience: .everyone, data: data, at: now)
                    event.origin = live.origin
                    return Outbox(live: [event], retain: live.settings.retainedPerTenant, onCommit: live.commitHook)
                }
                if let (marked, stored) = try await stores.tickets.updateTicket(ticket, expectedVersion: expected, markingRead: mark, outbox: outbox) {
                    live.publish(stored)
                    return .marked(ticket, marked)
                }
            }
            return nil
        }
        switch outcome {
        case .nothingNew(let current): return (current.visible(to: principal), 0)
        case .marked(let written, let count): return (written.visible(to: principal), count)
        case nil: throw DocketError(.conflict, "ticket '\(ticketId)' is being changed by others; retry")
        }
    }

    /// Hands an assigned ticket to another agent: the current session ends, the next begins,
    /// and the conversation records it.
    public func transfer(_ principal: Principal, _ ticketId: String, to agentId: String, reason: String?) async throws -> Ticket {
        try Self.requireStaff(principal)
        let reason = try Check.optionalText(reason, field: "reason", max: TicketLimits.reason)
        guard let agentId = try Check.identifier(agentId, field: "toAgentId"),
            try await stores.people.agent(tenantId: principal.tenantId, id: agentId) != nil
        else { throw DocketError.invalid("toAgentId", "unknown agent '\(agentId)'") }
        return try await writer.change(principal, ticketId) { ticket, tenant, now in
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
        query.statuses = ConversationKeeper.openStatuses(tenant)
        query.sortBy = .updatedAt
        query.page = page
        query.limit = limit
        return try await tickets.listTickets(principal, query)
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
        query.statuses = ConversationKeeper.openStatuses(tenant)
        query.sortBy = .updatedAt
        query.page = page
        query.limit = limit
        return try await tickets.listTickets(principal, query)
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
        let data = wire.eventData(
            .typing(ticketId: ticketId, senderType: principal.isStaff ? "staff" : "customer", senderId: principal.subject), about: nil)
        await live.emit([LiveEvent(
            tenantId: tenant.id, type: stopped ? .stopTyping : .typing, ticketId: ticketId, customerId: ticket.customerId,
            audience: .participants, senderKey: connection, data: data, at: clock.now())])
    }
}
