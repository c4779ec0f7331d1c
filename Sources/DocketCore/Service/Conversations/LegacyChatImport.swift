import Foundation

/// A message of the old 1-1 chat (the Vietnamese plan): `{sender_id, receiver_id, content,
/// created_at}`, and `is_read` / `read_at` where the old data has them.
public struct LegacyMessage: Sendable, Equatable {
    public var id: String
    public var senderId: String
    public var receiverId: String
    public var content: String
    public var createdAt: Date
    /// Whether the receiver read it; nil where the old chat did not record it (read, then:
    /// history is not news).
    public var isRead: Bool?
    public var readAt: Date?

    public init(id: String, senderId: String, receiverId: String, content: String, createdAt: Date, isRead: Bool? = nil, readAt: Date? = nil) {
        self.id = id
        self.senderId = senderId
        self.receiverId = receiverId
        self.content = content
        self.createdAt = createdAt
        self.isRead = isRead
        self.readAt = readAt
    }
}

/// What an import did (or, dry, would do).
public struct LegacyImportReport: Sendable, Equatable {
    public struct Skip: Sendable, Equatable {
        public var what: String
        public var reason: String

        public init(what: String, reason: String) {
            self.what = what
            self.reason = reason
        }
    }

    public var messagesRead = 0
    public var threads = 0
    /// Human IDs of the tickets created (or that would be, numbered `?` when dry).
    public var created: [String] = []
    /// Tickets of threads imported before that got the messages they lacked.
    public var continued: [String] = []
    public var messagesImported = 0
    public var customersCreated = 0
    public var skipped: [Skip] = []

    public var summary: String {
        "\(messagesRead) messages in \(threads) threads: \(created.count) tickets created, \(continued.count) continued, "
            + "\(messagesImported) messages imported, \(customersCreated) customers created, \(skipped.count) skipped"
    }
}

/// Imports legacy chat messages into conversations: one ticket per customer (the party that
/// is not staff), every message of the thread a message of the ticket's conversation, in order,
/// with its sender, time and read state; the ticket's unread counters, last message and service
/// sessions (who answered, in turn) are rebuilt from them. The customer's first message is the
/// subject (first line) and description.
///
/// Idempotent and resumable: a thread's ticket carries `conversationId = legacy:<customer>`, its
/// messages go in chunks of `chunk` (one write each, the counters with them), and a re-run
/// appends only what the ticket does not hold yet — after a crash, or messages the old chat got
/// since. History is imported as it was: no rules run, no SLA timers, no live events.
public struct LegacyChatImport: Sendable {
    let stores: StorePorts
    /// Messages per write (a MongoDB ticket carries its new messages inside its document).
    let chunk: Int

    public init(stores: StorePorts, chunk: Int = 500) {
        self.stores = stores
        self.chunk = max(1, chunk)
    }

    /// Imports `messages` into `tenantId`; `progress` is told after each thread.
    public func run(
        tenantId: String, messages: [LegacyMessage], staffIds: Set<String>, dryRun: Bool,
        progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> LegacyImportReport {
        guard let tenant = try await stores.tenants.tenant(id: tenantId) else {
            throw DocketError.notFound("tenant", tenantId)
        }
        var report = LegacyImportReport()
        report.messagesRead = messages.count
        var threads: [String: [LegacyMessage]] = [:]
        for message in messages {
            let senderIsStaff = staffIds.contains(message.senderId), receiverIsStaff = staffIds.contains(message.receiverId)
            switch (senderIsStaff, receiverIsStaff) {
            case (true, true): report.skipped.append(.init(what: "message \(message.id)", reason: "both parties are staff"))
            case (false, false): report.skipped.append(.init(what: "message \(message.id)", reason: "neither party is staff"))
            case (true, false): threads[message.receiverId, default: []].append(message)
            case (false, true): threads[message.senderId, default: []].append(message)
            }
        }
        report.threads = threads.count
        for (index, customerId) in threads.keys.sorted().enumerated() {
            defer { progress(index + 1, threads.count) }
            let thread = threads[customerId]!.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            let conversation = "legacy:\(customerId)"
            var query = TicketQuery()
            query.conversationId = conversation
            query.limit = 1
            let existing = try await stores.tickets.listTickets(tenantId: tenantId, query: query).items.first
            let held = existing?.chat?.messageCount ?? 0
            if let existing, held >= thread.count {
                report.skipped.append(.init(what: "thread of \(customerId)", reason: "already imported as \(existing.ticketId)"))
                continue
            }
            if dryRun {
                if existing == nil { report.created.append("? (\(customerId))") } else { report.continued.append(existing!.ticketId) }
                report.messagesImported += thread.count - held
                continue
            }
            var ticket: Ticket
            if let existing {
                ticket = existing
                report.continued.append(existing.ticketId)
            } else {
                if try await stores.people.customer(tenantId: tenantId, id: customerId) == nil {
                    do {
                        try await stores.people.insertCustomer(Customer(
                            id: customerId, tenantId: tenantId, phoneNumber: nil, firstName: nil, lastName: nil, email: nil,
                            createdAt: thread[0].createdAt))
                        report.customersCreated += 1
                    } catch let error as DocketError where error.code == .conflict {}
                }
                ticket = try await create(tenant: tenant, customerId: customerId, conversation: conversation, thread: thread)
                report.created.append(ticket.ticketId)
            }
            var done = ticket.chat?.messageCount ?? 0
            report.messagesImported += min(done, thread.count) - held
            while done < thread.count {
                let end = min(thread.count, done + chunk)
                let next = Self.messages(thread, customerId: customerId, tenantId: tenantId, ticketId: ticket.ticketId, range: done..<end)
                var updated = ticket
                Self.apply(thread.prefix(end), customerId: customerId, workflow: tenant.workflow, to: &updated)
                updated.version = ticket.version + 1
                let outbox = Outbox(report: ReportContribution(tenant).change(before: ticket, after: updated))
                guard try await stores.tickets.updateTicket(updated, expectedVersion: ticket.version, messages: next, outbox: outbox) != nil else {
                    throw DocketError(.conflict, "ticket '\(ticket.ticketId)' changed during the import; run it again to continue")
                }
                report.messagesImported += end - done
                ticket = updated
                done = end
            }
        }
        return report
    }

    /// The thread's ticket with its first chunk of messages, in one write.
    func create(tenant: Tenant, customerId: String, conversation: String, thread: [LegacyMessage]) async throws -> Ticket {
        let opening = thread.first { $0.senderId == customerId } ?? thread[0]
        let year = CivilTime(opening.createdAt, timeZone: tenant.timeZone).year
        let first = thread.prefix(chunk)
        let messages = Self.messages(thread, customerId: customerId, tenantId: tenant.id, ticketId: "", range: 0..<first.count)
        // The customer's open chat while it is open, unless they opened another one since.
        for openChat in [true, false] {
            do {
                let contribution = ReportContribution(tenant)
                return try await stores.tickets.createTicket(
                    tenantId: tenant.id, counterYear: tenant.ticketIdFormat.counterYear(for: year), messages: messages,
                    build: { number in
                        var ticket = Self.ticket(tenant: tenant, number: number, customerId: customerId, conversation: conversation, opening: opening)
                        Self.apply(first, customerId: customerId, workflow: tenant.workflow, to: &ticket)
                        ticket.openChatOf = openChat ? customerId : nil
                        return ticket
                    },
                    outbox: CreationOutbox(report: { contribution.contribution($0) })
                ).ticket
            } catch let error as DocketError where error.code == .conflict && openChat {
                continue
            }
        }
        throw DocketError(.internalError, "the thread of '\(customerId)' could not be created")
    }

    /// Messages `range` of the thread, numbered from `range.lowerBound + 1`.
    static func messages(_ thread: [LegacyMessage], customerId: String, tenantId: String, ticketId: String, range: Range<Int>) -> [TicketMessage] {
        range.map { index in
            let message = thread[index]
            let read = message.isRead ?? true
            return TicketMessage(
                tenantId: tenantId, ticketId: ticketId, seq: index + 1, id: "legacy-\(message.id)", senderId: message.senderId,
                senderType: message.senderId == customerId ? .customer : .staff, senderName: nil, senderAvatar: nil,
                content: String(message.content.prefix(MessageLimits.content)), type: .text, attachments: [], isRead: read,
                readAt: read ? (message.readAt ?? message.createdAt) : nil, createdAt: message.createdAt)
        }
    }

    /// The ticket as the first `imported` messages of its thread leave it: counters, last
    /// message, the staff who answered (a session each time another one took over; the last
    /// one holds the ticket), first response, last activity.
    static func apply(_ imported: ArraySlice<LegacyMessage>, customerId: String, workflow: Workflow, to ticket: inout Ticket) {
        var chat = TicketChat(messageCount: imported.count)
        var sessions: [ServiceSession] = []
        for message in imported {
            let fromCustomer = message.senderId == customerId
            if message.isRead == false {
                if fromCustomer { chat.unreadStaff += 1 } else { chat.unreadCustomer += 1 }
            }
            guard !fromCustomer else { continue }
            if ticket.sla.firstResponseAt == nil { ticket.sla.firstResponseAt = message.createdAt }
            if sessions.last?.agentId != message.senderId {
                if !sessions.isEmpty {
                    sessions[sessions.count - 1].endedAt = message.createdAt
                    sessions[sessions.count - 1].active = false
                }
                sessions.append(ServiceSession(agentId: message.senderId, agentName: nil, startedAt: message.createdAt, reason: "imported"))
            }
        }
        if let last = imported.last {
            chat.lastMessage = MessagePreview(text: last.content, at: last.createdAt, senderType: last.senderId == customerId ? .customer : .staff)
            ticket.updatedAt = max(ticket.createdAt, last.createdAt)
        }
        chat.servedBy = Array(sessions.suffix(TicketChat.maxSessions))
        ticket.chat = chat
        if let holder = sessions.last {
            if ticket.assignedAgent != holder.agentId { ticket.assignedAt = holder.startedAt }
            ticket.assignedAgent = holder.agentId
            if ticket.status == workflow.initial, let onAssign = workflow.onAssign { ticket.status = onAssign }
        }
    }

    static func ticket(tenant: Tenant, number: Int, customerId: String, conversation: String, opening: LegacyMessage) -> Ticket {
        let at = opening.createdAt
        let year = CivilTime(at, timeZone: tenant.timeZone).year
        let firstLine = opening.content.split(whereSeparator: \.isNewline).first.map(String.init) ?? opening.content
        let subject = String(firstLine.trimmingCharacters(in: .whitespaces).prefix(TicketLimits.subject))
        let workflow = tenant.workflow
        return Ticket(
            tenantId: tenant.id, ticketId: tenant.ticketIdFormat.format(number: number, year: year), number: number, numberingYear: year,
            subject: subject.isEmpty ? "Conversation with \(customerId)" : subject,
            description: String(opening.content.prefix(TicketLimits.description)), category: tenant.pack.defaultCategory,
            subcategory: nil, priority: .medium, status: workflow.initial,
            statusHistory: [StatusChange(from: nil, to: workflow.initial, changedBy: "migration", reason: "imported from the legacy chat", timestamp: at)],
            customerId: customerId, conversationId: conversation, assignedAgent: nil, assignedAt: nil, location: nil,
            sla: TicketSLA(targets: tenant.sla.target(for: .medium), createdAt: at), resolution: nil, customerFeedback: nil,
            notes: [], tags: ["legacy_import"], escalation: nil, attachments: [], source: .whatsapp,
            createdAt: at, updatedAt: at, closedAt: nil, version: 1)
    }
}
