import DocketCore
import Foundation

extension MongoTicketStore {
    /// Folded search keys: every word of the text and each of its prefixes, so an exact match
    /// on the keys gives the same "word starts with" search as SQLite's FTS5 `term*`.
    enum SearchKeys {
        static let maxWordLength = 24
        static let maxKeys = 20_000

        static func keys(_ text: String) -> [String] {
            var out = Set<String>()
            for word in TextFolding.terms(text) {
                let word = String(word.prefix(maxWordLength))
                var prefix = ""
                for character in word {
                    prefix.append(character)
                    out.insert(prefix)
                }
                if out.count >= maxKeys { break }
            }
            return out.sorted()
        }

        /// Query terms as keys (a term longer than the stored words is cut the same way).
        static func terms(_ search: String) -> [String] {
            TextFolding.terms(search).map { String($0.prefix(maxWordLength)) }
        }
    }

    static func ticketDocument(_ ticket: Ticket) throws -> BSONDoc {
        var doc = try Self.document(ticket, id: key(ticket.tenantId, ticket.ticketId))
        let publicText = ([ticket.ticketId, ticket.subject, ticket.description] + ticket.notes.filter { !$0.isInternal }.map(\.content))
            .joined(separator: "\n")
        let internalText = ticket.notes.filter(\.isInternal).map(\.content).joined(separator: "\n")
        let keys = SearchKeys.keys(publicText)
        let firstResponse = ticket.sla.firstResponseAt.map { $0.timeIntervalSince(ticket.createdAt) }
        try doc.set("ix", [
            "rank": ticket.priority.rank,
            "escalated": ticket.isEscalated,
            "resolved": ticket.resolution != nil ? 1 : 0,
            "frCount": firstResponse == nil ? 0 : 1,
            "frSeconds": firstResponse ?? 0,
            "frMet": ticket.sla.firstResponseMet == true ? 1 : 0,
            "frMeasured": ticket.sla.firstResponseMet == nil ? 0 : 1,
            "resMet": ticket.sla.resolutionMet == true ? 1 : 0,
            "resMeasured": ticket.sla.resolutionMet == nil ? 0 : 1,
            "keys": keys,
            "internalKeys": SearchKeys.keys(internalText),
            "text": keys.joined(separator: " "),
            "slaNext": ticket.nextWakeAt.map { $0 as Any } ?? NSNull(),
        ] as [String: Any])
        return doc
    }

    public func createTicket(
        tenantId: String, counterYear: Int, messages: [TicketMessage], build: @escaping @Sendable (Int) throws -> Ticket,
        outbox: CreationOutbox
    ) async throws -> (ticket: Ticket, events: [LiveEvent]) {
        let counter = "tickets/\(tenantId)/\(counterYear)"
        func take() async throws -> Int {
            try await job { job in
                let value = try job.collection(Collections.counters).increment(counter: counter, by: 1)
                guard value > 0 else { throw MongoError(kind: .other, code: 0, message: "ticket counter \(counter) returned \(value)") }
                return value
            }
        }
        var number = try await take()
        var ticket: Ticket
        var key: String
        var batch: BSONDoc
        do {
            while true {
                ticket = try build(number)
                key = Self.key(tenantId, ticket.ticketId)
                let messages = messages.map { [ticket] in var message = $0; message.ticketId = ticket.ticketId; return message }
                batch = try Self.outboxBatch(try outbox.outbox(for: ticket), messages: messages)
                var document = try Self.ticketDocument(ticket)
                if !Self.isEmpty(batch) { document[Self.outboxField] = .array([.document(batch)]) }
                // The ticket, its first messages and its events: one document write.
                let inserted = try await job { [document, key] job in
                    let tickets = try job.collection(Collections.tickets)
                    do {
                        try tickets.insertOne(document)
                        return true
                    } catch let error as MongoError where error.kind == .duplicateKey {
                        // An ID already issued (under another counter, before the format changed)
                        // skips its number; another unique index refuses the create.
                        guard try tickets.find(["_id": key], FindOptions(limit: 1, projection: [("_id", 1)])).first != nil else { throw error }
                        return false
                    }
                }
                if inserted { break }
                number = try await take()
            }
        } catch {
            // Give the number back when nobody took a later one, so a failed create leaves no
            // gap; with a concurrent create in between the gap stays (numbers never repeat).
            _ = try? await job { [number] job in
                try job.collection(Collections.counters).findOneAndUpdate(["_id": counter, "value": number], ["$inc": ["value": -1]])
            }
            throw error
        }
        memo.wrote(ticket)
        // (The customer's ticket count is counted when the customer is read: nothing to bump here.)
        let stored: [LiveEvent] = try await job { [key, batch] job in
            Self.moveAfterCommit(job, tenant: tenantId, key: key, batches: [batch], own: batch["b"]?.string)
        }
        outbox.onCommit?(stored)
        return (ticket, stored)
    }

    /// Moves the ticket's outbox right after its write. The change is stored whatever happens
    /// here: a failed move is logged and left to `moveStrandedOutboxes`.
    static func moveAfterCommit(
        _ job: MongoJob, tenant: String, key: String, batches: [BSONDoc], own: String?, collection: String = Collections.tickets
    ) -> [LiveEvent] {
        guard !batches.isEmpty else { return [] }
        do {
            return try moveOutbox(job, tenant: tenant, key: key, batches: batches, own: own, collection: collection)
        } catch {
            MongoConnection.logger.warning(
                "mongodb: the outbox move failed; the sweeper finishes it", metadata: ["document": "\(collection)/\(key)", "error": "\(error)"])
            return []
        }
    }

    public func ticket(tenantId: String, ticketId: String) async throws -> Ticket? {
        try await job { job in
            try job.collection(Collections.tickets).findOne(["_id": Self.key(tenantId, ticketId)]).map { try self.memo.ticket($0, withAudit: true) }
        }
    }

    public func updateTicket(_ ticket: Ticket, expectedVersion: Int, messages: [TicketMessage], outbox: Outbox) async throws -> [LiveEvent]? {
        let stored = try await replaceTicket(ticket, expectedVersion: expectedVersion) { _ in ((), messages, outbox) }
        guard let stored else { return nil }
        outbox.onCommit?(stored.events)
        return stored.events
    }

    /// Replaces the ticket if its stored version is `expectedVersion`, carrying the batches
    /// still waiting in it plus this change's (`change` runs first and answers the batch's
    /// messages and outbox); then moves them out.
    /// Answers `change`'s value and the stored live events, or nil when the version moved on.
    /// `readFirst`: check the version, read the waiting batches and put their messages in place
    /// before `change` runs, for a change with side effects on the messages (read marks);
    /// otherwise the common case is one write.
    func replaceTicket<Value: Sendable>(
        _ ticket: Ticket, expectedVersion: Int, readFirst: Bool = false,
        change: @escaping @Sendable (MongoJob) throws -> (Value, [TicketMessage], Outbox)
    ) async throws -> (value: Value, events: [LiveEvent])? {
        try await job { job in
            let tickets = try job.collection(Collections.tickets)
            let key = Self.key(ticket.tenantId, ticket.ticketId)
            let filter: [String: Any] = ["_id": key, "version": expectedVersion]
            func current() throws -> BSONDoc? {
                try tickets.find(filter, FindOptions(limit: 1, projection: [(Self.outboxField, 1)])).first
            }
            var waiting: [BSONDoc]?
            if readFirst {
                guard let stored = try current() else { return nil }
                waiting = Self.pendingBatches(stored)
                // The messages of a change whose move has not run yet are put in place first:
                // a read mark then sees them, and the late mover leaves them as marked.
                for batch in waiting ?? [] { try Self.moveMessages(job, batch: batch) }
            }
            let (value, messages, outbox) = try change(job)
            let batch = try Self.outboxBatch(outbox, messages: messages)
            let own = Self.isEmpty(batch) ? nil : batch["b"]?.string
            let base = try Self.ticketDocument(ticket)
            func document(_ batches: [BSONDoc]) -> BSONDoc {
                var document = base
                if !batches.isEmpty { document[Self.outboxField] = .array(batches.map { .document($0) }) }
                return document
            }
            var batches = own == nil ? [] : [batch]
            if let waiting {
                batches = waiting + batches
                guard try tickets.replaceOne(filter, document(batches)) == 1 else { return nil }
            } else if try tickets.replaceOne(filter.merging(["\(Self.outboxField).b": ["$exists": false]]) { $1 }, document(batches)) != 1 {
                // The common case was one write (no batch waiting in the ticket). Here the version
                // moved on (a lost race), or batches wait in the ticket: carry them.
                guard let stored = try current() else { return nil }
                batches = Self.pendingBatches(stored) + batches
                guard try tickets.replaceOne(filter, document(batches)) == 1 else { return nil }
            }
            self.memo.wrote(ticket)
            return (value, Self.moveAfterCommit(job, tenant: ticket.tenantId, key: key, batches: batches, own: own))
        }
    }

    /// The filter of a ticket query (always scoped by tenant), the same conditions as SQLite's.
    func filter(tenantId: String, query: TicketQuery) -> [String: Any] {
        var clauses: [[String: Any]] = [["tenantId": tenantId]]
        if !query.statuses.isEmpty { clauses.append(["status": ["$in": query.statuses]]) }
        if let category = query.category { clauses.append(["category": category]) }
        if let priority = query.priority { clauses.append(["ix.rank": priority.rank]) }
        if let agent = query.assignedAgent { clauses.append(["assignedAgent": agent.isEmpty ? NSNull() : agent]) }
        if let customer = query.customerId { clauses.append(["customerId": customer]) }
        if let conversation = query.conversationId { clauses.append(["conversationId": conversation]) }
        if let escalated = query.escalated { clauses.append(["ix.escalated": escalated]) }
        if let queue = query.queue { clauses.append(["queue": queue.isEmpty ? NSNull() : queue]) }
        if let from = query.createdFrom { clauses.append(["createdAt": ["$gte": from]]) }
        if let to = query.createdTo { clauses.append(["createdAt": ["$lte": to]]) }
        if let source = query.source { clauses.append(["source": source.rawValue]) }
        if let from = query.resolvedFrom { clauses.append(["resolution.resolvedAt": ["$gte": from]]) }
        if let to = query.resolvedTo { clauses.append(["resolution.resolvedAt": ["$lte": to]]) }
        if let from = query.ratedFrom { clauses.append(["customerFeedback.submittedAt": ["$gte": from]]) }
        if let to = query.ratedTo { clauses.append(["customerFeedback.submittedAt": ["$lte": to]]) }
        if let tag = query.tag { clauses.append(["tags": tag.lowercased()]) }
        if let search = query.search {
            let terms = SearchKeys.terms(search)
            if terms.isEmpty {
                clauses.append(["_id": ["$exists": false]])
            } else if query.searchInternalNotes {
                for term in terms { clauses.append(["$or": [["ix.keys": term], ["ix.internalKeys": term]]]) }
            } else if textSearch {
                // Each term quoted: a phrase of one key, all of them required.
                clauses.append(["$text": ["$search": terms.map { "\"\($0)\"" }.joined(separator: " ")]])
            } else {
                clauses.append(["ix.keys": ["$all": terms]])
            }
        }
        return clauses.count == 1 ? clauses[0] : ["$and": clauses]
    }

    public func listTickets(tenantId: String, query: TicketQuery) async throws -> Page<Ticket> {
        let direction = query.ascending ? 1 : -1
        let sort: [(String, Int)]
        switch query.sortBy {
        case .createdAt: sort = [("createdAt", direction), ("_id", direction)]
        case .updatedAt: sort = [("updatedAt", direction), ("_id", direction)]
        case .priority: sort = [("ix.rank", direction), ("createdAt", direction), ("_id", direction)]
        case .status: sort = [("status", direction), ("createdAt", direction), ("_id", direction)]
        case .ticketId: sort = [("numberingYear", direction), ("number", direction), ("_id", direction)]
        }
        return try await job { job in
            let filter = self.filter(tenantId: tenantId, query: query)
            let tickets = try job.collection(Collections.tickets)
            let total = try tickets.count(filter, limit: TicketQuery.countCap + 1)
            let items = try tickets.find(filter, FindOptions(sort: sort, skip: (query.page - 1) * query.limit, limit: query.limit, projection: [("ix", 0), ("ruleAudit", 0), (Self.outboxField, 0)]))
                .map { try self.memo.ticket($0, withAudit: false) }
            return Page(
                items: items, page: query.page, limit: query.limit, total: min(total, TicketQuery.countCap),
                totalIsLowerBound: total > TicketQuery.countCap)
        }
    }

    public func dueTimerTickets(before: Date, limit: Int) async throws -> [TicketRef] {
        try await job { job in
            try job.collection(Collections.tickets).find(
                ["ix.slaNext": ["$lte": before]],
                FindOptions(sort: [("ix.slaNext", 1), ("_id", 1)], limit: limit, projection: [("tenantId", 1), ("ticketId", 1)])
            ).compactMap { row in
                guard let tenant = row["tenantId"]?.string, let id = row["ticketId"]?.string else { return nil }
                return TicketRef(tenantId: tenant, ticketId: id)
            }
        }
    }

    public func waitingTickets(tenantId: String, limit: Int) async throws -> [TicketRef] {
        try await job { job in
            try job.collection(Collections.tickets).find(
                ["tenantId": tenantId, "waiting": ["$exists": true]],
                FindOptions(sort: [("waiting.since", 1), ("_id", 1)], limit: limit, projection: [("ticketId", 1)])
            ).compactMap { row in row["ticketId"]?.string.map { TicketRef(tenantId: tenantId, ticketId: $0) } }
        }
    }

    public func tenantsWithWaitingTickets(limit: Int) async throws -> [String] {
        try await job { job in
            try job.collection(Collections.tickets).aggregate([
                ["$match": ["waiting": ["$exists": true]]], ["$group": ["_id": "$tenantId"]], ["$limit": limit],
            ]).compactMap { $0["_id"]?.string }
        }
    }

    public func openTicketCounts(tenantId: String, finished: [String]) async throws -> [String: Int] {
        try await job { job in
            var counts: [String: Int] = [:]
            let rows = try job.collection(Collections.tickets).aggregate([
                ["$match": ["tenantId": tenantId, "assignedAgent": ["$ne": NSNull()], "status": ["$nin": finished]]],
                ["$group": ["_id": "$assignedAgent", "n": ["$sum": 1]]],
            ])
            for row in rows {
                guard let agent = row["_id"]?.string else { continue }
                counts[agent] = row["n"]?.int ?? 0
            }
            return counts
        }
    }

    public func ticketCounts(tenantId: String, filter: StatsFilter) async throws -> TicketCounts {
        let statsQuery = filter.query
        return try await job { job in
            let match = self.filter(tenantId: tenantId, query: statsQuery)
            let tickets = try job.collection(Collections.tickets)
            func grouped(_ field: String) throws -> [String: Int] {
                var out: [String: Int] = [:]
                for row in try tickets.aggregate([["$match": match], ["$group": ["_id": "$\(field)", "n": ["$sum": 1]]]]) {
                    guard let key = row["_id"]?.string else { continue }
                    out[key] = row["n"]?.int ?? 0
                }
                return out
            }
            let byStatus = try grouped("status")
            let byPriority = try grouped("priority")
            let escalated = try tickets.count(["$and": [match, ["ix.escalated": true]]])
            let sums = ["resolved", "frCount", "frSeconds", "frMet", "frMeasured", "resMet", "resMeasured"]
            var group: [String: Any] = ["_id": "$assignedAgent", "assigned": ["$sum": 1]]
            for field in sums { group[field] = ["$sum": "$ix.\(field)"] }
            let agents = try tickets.aggregate([
                ["$match": ["$and": [match, ["assignedAgent": ["$ne": NSNull()]]]]],
                ["$group": group],
                ["$sort": ["_id": 1]],
            ]).compactMap { row -> AgentTicketFigures? in
                guard let agent = row["_id"]?.string else { return nil }
                func int(_ key: String) -> Int { row[key]?.int ?? 0 }
                return AgentTicketFigures(
                    agentId: agent, assigned: int("assigned"), resolved: int("resolved"), firstResponseCount: int("frCount"),
                    firstResponseTotalSeconds: row["frSeconds"]?.double ?? 0, firstResponseMet: int("frMet"),
                    firstResponseMeasured: int("frMeasured"), resolutionMet: int("resMet"), resolutionMeasured: int("resMeasured"))
            }
            return TicketCounts(
                total: byStatus.values.reduce(0, +), byStatus: byStatus, byPriority: byPriority, escalated: escalated, agents: agents)
        }
    }
}
