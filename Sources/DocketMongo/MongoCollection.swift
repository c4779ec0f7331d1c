import CMongoc
import Foundation

/// The operations the store uses, on one collection, inside one blocking job. Filters,
/// updates and options are JSON-shaped dictionaries (dates via `ExtendedJSON.date`);
/// results come back as relaxed extended JSON for `ExtendedJSON.decoder()`.
struct MongoCollection {
    let pointer: OpaquePointer
    let client: OpaquePointer
    let database: String

    /// Runs a libmongoc call that fills `error` and a reply; throws the error when it fails.
    private func call(_ body: (OpaquePointer, UnsafeMutablePointer<bson_error_t>) -> Bool) throws -> [String: Any] {
        var error = bson_error_t()
        return try ReplyBuffer.with { reply in
            let ok = body(reply, &error)
            guard ok else { throw MongoError(error) }
            return (try? JSONSerialization.jsonObject(with: BSONDocument.json(of: reply)) as? [String: Any]) ?? [:]
        }
    }

    func insertOne(_ document: [String: Any]) throws {
        let doc = try BSONDocument(document)
        _ = try call { reply, error in mongoc_collection_insert_one(pointer, doc.pointer, nil, reply, error) }
    }

    func insertMany(_ documents: [[String: Any]]) throws {
        guard !documents.isEmpty else { return }
        let docs = try documents.map { try BSONDocument($0) }
        var pointers: [OpaquePointer?] = docs.map(\.pointer)
        _ = try pointers.withUnsafeMutableBufferPointer { buffer in
            try call { reply, error in
                mongoc_collection_insert_many(pointer, buffer.baseAddress, documents.count, nil, reply, error)
            }
        }
        withExtendedLifetime(docs) {}
    }

    /// Replaces the one document matching `filter`; returns how many matched (0 or 1).
    func replaceOne(_ filter: [String: Any], _ replacement: [String: Any], upsert: Bool = false) throws -> Int {
        let selector = try BSONDocument(filter), doc = try BSONDocument(replacement)
        let opts = upsert ? try BSONDocument(["upsert": true]) : nil
        let reply = try call { reply, error in
            mongoc_collection_replace_one(pointer, selector.pointer, doc.pointer, opts?.pointer, reply, error)
        }
        return (reply["matchedCount"] as? Int) ?? 0
    }

    /// Applies `update` to the first document matching `filter`; returns how many matched.
    @discardableResult
    func updateOne(_ filter: [String: Any], _ update: [String: Any], upsert: Bool = false) throws -> Int {
        let selector = try BSONDocument(filter), doc = try BSONDocument(update)
        let opts = upsert ? try BSONDocument(["upsert": true]) : nil
        let reply = try call { reply, error in
            mongoc_collection_update_one(pointer, selector.pointer, doc.pointer, opts?.pointer, reply, error)
        }
        return ((reply["matchedCount"] as? Int) ?? 0) + ((reply["upsertedCount"] as? Int) ?? 0)
    }

    /// Adds `count` to the counter document `id` (created ahead of the increment: a fresh
    /// upsert-$inc can answer null to concurrent callers) and returns its new value; a null
    /// answer is an error, never zero.
    func increment(counter id: String, by count: Int) throws -> Int {
        try updateOne(["_id": id], ["$setOnInsert": ["value": 0]], upsert: true)
        guard let data = try findOneAndUpdate(["_id": id], ["$inc": ["value": count]]),
            let value = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["value"] as? Int
        else { throw MongoError(kind: .other, code: 0, message: "counter \(id) returned no value") }
        return value
    }

    /// Applies `update` to every document matching `filter`; returns how many changed.
    @discardableResult
    func updateMany(_ filter: [String: Any], _ update: [String: Any]) throws -> Int {
        let selector = try BSONDocument(filter), doc = try BSONDocument(update)
        let reply = try call { reply, error in
            mongoc_collection_update_many(pointer, selector.pointer, doc.pointer, nil, reply, error)
        }
        return (reply["modifiedCount"] as? Int) ?? 0
    }

    @discardableResult
    func deleteMany(_ filter: [String: Any]) throws -> Int {
        let selector = try BSONDocument(filter)
        let reply = try call { reply, error in mongoc_collection_delete_many(pointer, selector.pointer, nil, reply, error) }
        return (reply["deletedCount"] as? Int) ?? 0
    }

    /// findAndModify returning the document after the update (nil when nothing matched).
    func findOneAndUpdate(_ filter: [String: Any], _ update: [String: Any], upsert: Bool = false) throws -> Data? {
        let query = try BSONDocument(filter), change = try BSONDocument(update)
        guard let opts = mongoc_find_and_modify_opts_new() else { throw MongoError(kind: .other, code: 0, message: "no memory") }
        defer { mongoc_find_and_modify_opts_destroy(opts) }
        mongoc_find_and_modify_opts_set_update(opts, change.pointer)
        var flags = MONGOC_FIND_AND_MODIFY_RETURN_NEW.rawValue
        if upsert { flags |= MONGOC_FIND_AND_MODIFY_UPSERT.rawValue }
        mongoc_find_and_modify_opts_set_flags(opts, mongoc_find_and_modify_flags_t(rawValue: flags))
        var error = bson_error_t()
        return try ReplyBuffer.with { reply -> Data? in
            guard mongoc_collection_find_and_modify_with_opts(pointer, query.pointer, opts, reply, &error) else { throw MongoError(error) }
            let object = try JSONSerialization.jsonObject(with: BSONDocument.json(of: reply)) as? [String: Any]
            guard let value = object?["value"], !(value is NSNull) else { return nil }
            return try JSONSerialization.data(withJSONObject: value)
        }
    }

    /// One page of documents as extended JSON, the cursor closed before returning.
    func find(_ filter: [String: Any], sort: [(String, Int)] = [], skip: Int = 0, limit: Int = 0, projection: [String: Any]? = nil) throws -> [Data] {
        let query = try BSONDocument(filter)
        // Sort keys keep their order: build the options document as JSON text.
        var optionParts: [String] = []
        if !sort.isEmpty {
            optionParts.append("\"sort\": {" + sort.map { "\(Self.quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}")
        }
        if skip > 0 { optionParts.append("\"skip\": {\"$numberLong\": \"\(skip)\"}") }
        if limit > 0 { optionParts.append("\"limit\": {\"$numberLong\": \"\(limit)\"}") }
        if let projection {
            let data = try JSONSerialization.data(withJSONObject: projection)
            optionParts.append("\"projection\": " + String(decoding: data, as: UTF8.self))
        }
        let opts = try BSONDocument(json: Data(("{" + optionParts.joined(separator: ", ") + "}").utf8))
        guard let cursor = mongoc_collection_find_with_opts(pointer, query.pointer, opts.pointer, nil) else {
            throw MongoError(kind: .other, code: 0, message: "find returned no cursor")
        }
        return try drain(cursor)
    }

    func findOne(_ filter: [String: Any]) throws -> Data? { try find(filter, limit: 1).first }

    /// Runs an aggregation pipeline (a list of stages) and returns every result document.
    func aggregate(_ stages: [[String: Any]]) throws -> [Data] {
        let pipeline = try BSONDocument(["pipeline": stages])
        guard let cursor = mongoc_collection_aggregate(pointer, MONGOC_QUERY_NONE, pipeline.pointer, nil, nil) else {
            throw MongoError(kind: .other, code: 0, message: "aggregate returned no cursor")
        }
        return try drain(cursor)
    }

    func count(_ filter: [String: Any], limit: Int? = nil) throws -> Int {
        let query = try BSONDocument(filter)
        let opts = try limit.map { try BSONDocument(["limit": $0]) }
        var error = bson_error_t()
        let result = mongoc_collection_count_documents(pointer, query.pointer, opts?.pointer, nil, nil, &error)
        guard result >= 0 else { throw MongoError(error) }
        return Int(result)
    }

    private func drain(_ cursor: OpaquePointer) throws -> [Data] {
        defer { mongoc_cursor_destroy(cursor) }
        var out: [Data] = []
        var document: OpaquePointer?
        while mongoc_cursor_next(cursor, &document) {
            if let document { out.append(BSONDocument.json(of: document)) }
        }
        var error = bson_error_t()
        if mongoc_cursor_error(cursor, &error) { throw MongoError(error) }
        return out
    }

    /// `createIndexes` for this collection; creating an existing index is a no-op. Keys are
    /// written in order (a JSON object from a dictionary would lose it).
    func createIndexes(_ collection: String, _ indexes: [IndexSpec]) throws {
        let specs = try indexes.map { index -> String in
            var parts = [
                "\"name\": \(Self.quote(index.name))",
                "\"key\": {" + index.keys.map { "\(Self.quote($0.0)): \($0.1.json)" }.joined(separator: ", ") + "}",
            ]
            if index.unique { parts.append("\"unique\": true") }
            if let partial = index.partialFilter {
                parts.append("\"partialFilterExpression\": " + String(decoding: try JSONSerialization.data(withJSONObject: partial), as: UTF8.self))
            }
            if let language = index.defaultLanguage { parts.append("\"default_language\": \(Self.quote(language))") }
            return "{" + parts.joined(separator: ", ") + "}"
        }
        let text = "{\"createIndexes\": \(Self.quote(collection)), \"indexes\": [" + specs.joined(separator: ", ") + "]}"
        let command = try BSONDocument(json: Data(text.utf8))
        _ = try call { reply, error in
            mongoc_client_write_command_with_opts(client, database, command.pointer, nil, reply, error)
        }
    }

    static func quote(_ key: String) -> String {
        "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// An index to create: ordered keys, uniqueness, an optional partial filter.
struct IndexSpec: Sendable {
    enum Direction: Sendable {
        case ascending, descending, text

        var json: String {
            switch self {
            case .ascending: "1"
            case .descending: "-1"
            case .text: "\"text\""
            }
        }
    }

    var name: String
    var keys: [(String, Direction)]
    var unique = false
    nonisolated(unsafe) var partialFilter: [String: Any]? = nil
    var defaultLanguage: String? = nil
}
