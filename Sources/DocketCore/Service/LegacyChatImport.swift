import Foundation

/// A message of the old 1-1 chat (the Vietnamese plan): `{sender_id, receiver_id, content, created_at}`.
public struct LegacyMessage: Sendable, Equatable {
    public var id: String
    public var senderId: String
    public var receiverId: String
    public var content: String
    public var createdAt: Date

    public init(id: String, senderId: String, receiverId: String, content: String, createdAt: Date) {
        self.id = id
        self.senderId = senderId
        self.receiverId = receiverId
        self.content = content
        self.createdAt = createdAt
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
    public var messagesImported = 0
    public var customersCreated = 0
    public var skipped: [Skip] = []

    public var summary: String {
        "\(messagesRead) messages in \(threads) threads: \(created.count) tickets created with \(messagesImported) messages, "
            + "\(customersCreated) customers created, \(skipped.count) skipped"
    }
}

/// Imports legacy chat messages as tickets: one ticket per customer (the party that is not
/// staff), the customer's first message as its subject and description, every other message as
/// a public note in order, with the original times. Idempotent: a thread already imported
/// (its ticket carries `conversationId = legacy:<customer>`) is skipped. History is imported as
/// it was: no rules run and no live events go out.
public struct LegacyChatImport: Sendable {
    let store: any TicketStore

    public init(store: any TicketStore) { self.store = store }

    /// Imports `messages` into `tenantId`; `progress` is told after each thread.
    public func run(
        tenantId: String, messages: [LegacyMessage], staffIds: Set<String>, dryRun: Bool,
        progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> LegacyImportReport {
        guard let tenant = try await store.tenant(id: tenantId) else {
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
            if let existing = try await store.listTickets(tenantId: tenantId, query: query).items.first {
                report.skipped.append(.init(what: "thread of \(customerId)", reason: "already imported as \(existing.ticketId)"))
                continue
            }
            let opening = thread.first { $0.senderId == customerId } ?? thread[0]
            let notes = thread.filter { $0 != opening }.map { message in
                Note(
                    id: "legacy-\(message.id)", authorId: message.senderId,
                    authorRole: message.senderId == customerId ? .customer : .agent,
                    content: String(message.content.prefix(TicketLimits.note)), isInternal: false, timestamp: message.createdAt)
            }
            if dryRun {
                report.created.append("? (\(customerId))")
                report.messagesImported += thread.count
                continue
            }
            if try await store.customer(tenantId: tenantId, id: customerId) == nil {
                do {
                    try await store.insertCustomer(Customer(
                        id: customerId, tenantId: tenantId, phoneNumber: nil, firstName: nil, lastName: nil, email: nil,
                        createdAt: thread[0].createdAt))
                    report.customersCreated += 1
                } catch let error as DocketError where error.code == .conflict {}
            }
            let ticket = try await store.createTicket(
                tenantId: tenantId, counterYear: tenant.ticketIdFormat.counterYear(for: CivilTime(opening.createdAt, timeZone: tenant.timeZone).year)
            ) { number in
                Self.ticket(tenant: tenant, number: number, customerId: customerId, conversation: conversation, opening: opening, notes: notes)
            }
            report.created.append(ticket.ticketId)
            report.messagesImported += thread.count
        }
        return report
    }

    static func ticket(tenant: Tenant, number: Int, customerId: String, conversation: String, opening: LegacyMessage, notes: [Note]) -> Ticket {
        let at = opening.createdAt
        let year = CivilTime(at, timeZone: tenant.timeZone).year
        let firstLine = opening.content.split(whereSeparator: \.isNewline).first.map(String.init) ?? opening.content
        let subject = String(firstLine.trimmingCharacters(in: .whitespaces).prefix(TicketLimits.subject))
        let workflow = tenant.workflow
        let last = notes.last?.timestamp ?? at
        return Ticket(
            tenantId: tenant.id, ticketId: tenant.ticketIdFormat.format(number: number, year: year), number: number, numberingYear: year,
            subject: subject.isEmpty ? "Conversation with \(customerId)" : subject,
            description: String(opening.content.prefix(TicketLimits.description)), category: tenant.pack.defaultCategory,
            subcategory: nil, priority: .medium, status: workflow.initial,
            statusHistory: [StatusChange(from: nil, to: workflow.initial, changedBy: "migration", reason: "imported from the legacy chat", timestamp: at)],
            customerId: customerId, conversationId: conversation, assignedAgent: nil, assignedAt: nil, location: nil,
            sla: TicketSLA(targets: tenant.sla.target(for: .medium), createdAt: at), resolution: nil, customerFeedback: nil,
            notes: Array(notes.prefix(1_000)), tags: ["legacy_import"], escalation: nil, attachments: [], source: .whatsapp,
            createdAt: at, updatedAt: last, closedAt: nil, version: 1)
    }
}
