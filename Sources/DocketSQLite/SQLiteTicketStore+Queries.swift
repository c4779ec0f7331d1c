import DocketCore
import Foundation
import GRDB

/// Reading tickets many at a time: list filters and full-text search, SLA timers due, agents' loads, statistics.
extension SQLiteTicketStore {
    /// WHERE clause and arguments for a ticket filter (always scoped by tenant).
    /// `match` is the search's FTS5 expression (`match(_:internalNotes:_:)`), needed when the query searches.
    static func filter(tenantId: String, query: TicketQuery, match: String? = nil) -> (String, [(any DatabaseValueConvertible)?]) {
        var clauses = ["t.tenant_id = ?"]
        var args: [(any DatabaseValueConvertible)?] = [tenantId]
        if !query.statuses.isEmpty {
            clauses.append("t.status IN (\(query.statuses.map { _ in "?" }.joined(separator: ", ")))")
            args += query.statuses
        }
        if let category = query.category { clauses.append("t.category = ?"); args.append(category) }
        if let priority = query.priority { clauses.append("t.priority_rank = ?"); args.append(priority.rank) }
        if let agent = query.assignedAgent {
            if agent.isEmpty { clauses.append("t.assigned_agent IS NULL") } else { clauses.append("t.assigned_agent = ?"); args.append(agent) }
        }
        if let customer = query.customerId { clauses.append("t.customer_id = ?"); args.append(customer) }
        if let conversation = query.conversationId { clauses.append("t.conversation_id = ?"); args.append(conversation) }
        if let escalated = query.escalated { clauses.append("t.escalated = ?"); args.append(escalated) }
        if let queue = query.queue {
            if queue.isEmpty { clauses.append("t.queue IS NULL") } else { clauses.append("t.queue = ?"); args.append(queue) }
        }
        if let from = query.createdFrom { clauses.append("t.created_at >= ?"); args.append(from.millis) }
        if let to = query.createdTo { clauses.append("t.created_at <= ?"); args.append(to.millis) }
        if let source = query.source { clauses.append("t.source = ?"); args.append(source.rawValue) }
        if let from = query.resolvedFrom { clauses.append("t.resolved_at >= ?"); args.append(from.millis) }
        if let to = query.resolvedTo { clauses.append("t.resolved_at <= ?"); args.append(to.millis) }
        if let from = query.ratedFrom { clauses.append("t.rated_at >= ?"); args.append(from.millis) }
        if let to = query.ratedTo { clauses.append("t.rated_at <= ?"); args.append(to.millis) }
        if let tag = query.tag {
            clauses.append("t.id IN (SELECT ticket_rowid FROM ticket_tags WHERE tenant_id = ? AND tag = ?)")
            args += [tenantId, tag.lowercased()]
        }
        if query.search != nil {
            if let match {
                clauses.append("t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?)")
                args.append(match)
            } else {
                clauses.append("0")
            }
        }
        return (clauses.joined(separator: " AND "), args)
    }

    /// A search term expands to at most this many words before it stays a prefix query.
    static let maxExpansion = 64

    /// The FTS5 expression of a search (every term starts a word of the ticket); nil when it
    /// has no terms. Each term becomes the words that start with it, read from `search_terms`:
    /// FTS5 streams a word's doclist newest first and stops at the page, while a prefix query
    /// ("term"*) first merges the whole doclist of every word with that prefix — for a word most
    /// tickets contain, tens of milliseconds at a million tickets. A term with no known word, or
    /// with more than `maxExpansion`, stays a prefix query.
    static func match(_ search: String, internalNotes: Bool, _ db: Database) throws -> String? {
        let terms = TextFolding.terms(search)
        guard !terms.isEmpty else { return nil }
        let expression = try terms.map { term -> String in
            let words: [String] = try String.fetchAll(
                db.cachedStatement(sql: "SELECT term FROM search_terms WHERE term >= ? AND term < ? ORDER BY term LIMIT ?"),
                arguments: [term, term + "\u{10FFFF}", maxExpansion + 1])
            if words.isEmpty || words.count > maxExpansion { return "\"\(term)\"*" }
            return "(\(words.map { "\"\($0)\"" }.joined(separator: " OR ")))"
        }.joined(separator: " AND ")  // FTS5 takes no implicit AND next to a parenthesis
        return internalNotes ? expression : "{public_text} : (\(expression))"
    }

    public func listTickets(tenantId: String, query: TicketQuery) async throws -> Page<Ticket> {
        let codec = codec
        let direction = query.ascending ? "ASC" : "DESC"
        // With a selective filter (one agent's, customer's or conversation's tickets) the filter's
        // index must lead and the few matches are sorted; the unary + keeps SQLite from walking the
        // whole tenant in sort order instead (it has no statistics to know better).
        let selective = (query.assignedAgent.map { !$0.isEmpty } ?? false) || query.customerId != nil || query.conversationId != nil
        let p = selective ? "+" : ""
        let order: String
        switch query.sortBy {
        case .createdAt: order = "\(p)t.created_at \(direction), \(p)t.id \(direction)"
        case .updatedAt: order = "\(p)t.updated_at \(direction), \(p)t.id \(direction)"
        case .priority: order = "\(p)t.priority_rank \(direction), \(p)t.created_at \(direction), \(p)t.id \(direction)"
        case .status: order = "\(p)t.status \(direction), \(p)t.created_at \(direction), \(p)t.id \(direction)"
        case .ticketId: order = "\(p)t.numbering_year \(direction), \(p)t.number \(direction), \(p)t.id \(direction)"
        }
        return try await read { db in
            let match = try query.search.flatMap { try Self.match($0, internalNotes: query.searchInternalNotes, db) }
            let source: String, clause: String, sort: String, values: [(any DatabaseValueConvertible)?]
            if let match, query.sortBy == .createdAt {
                // Full-text results newest first straight from the index (its rowids follow creation):
                // a common word stops at the page instead of sorting every ticket that has it. CROSS JOIN
                // keeps the index outside: otherwise SQLite may walk the tenant's tickets and match each.
                var plain = query
                plain.search = nil
                let (plainClause, plainArgs) = Self.filter(tenantId: tenantId, query: plain)
                (source, clause, sort, values) = ("ticket_search s CROSS JOIN tickets t ON t.id = s.rowid", "s.ticket_search MATCH ? AND \(plainClause)", "s.rowid \(direction)", [match] + plainArgs)
            } else {
                let (whereClause, args) = Self.filter(tenantId: tenantId, query: query, match: match)
                (source, clause, sort, values) = ("tickets t", whereClause, order, args)
            }
            // The SQL varies only with which filters are set (values are arguments): cached per connection.
            let counted = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM (SELECT 1 FROM \(source) WHERE \(clause) LIMIT ?)"),
                arguments: StatementArguments(values + [TicketQuery.countCap + 1])) ?? 0
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT t.id, t.version, t.ticket_id, t.number, t.created_at FROM \(source) WHERE \(clause) ORDER BY \(sort) LIMIT ? OFFSET ?"),
                arguments: StatementArguments(values + [query.limit, (query.page - 1) * query.limit]))
            return Page(
                items: try rows.map { try self.ticket(from: $0, db, codec) }, page: query.page, limit: query.limit,
                total: min(counted, TicketQuery.countCap), totalIsLowerBound: counted > TicketQuery.countCap)
        }
    }

    public func dueTimerTickets(before: Date, limit: Int) async throws -> [TicketRef] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT tenant_id, ticket_id FROM tickets WHERE sla_next_at IS NOT NULL AND sla_next_at <= ? ORDER BY sla_next_at LIMIT ?"),
                arguments: [before.millis, limit]
            ).map { TicketRef(tenantId: $0[0], ticketId: $0[1]) }
        }
    }

    public func waitingTickets(tenantId: String, limit: Int) async throws -> [TicketRef] {
        try await read { db in
            try String.fetchAll(db.cachedStatement(sql: """
                    SELECT ticket_id FROM tickets WHERE tenant_id = ? AND waiting_since IS NOT NULL ORDER BY waiting_since LIMIT ?
                    """), arguments: [tenantId, limit]
            ).map { TicketRef(tenantId: tenantId, ticketId: $0) }
        }
    }

    public func tenantsWithWaitingTickets(limit: Int) async throws -> [String] {
        try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT tenant_id FROM tickets WHERE waiting_since IS NOT NULL LIMIT ?"),
                arguments: [limit])
        }
    }

    public func openTicketCounts(tenantId: String, finished: [String]) async throws -> [String: Int] {
        try await read { db in try Self.openTicketCounts(db, tenantId: tenantId, finished: finished) }
    }

    /// The customer and the agents' loads in one read (one hop to a reader instead of two).
    public func ruleInputs(tenantId: String, customerId: String, finished: [String]) async throws -> RuleInputs {
        let codec = codec
        return try await pointRead { db in
            RuleInputs(
                customer: try Self.customer(db, tenantId: tenantId, id: customerId, codec),
                openTickets: try Self.openTicketCounts(db, tenantId: tenantId, finished: finished),
                presence: try Self.presenceMarks(db, tenantId: tenantId))
        }
    }

    static func openTicketCounts(_ db: Database, tenantId: String, finished: [String]) throws -> [String: Int] {
        let placeholders = finished.isEmpty ? "''" : finished.map { _ in "?" }.joined(separator: ", ")
        let sql = "SELECT agent_id, SUM(count) FROM agent_load WHERE tenant_id = ?"
            + " AND status NOT IN (\(placeholders)) GROUP BY agent_id HAVING SUM(count) > 0"
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments([tenantId] + finished)) { counts[row[0]] = row[1] }
        return counts
    }

    public func ticketCounts(tenantId: String, filter: StatsFilter) async throws -> TicketCounts {
        let query = filter.query
        let (whereClause, args) = Self.filter(tenantId: tenantId, query: query)
        let arguments = StatementArguments(args)
        return try await read { db in
            var byStatus: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) FROM tickets t WHERE \(whereClause) GROUP BY status", arguments: arguments) {
                byStatus[row[0]] = row[1]
            }
            var byPriority: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT priority, COUNT(*) FROM tickets t WHERE \(whereClause) GROUP BY priority", arguments: arguments) {
                byPriority[row[0]] = row[1]
            }
            let escalated = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets t WHERE \(whereClause) AND escalated = 1", arguments: arguments) ?? 0
            let agents = try Row.fetchAll(
                db,
                sql: """
                    SELECT assigned_agent, COUNT(*), SUM(resolved), COUNT(first_response_seconds),
                        COALESCE(SUM(first_response_seconds), 0), SUM(first_response_met = 1), COUNT(first_response_met),
                        SUM(resolution_met = 1), COUNT(resolution_met)
                    FROM tickets t WHERE \(whereClause) AND assigned_agent IS NOT NULL GROUP BY assigned_agent
                    """,
                arguments: arguments
            ).map { row in
                AgentTicketFigures(
                    agentId: row[0], assigned: row[1], resolved: row[2] ?? 0, firstResponseCount: row[3],
                    firstResponseTotalSeconds: row[4], firstResponseMet: row[5] ?? 0, firstResponseMeasured: row[6],
                    resolutionMet: row[7] ?? 0, resolutionMeasured: row[8])
            }
            return TicketCounts(
                total: byStatus.values.reduce(0, +), byStatus: byStatus, byPriority: byPriority, escalated: escalated, agents: agents)
        }
    }
}
