import DocketCore
import Foundation

/// The old chat's collection in the Docket database, read for `LegacyChatImport`.
public struct MongoLegacyChatSource: LegacyChatSource {
    let store: MongoTicketStore
    public let collection: String

    public init(store: MongoTicketStore, collection: String) {
        self.store = store
        self.collection = collection
    }

    /// Reads a legacy collection a page at a time (oldest first). Documents that lack a field
    /// are returned as skips, not errors.
    public func readMessages(pageSize: Int = 1_000) async throws -> (messages: [LegacyMessage], unreadable: [LegacyImportReport.Skip]) {
        var messages: [LegacyMessage] = []
        var skips: [LegacyImportReport.Skip] = []
        var page = 0
        while true {
            let skip = page * pageSize
            let batch = try await store.job { job in
                try job.collection(collection).find([:], FindOptions(sort: [("created_at", 1), ("_id", 1)], skip: skip, limit: pageSize))
            }
            for document in batch {
                let id = Self.text(document["_id"]) ?? "?"
                guard let sender = Self.text(document["sender_id"]), let receiver = Self.text(document["receiver_id"]) else {
                    skips.append(.init(what: "message \(id)", reason: "no sender_id or receiver_id"))
                    continue
                }
                guard let content = document["content"]?.string, !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    skips.append(.init(what: "message \(id)", reason: "empty content"))
                    continue
                }
                guard let created = document["created_at"]?.date else {
                    skips.append(.init(what: "message \(id)", reason: "no readable created_at"))
                    continue
                }
                messages.append(LegacyMessage(id: id, senderId: sender, receiverId: receiver, content: content, createdAt: created))
            }
            if batch.count < pageSize { break }
            page += 1
        }
        return (messages, skips)
    }

    /// An id as text: a string, a number or an ObjectId.
    static func text(_ value: BSONValue?) -> String? {
        switch value {
        case .string(let text): text.isEmpty ? nil : text
        case .int32, .int64: value?.int.map(String.init)
        case .double(let number): String(number)
        case .objectId(let id): id.hex
        default: nil
        }
    }
}
