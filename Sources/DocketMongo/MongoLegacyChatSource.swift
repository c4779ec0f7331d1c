import DocketCore
import Foundation

/// The old chat's collection, read for `LegacyChatImport` (into either store).
public struct MongoLegacyChatSource: LegacyChatSource {
    let connection: MongoConnection
    public let database: String
    public let collection: String

    /// The collection in `database` (default: the URI's database) of `connection`.
    public init(connection: MongoConnection, database: String? = nil, collection: String) {
        self.connection = connection
        self.database = database ?? connection.databaseName
        self.collection = collection
    }

    public var name: String { "\(database).\(collection)" }

    /// The collection in the database of a Docket store on MongoDB.
    public init(store: MongoTicketStore, collection: String) {
        self.init(connection: store.connection, database: store.database, collection: collection)
    }

    /// Reads a legacy collection a page at a time (oldest first). Documents that lack a field
    /// are returned as skips, not errors.
    public func readMessages(pageSize: Int = 1_000) async throws -> (messages: [LegacyMessage], unreadable: [LegacyImportReport.Skip]) {
        var messages: [LegacyMessage] = []
        var skips: [LegacyImportReport.Skip] = []
        var page = 0
        while true {
            let skip = page * pageSize
            let batch: [BSONDoc]
            do {
                batch = try await connection.job(database: database) { [collection] job in
                    try job.collection(collection).find([:], FindOptions(sort: [("created_at", 1), ("_id", 1)], skip: skip, limit: pageSize))
                }
            } catch let error as MongoError {
                throw error.docketError
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
                // Read state where the old chat kept it (`is_read`, `read_at`); absent, the message counts as read.
                var isRead: Bool?
                if case .bool(let read)? = document["is_read"] { isRead = read }
                messages.append(LegacyMessage(
                    id: id, senderId: sender, receiverId: receiver, content: content, createdAt: created, isRead: isRead,
                    readAt: document["read_at"]?.date))
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
