import DocketCore
import Foundation
import GRDB

/// Conversations (`ticket_messages`) and the live event log (`live_events`).
extension SQLiteTicketStore {
    /// Messages are written inside the ticket's transaction; `read_at` lives in its own column
    /// so marking a conversation read does not rewrite documents.
    static func insert(_ messages: [TicketMessage], _ db: Database, _ codec: DocumentCodec) throws {
        for message in messages {
            var stored = message
            stored.isRead = false
            stored.readAt = nil
            try db.cachedStatement(sql: "INSERT INTO ticket_messages (tenant_id, ticket_id, seq, sender_type, read_at, doc) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [message.tenantId, message.ticketId, message.seq, message.senderType.rawValue, message.readAt?.millis, try codec.encode(stored)])
        }
    }

    public func messages(tenantId: String, ticketId: String, after: Int, limit: Int) async throws -> [TicketMessage] {
        let codec = codec
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT read_at, doc FROM ticket_messages WHERE tenant_id = ? AND ticket_id = ? AND seq > ? ORDER BY seq LIMIT ?"),
                arguments: [tenantId, ticketId, after, limit]
            ).map { row in
                var message = try codec.decode(TicketMessage.self, row["doc"] as String)
                if let millis = row["read_at"] as Int64? {
                    message.isRead = true
                    message.readAt = Date(timeIntervalSince1970: Double(millis) / 1000)
                }
                return message
            }
        }
    }

    public func updateTicket(
        _ ticket: Ticket, expectedVersion: Int, markingRead mark: ReadMark, outbox: @escaping @Sendable (Int) throws -> Outbox
    ) async throws -> (marked: Int, events: [LiveEvent])? {
        let codec = codec
        let (doc, audit) = try Self.documents(ticket, codec)
        let text = searchText(ticket, expectedVersion: expectedVersion)
        return try await write { [memo] db in
            guard try Self.replace(ticket, expectedVersion: expectedVersion, db, doc: doc, audit: audit, text: text, memo: memo) else { return nil }
            let marked = try Self.markRead(ticket, mark, db)
            return (marked, try Self.write(try outbox(marked), db, codec))
        }
    }

    /// Marks read, in the caller's transaction, the ticket's unread messages `mark` names; how many.
    static func markRead(_ ticket: Ticket, _ mark: ReadMark, _ db: Database) throws -> Int {
        guard !mark.senders.isEmpty else { return 0 }
        var arguments: [(any DatabaseValueConvertible)?] = [mark.at.millis, ticket.tenantId, ticket.ticketId, mark.through]
        arguments += mark.senders.map(\.rawValue)
        let marks = Array(repeating: "?", count: mark.senders.count).joined(separator: ", ")
        try db.execute(
            sql: """
                UPDATE ticket_messages SET read_at = ? WHERE tenant_id = ? AND ticket_id = ? AND seq <= ? AND read_at IS NULL
                    AND sender_type IN (\(marks))
                """,
            arguments: StatementArguments(arguments))
        return db.changesCount
    }

    public func appendLiveEvents(_ events: [LiveEvent], retain: Int) async throws -> [LiveEvent] {
        guard !events.isEmpty else { return [] }
        return try await write { db in try Self.appendLive(events, retain: retain, db) }
    }

    /// One tenant's events take its next ids, in the caller's transaction.
    static func appendLive(
        _ events: [LiveEvent], retain: Int, _ db: Database, onCommit: (@Sendable ([LiveEvent]) -> Void)? = nil
    ) throws -> [LiveEvent] {
        guard let tenant = events.first?.tenantId else { return [] }
        precondition(events.allSatisfy { $0.tenantId == tenant }, "one tenant per append")
        guard let last = try Int.fetchOne(db.cachedStatement(sql: """
                INSERT INTO live_event_counters (tenant_id, last_id) VALUES (?, ?)
                ON CONFLICT (tenant_id) DO UPDATE SET last_id = last_id + excluded.last_id
                RETURNING last_id
                """),
            arguments: [tenant, events.count])
        else { throw DocketError(.internalError, "event counter returned no value") }
        var stored = events
        for index in stored.indices {
            stored[index].id = last - events.count + 1 + index
            // Columns, not a JSON document: `data` is already JSON and is stored as it is.
            let event = stored[index]
            try db.cachedStatement(sql: """
                    INSERT INTO live_events (tenant_id, id, type, ticket_id, customer_id, queue, agent_id, endpoint, audience, at, origin, data)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [
                    tenant, event.id, event.type.rawValue, event.ticketId, event.customerId, event.queue, event.agentId, event.endpoint,
                    event.audience.rawValue, event.at.millis, event.origin, event.data,
                ])
        }
        // Trimming every 64th id keeps the log between `retain` and `retain + 64` events.
        if last > retain, (last - events.count) / 64 != last / 64 {
            try db.cachedStatement(sql: "DELETE FROM live_events WHERE tenant_id = ? AND id <= ?")
                .execute(arguments: [tenant, last - retain])
        }
        if let onCommit {
            // On the writer, right after the commit: commits are told in their order.
            let told = stored
            CommitHooks.afterCommit(db) { onCommit(told) }
        }
        return stored
    }

    public func liveEvents(tenantId: String, after: Int, limit: Int) async throws -> [LiveEvent] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT id, type, ticket_id, customer_id, queue, agent_id, endpoint, audience, at, origin, data
                    FROM live_events WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?
                    """),
                arguments: [tenantId, after, limit]
            ).map { row in
                guard let type = LiveEventType(rawValue: row["type"]), let audience = LiveAudience(rawValue: row["audience"]) else {
                    throw DocketError(.internalError, "sqlite: live event \(row["id"] as Int) has an unknown type or audience")
                }
                return LiveEvent(
                    tenantId: tenantId, id: row["id"], type: type, ticketId: row["ticket_id"], customerId: row["customer_id"],
                    queue: row["queue"], agentId: row["agent_id"], endpoint: row["endpoint"], audience: audience, data: row["data"],
                    at: Date(timeIntervalSince1970: Double(row["at"] as Int64) / 1000), origin: row["origin"])
            }
        }
    }

    public func liveEventBounds(tenantId: String) async throws -> LiveEventBounds? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT MIN(id) AS oldest, MAX(id) AS latest FROM live_events WHERE tenant_id = ?"),
                arguments: [tenantId]),
                let oldest = row["oldest"] as Int?, let latest = row["latest"] as Int?
            else { return nil }
            return LiveEventBounds(oldest: oldest, latest: latest)
        }
    }
}
