import DocketCore
import Foundation

/// Leases in the `leases` collection, one document per name: `{_id: name, holder, until}`.
/// Taking is one conditional upsert: it matches the document when it is expired or the holder's
/// own, and otherwise tries to insert a second document of the same `_id`, which the unique
/// `_id` refuses — so of instances racing for a free lease exactly one gets it.
extension MongoTicketStore: LeaseStore {
    public var leases: (any LeaseStore)? { self }

    public func takeLease(_ name: String, holder: String, until: Date, now: Date) async throws -> Bool {
        try await job { job in
            do {
                let taken = try job.collection(Collections.leases).updateOne(
                    ["_id": name, "$or": [["until": ["$lte": now]], ["holder": holder]]],
                    ["$set": ["holder": holder, "until": until]], upsert: true)
                return taken > 0
            } catch let error as MongoError where error.kind == .duplicateKey {
                return false
            }
        }
    }

    public func releaseLease(_ name: String, holder: String) async throws {
        _ = try await job { job in
            try job.collection(Collections.leases).deleteMany(["_id": name, "holder": holder])
        }
    }
}

/// Staged rollouts in the `rollouts` collection, one document per tenant (`_id`: the tenant).
/// An update reads the document, applies the change and replaces it on the condition that its
/// `revision` is still the one read (inserting when there was none, which the unique `_id`
/// settles); a lost race reads again. Instances' updates of one tenant therefore never interleave.
extension MongoTicketStore {
    static let rolloutAttempts = 200

    public func rollout(tenantId: String) async throws -> PackRollout? {
        try await job { job in
            try job.collection(Collections.rollouts).findOne(["_id": tenantId]).map { try Self.decode(PackRollout.self, $0) }
        }
    }

    public func updateRollout(tenantId: String, _ change: @escaping @Sendable (PackRollout?) -> PackRollout?) async throws -> PackRollout? {
        try await job { job in
            let rollouts = try job.collection(Collections.rollouts)
            for _ in 0..<Self.rolloutAttempts {
                let current = try rollouts.findOne(["_id": tenantId]).map { try Self.decode(PackRollout.self, $0) }
                guard var next = change(current) else { return current }
                next.revision = (current?.revision ?? 0) + 1
                let document = try Self.document(next, id: tenantId)
                if let current {
                    if try rollouts.replaceOne(["_id": tenantId, "revision": current.revision], document) == 1 { return next }
                } else {
                    do {
                        try rollouts.insertOne(document)
                        return next
                    } catch let error as MongoError where error.kind == .duplicateKey {
                        continue
                    }
                }
            }
            throw DocketError(.conflict, "the rollout of tenant '\(tenantId)' is being changed by others; retry")
        }
    }
}

/// Agents' presence in the `presence` collection, one document per agent (`_id`:
/// tenant/agent), updated like rollouts: a conditional replace on `revision`, read again when
/// another instance won. `nextExpiry` (the earliest lease) is the sweeper's indexed key.
extension MongoTicketStore {
    public func presences(tenantId: String) async throws -> [AgentPresence] {
        try await job { job in
            try job.collection(Collections.presence).find(["tenantId": tenantId]).map { try Self.decode(AgentPresence.self, $0) }
        }
    }

    public func updatePresence(
        tenantId: String, agentId: String, _ change: @escaping @Sendable (AgentPresence?) -> AgentPresence?
    ) async throws -> (before: AgentPresence?, after: AgentPresence?) {
        try await job { job in
            let presence = try job.collection(Collections.presence)
            let id = Self.key(tenantId, agentId)
            for _ in 0..<Self.rolloutAttempts {
                let current = try presence.findOne(["_id": id]).map { try Self.decode(AgentPresence.self, $0) }
                guard var next = change(current) else { return (current, current) }
                next.revision = (current?.revision ?? 0) + 1
                var document = try Self.document(next, id: id)
                document["nextExpiry"] = next.nextExpiry.map { .date($0.millis) } ?? .null
                document["onlineUntil"] = next.onlineUntil.map { .date($0.millis) } ?? .null
                if let current {
                    if try presence.replaceOne(["_id": id, "revision": current.revision], document) == 1 { return (current, next) }
                } else {
                    do {
                        try presence.insertOne(document)
                        return (nil, next)
                    } catch let error as MongoError where error.kind == .duplicateKey {
                        continue
                    }
                }
            }
            throw DocketError(.conflict, "the presence of agent '\(agentId)' is being changed by others; retry")
        }
    }

    public func presenceMarks(tenantId: String) async throws -> [String: PresenceMark] {
        try await job { job in
            var marks: [String: PresenceMark] = [:]
            for row in try job.collection(Collections.presence).find(
                ["tenantId": tenantId], FindOptions(projection: [("agentId", 1), ("onlineUntil", 1), ("away", 1)]))
            {
                guard let agent = row["agentId"]?.string else { continue }
                marks[agent] = PresenceMark(onlineUntil: row["onlineUntil"]?.date, away: row["away"] == .bool(true))
            }
            return marks
        }
    }

    public func expiredPresences(now: Date, limit: Int) async throws -> [(tenantId: String, agentId: String)] {
        try await job { job in
            try job.collection(Collections.presence).find(
                ["nextExpiry": ["$lte": now]],
                FindOptions(sort: [("nextExpiry", 1), ("_id", 1)], limit: limit, projection: [("tenantId", 1), ("agentId", 1)])
            ).compactMap { row in
                guard let tenant = row["tenantId"]?.string, let agent = row["agentId"]?.string else { return nil }
                return (tenantId: tenant, agentId: agent)
            }
        }
    }
}
