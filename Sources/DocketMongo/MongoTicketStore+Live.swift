import DocketCore
import Foundation

/// Conversations (`ticket_messages`) and the live event log (`live_events`).
extension MongoTicketStore {
    /// `tenant/ticket/seq`, zero-padded so ids sort like sequence numbers.
    static func messageKey(_ message: TicketMessage) -> String {
        let seq = String(message.seq)
        return key(message.tenantId, message.ticketId) + "/" + String(repeating: "0", count: max(0, 9 - seq.count)) + seq
    }

    static func messageDocument(_ message: TicketMessage) throws -> BSONDoc {
        try Self.document(message, id: messageKey(message))
    }

    public func messages(tenantId: String, ticketId: String, after: Int, limit: Int) async throws -> [TicketMessage] {
        try await job { job in
            try job.collection(Collections.messages)
                .find(["tenantId": tenantId, "ticketId": ticketId, "seq": ["$gt": after]], FindOptions(sort: [("seq", 1)], limit: limit))
                .map { try Self.decode(TicketMessage.self, $0) }
        }
    }

    /// A version check, the messages still waiting in the ticket's outbox put in place, the
    /// messages' read marks, then the ticket conditionally (with its outbox). A writer that gets
    /// in between, or a crash, leaves messages read that the counter still counts (above the
    /// truth, never below) until the caller's retry, or the next read mark, settles it. Without
    /// the waiting messages put in place first, a mark could miss a message whose move had not
    /// run and then reset the counter that counted it (below the truth: seen once in CI).
    public func updateTicket(
        _ ticket: Ticket, expectedVersion: Int, markingRead mark: ReadMark, outbox: @escaping @Sendable (Int) throws -> Outbox
    ) async throws -> (marked: Int, events: [LiveEvent])? {
        let stored = try await replaceTicket(ticket, expectedVersion: expectedVersion, readFirst: true) { job in
            let marked = mark.senders.isEmpty ? 0 : try job.collection(Collections.messages).updateMany(
                [
                    "tenantId": ticket.tenantId, "ticketId": ticket.ticketId, "isRead": false, "seq": ["$lte": mark.through],
                    "senderType": ["$in": mark.senders.map(\.rawValue)],
                ],
                ["$set": ["isRead": true, "readAt": mark.at]])
            let written = try outbox(marked)
            return ((marked, written.onCommit), [TicketMessage](), written)
        }
        guard let stored else { return nil }
        stored.value.1?(stored.events)
        return (stored.value.0, stored.events)
    }

    public func appendLiveEvents(_ events: [LiveEvent], retain: Int) async throws -> [LiveEvent] {
        guard let tenant = events.first?.tenantId else { return [] }
        precondition(events.allSatisfy { $0.tenantId == tenant }, "one tenant per append")
        return try await job { job in
            let stored = try Self.appendNumbered(
                job, collection: Collections.liveEvents, counter: "live/\(tenant)", idField: "id", tenant: tenant,
                try events.map { try BSONEncoder().document($0) }, retain: retain)
            return zip(events, stored).map { event, doc in
                var event = event
                event.id = doc["id"]?.int ?? 0
                return event
            }
        }
    }

    public func liveEvents(tenantId: String, after: Int, limit: Int) async throws -> [LiveEvent] {
        try await job { job in
            try job.collection(Collections.liveEvents).find(["tenantId": tenantId, "id": ["$gt": after]], FindOptions(sort: [("id", 1)], limit: limit))
                .map { try Self.liveEvent($0) }
        }
    }

    /// A stored event. A `rule_webhook` event stored before events named their endpoint takes
    /// it from its data, so an upgrade does not drop a delivery that was waiting.
    static func liveEvent(_ doc: BSONDoc) throws -> LiveEvent {
        var event = try decode(LiveEvent.self, doc)
        if event.type == .ruleWebhook, event.endpoint == nil {
            let data = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
            event.endpoint = data?["endpoint"] as? String
        }
        return event
    }

    public func liveEventBounds(tenantId: String) async throws -> LiveEventBounds? {
        try await job { job in
            let log = try job.collection(Collections.liveEvents)
            func first(_ direction: Int) throws -> Int? {
                try log.find(["tenantId": tenantId], FindOptions(sort: [("id", direction)], limit: 1, projection: [("id", 1)])).first?["id"]?.int
            }
            guard let oldest = try first(1), let latest = try first(-1) else { return nil }
            return LiveEventBounds(oldest: oldest, latest: latest)
        }
    }
}
