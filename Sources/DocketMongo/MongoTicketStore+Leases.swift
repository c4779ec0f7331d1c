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
