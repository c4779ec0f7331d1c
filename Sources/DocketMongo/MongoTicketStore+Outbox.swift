import DocketCore
import Foundation

/// The transactional outbox on MongoDB, without multi-document transactions: a change's new
/// messages, live events and recorded rule events ride in the document it writes (the
/// `outbox` array, one batch per change: a ticket's, a tenant's for a pack switch, an
/// endpoint's when it is disabled), so the
/// change and what it announces are one single-document write. Right after that write the
/// writer moves its batches out: messages to `ticket_messages`, events to their logs with the
/// tenant's next ids, then pulls the batch from the document. A crash in between leaves the
/// batch in the document, and
/// `moveStrandedOutboxes` (run at start and every few seconds by the composition root, on
/// any instance) finishes the move.
///
/// Moves are idempotent, whoever runs them and however often: a message's `_id` is its
/// sequence number; each moved event carries its batch and position (`batch`, `bi`, unique),
/// so a second mover finds it there and takes no new id. Ids are taken before the insert, so
/// a mover that crashes after taking them leaves a gap in the ids, never a duplicate or an
/// event out of order within its ticket.
extension MongoTicketStore {
    static let outboxField = "outbox"

    /// One change's batch as stored in the ticket document.
    static func outboxBatch(_ outbox: Outbox, messages: [TicketMessage]) throws -> BSONDoc {
        let encoder = BSONEncoder()
        return BSONDoc([
            ("b", .string(UUID().uuidString)),
            ("at", .date(Date())),
            ("retain", .integer(outbox.retain)),
            ("messages", .array(try messages.map { .document(try messageDocument($0)) })),
            ("live", .array(try outbox.live.map { .document(try encoder.document($0)) })),
            ("rules", .array(try outbox.rules.map { .document(try encoder.document($0)) })),
        ] + (outbox.report.isEmpty ? [] : [("report", .document(reportDocument(outbox.report)))]))
    }

    /// Whether the batch carries anything to move.
    static func isEmpty(_ batch: BSONDoc) -> Bool {
        batch["report"] == nil && ["messages", "live", "rules"].allSatisfy { key in
            if case .array(let items)? = batch[key] { return items.isEmpty }
            return true
        }
    }

    /// The batches still waiting in a stored ticket document, oldest first.
    static func pendingBatches(_ document: BSONDoc?) -> [BSONDoc] {
        guard case .array(let items)? = document?[outboxField] else { return [] }
        return items.compactMap(\.document)
    }

    /// Replaces the document matching `filter` in `collection` (a tenant or a webhook endpoint)
    /// with `base` carrying this change's `outbox` and any batches a crash left there, then
    /// moves them out. One write when nothing waits (the common case), else a read and a write.
    /// Answers the change's live events with their ids, or nil when nothing matched.
    static func replaceCarryingOutbox(
        _ job: MongoJob, collection: String, filter: [String: Any], key: String, tenant: String, base: BSONDoc, outbox: Outbox
    ) throws -> [LiveEvent]? {
        let documents = try job.collection(collection)
        let batch = try outboxBatch(outbox, messages: [])
        let own = isEmpty(batch) ? nil : batch["b"]?.string
        func document(_ batches: [BSONDoc]) -> BSONDoc {
            var document = base
            if !batches.isEmpty { document[outboxField] = .array(batches.map { .document($0) }) }
            return document
        }
        var batches = own == nil ? [] : [batch]
        if try documents.replaceOne(filter.merging(["\(outboxField).b": ["$exists": false]]) { $1 }, document(batches)) != 1 {
            // The version moved on, or batches wait in the document: carry them.
            guard let current = try documents.find(filter, FindOptions(limit: 1, projection: [(outboxField, 1)])).first else { return nil }
            batches = pendingBatches(current) + batches
            guard try documents.replaceOne(filter, document(batches)) == 1 else { return nil }
        }
        return moveAfterCommit(job, tenant: tenant, key: key, batches: batches, own: own, collection: collection)
    }

    /// Moves every batch of the document `key` of `collection` (a ticket or a tenant) in order
    /// (those already waiting, then the writer's own); answers the live events of `own` with
    /// their ids (empty when another mover holds part of it and has not finished: that mover,
    /// or the sweeper, delivers them).
    static func moveOutbox(
        _ job: MongoJob, tenant: String, key: String, batches: [BSONDoc], own: String?, collection: String = Collections.tickets
    ) throws -> [LiveEvent] {
        var stored: [LiveEvent] = []
        for batch in batches {
            let events = try moveBatch(job, tenant: tenant, key: key, batch: batch, collection: collection)
            if batch["b"]?.string == own { stored = events }
        }
        return stored
    }

    /// Moves one batch out of the document `key` of `collection` and pulls it from there once
    /// all of it is out; answers its live events with their ids (empty when not all were out).
    @discardableResult
    /// Inserts the batch's messages that are not in `ticket_messages` yet. A message already
    /// there is left as it is (its `_id` is its sequence number), read mark included.
    static func moveMessages(_ job: MongoJob, batch: BSONDoc) throws {
        guard case .array(let values)? = batch["messages"] else { return }
        let messages = try job.collection(Collections.messages)
        for message in values.compactMap(\.document) {
            do {
                try messages.insertOne(message)
            } catch let error as MongoError where error.kind == .duplicateKey {
                // Moved already.
            }
        }
    }

    static func moveBatch(
        _ job: MongoJob, tenant: String, key: String, batch: BSONDoc, collection: String = Collections.tickets
    ) throws -> [LiveEvent] {
        guard let id = batch["b"]?.string else { return [] }
        func items(_ field: String) -> [BSONDoc] {
            if case .array(let values)? = batch[field] { return values.compactMap(\.document) }
            return []
        }
        // Messages first: whoever sees an event can read its message.
        try moveMessages(job, batch: batch)
        let rules = try moveEvents(
            job, collection: Collections.ruleEvents, counter: "events/\(tenant)", idField: "seq", tenant: tenant, batch: id,
            items("rules"), retain: RecordedRuleEvent.retainedPerTenant, trimEvery: 1)
        let live = try moveEvents(
            job, collection: Collections.liveEvents, counter: "live/\(tenant)", idField: "id", tenant: tenant, batch: id, items("live"),
            retain: batch["retain"]?.int ?? 10_000)
        guard rules != nil, let live else { return [] }
        try moveReport(job, tenant: tenant, batch: id, batch["report"]?.document)
        try job.collection(collection).updateOne(["_id": key], ["$pull": [outboxField: ["b": id]]])
        return try live.map { try liveEvent($0) }
    }

    /// Appends the batch's events that are not in the log yet under the tenant's next ids, and
    /// answers the whole batch as stored (nil when another mover still holds part of it). The
    /// writer moving its own fresh batch inserts at once; only a conflict (another mover, or a
    /// half-finished move) makes it read what is there.
    private static func moveEvents(
        _ job: MongoJob, collection: String, counter: String, idField: String, tenant: String, batch: String, _ docs: [BSONDoc],
        retain: Int, trimEvery: Int = 64
    ) throws -> [BSONDoc]? {
        guard !docs.isEmpty else { return [] }
        let marked = docs.enumerated().map { index, doc in
            var doc = doc
            doc["batch"] = .string(batch)
            doc["bi"] = .integer(index)
            return doc
        }
        let log = try job.collection(collection)
        func append(_ items: [BSONDoc]) throws -> [BSONDoc]? {
            do {
                return try appendNumbered(job, collection: collection, counter: counter, idField: idField, tenant: tenant, items, retain: retain, trimEvery: trimEvery)
            } catch let error as MongoError where error.kind == .duplicateKey {
                return nil  // another mover got there first: its ids stand (ours leave a gap)
            }
        }
        if let inserted = try append(marked) { return inserted }
        let stored = try log.find(["tenantId": tenant, "batch": batch], FindOptions(sort: [("bi", 1)]))
        let present = Set(stored.compactMap { $0["bi"]?.int })
        let missing = marked.indices.filter { !present.contains($0) }.map { marked[$0] }
        if !missing.isEmpty, try append(missing) == nil { return nil }
        let all = try log.find(["tenantId": tenant, "batch": batch], FindOptions(sort: [("bi", 1)]))
        return all.count == docs.count ? all : nil
    }

    /// Inserts `docs` into a tenant's numbered log (live events by `id`, rule events by `seq`)
    /// under the tenant's next numbers, taken from its counter first, and keeps the latest
    /// `retain` (trimming every `trimEvery` numbers). Answers the documents as inserted; a
    /// duplicate key (an outbox batch moved by someone else) is thrown.
    static func appendNumbered(
        _ job: MongoJob, collection: String, counter: String, idField: String, tenant: String, _ docs: [BSONDoc], retain: Int,
        trimEvery: Int = 64
    ) throws -> [BSONDoc] {
        guard !docs.isEmpty else { return [] }
        let last = try job.collection(Collections.counters).increment(counter: counter, by: docs.count)
        let first = last - docs.count + 1
        let numbered = docs.enumerated().map { offset, doc in
            var doc = doc
            doc[idField] = .integer(first + offset)
            doc["_id"] = .string("\(tenant)/\(first + offset)")
            return doc
        }
        let log = try job.collection(collection)
        try log.insertMany(numbered)
        if last > retain, (last - docs.count) / trimEvery != last / trimEvery {
            try log.deleteMany(["tenantId": tenant, idField: ["$lte": last - retain]])
        }
        return numbered
    }

    /// Finishes the moves a crash interrupted: every batch that has waited in its ticket, tenant
    /// or webhook document for at least `olderThan` (zero at start). Answers how many it moved.
    public func moveStrandedOutboxes(olderThan age: TimeInterval = 0, limit: Int = 500) async throws -> Int {
        try await job { job in
            let cutoff = Date().addingTimeInterval(-age)
            var moved = 0
            // A ticket or an endpoint names its tenant; a tenant document is its own.
            for (collection, tenantField) in [(Collections.tickets, "tenantId"), (Collections.tenants, "_id"), (Collections.webhooks, "tenantId")] {
                let documents = try job.collection(collection).find(
                    ["\(Self.outboxField).b": ["$exists": true]],
                    FindOptions(sort: [("_id", 1)], limit: limit, projection: [(tenantField, 1), (Self.outboxField, 1)]))
                for document in documents {
                    guard let tenant = document[tenantField]?.string, let key = document["_id"]?.string else { continue }
                    let batches = Self.pendingBatches(document)
                    // In order: a batch waits for the older ones of its document.
                    guard let oldest = batches.first?["at"]?.date, oldest <= cutoff else { continue }
                    for batch in batches {
                        try Self.moveBatch(job, tenant: tenant, key: key, batch: batch, collection: collection)
                        moved += 1
                    }
                }
            }
            return moved
        }
    }
}
