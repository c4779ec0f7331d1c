import CMongoc
import Foundation

/// Options of a `find`: typed, appended into the options document in order (a sort's keys
/// are ordered; a JSON object built from a dictionary would lose that).
struct FindOptions {
    var sort: [(String, Int)] = []
    var skip = 0
    var limit = 0
    /// Fields to include (1) or leave out (0).
    var projection: [(String, Int)] = []

    var document: BSONDoc {
        var options = BSONDoc()
        if !sort.isEmpty { options["sort"] = .document(BSONDoc(sort.map { ($0.0, .integer($0.1)) })) }
        if skip > 0 { options["skip"] = .int64(Int64(skip)) }
        if limit > 0 { options["limit"] = .int64(Int64(limit)) }
        if !projection.isEmpty { options["projection"] = .document(BSONDoc(projection.map { ($0.0, .integer($0.1)) })) }
        return options
    }
}

/// The operations the store uses, on one collection, inside one blocking job. Documents are
/// `BSONDoc`s (from `BSONEncoder`, or `[String: Any]` filters and updates converted field by
/// field); every one goes into libbson through its append API and comes back through its
/// iterator — no JSON on the way.
struct MongoCollection {
    let pointer: OpaquePointer
    let client: OpaquePointer
    let database: String
    /// The transaction's session the operations run in (`MongoJob.transaction`), if any.
    var session: OpaquePointer? = nil

    /// `base` as an options document, with the session appended when there is one.
    private func options(_ base: BSONDoc) throws -> BSONDocument? {
        guard let session else { return base.isEmpty ? nil : try BSONDocument(base) }
        let options = try BSONDocument(base)
        var error = bson_error_t()
        guard mongoc_client_session_append(session, options.pointer, &error) else { throw MongoError(error) }
        return options
    }

    /// Runs a libmongoc call that fills `error` and a reply; throws the error when it fails.
    private func call(_ body: (OpaquePointer, UnsafeMutablePointer<bson_error_t>) -> Bool) throws -> BSONDoc {
        var error = bson_error_t()
        return try ReplyBuffer.with { reply in
            let ok = body(reply, &error)
            guard ok else { throw MongoError(error) }
            return (try? BSONDocument.read(reply)) ?? BSONDoc()
        }
    }

    func insertOne(_ document: BSONDoc) throws {
        let doc = try BSONDocument(document), opts = try options(BSONDoc())
        _ = try call { reply, error in mongoc_collection_insert_one(pointer, doc.pointer, opts?.pointer, reply, error) }
    }

    func insertOne(_ document: [String: Any]) throws { try insertOne(BSONDoc(any: document)) }

    func insertMany(_ documents: [[String: Any]]) throws { try insertMany(documents.map { try BSONDoc(any: $0) }) }

    func insertMany(_ documents: [BSONDoc]) throws {
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
    func replaceOne(_ filter: [String: Any], _ replacement: BSONDoc, upsert: Bool = false) throws -> Int {
        let selector = try BSONDocument(filter), doc = try BSONDocument(replacement)
        let opts = upsert ? try BSONDocument(["upsert": BSONValue.bool(true)] as BSONDoc) : nil
        let reply = try call { reply, error in
            mongoc_collection_replace_one(pointer, selector.pointer, doc.pointer, opts?.pointer, reply, error)
        }
        return reply["matchedCount"]?.int ?? 0
    }

    /// Applies `update` to the first document matching `filter`; returns how many matched.
    @discardableResult
    func updateOne(_ filter: [String: Any], _ update: [String: Any], upsert: Bool = false) throws -> Int {
        let selector = try BSONDocument(filter), doc = try BSONDocument(update)
        let opts = try options(upsert ? ["upsert": BSONValue.bool(true)] as BSONDoc : BSONDoc())
        let reply = try call { reply, error in
            mongoc_collection_update_one(pointer, selector.pointer, doc.pointer, opts?.pointer, reply, error)
        }
        return (reply["matchedCount"]?.int ?? 0) + (reply["upsertedCount"]?.int ?? 0)
    }

    /// Adds `count` to the counter document `id` (created ahead of the increment: a fresh
    /// upsert-$inc can answer null to concurrent callers) and returns its new value; a null
    /// answer is an error, never zero.
    func increment(counter id: String, by count: Int) throws -> Int {
        try updateOne(["_id": id], ["$setOnInsert": ["value": 0]], upsert: true)
        guard let value = try findOneAndUpdate(["_id": id], ["$inc": ["value": count]])?["value"]?.int else {
            throw MongoError(kind: .other, code: 0, message: "counter \(id) returned no value")
        }
        return value
    }

    /// Applies `update` to every document matching `filter`; returns how many changed.
    @discardableResult
    func updateMany(_ filter: [String: Any], _ update: [String: Any]) throws -> Int {
        let selector = try BSONDocument(filter), doc = try BSONDocument(update)
        let reply = try call { reply, error in
            mongoc_collection_update_many(pointer, selector.pointer, doc.pointer, nil, reply, error)
        }
        return reply["modifiedCount"]?.int ?? 0
    }

    @discardableResult
    func deleteMany(_ filter: [String: Any]) throws -> Int {
        let selector = try BSONDocument(filter), opts = try options(BSONDoc())
        let reply = try call { reply, error in mongoc_collection_delete_many(pointer, selector.pointer, opts?.pointer, reply, error) }
        return reply["deletedCount"]?.int ?? 0
    }

    /// findAndModify returning the document after the update (nil when nothing matched).
    func findOneAndUpdate(_ filter: [String: Any], _ update: [String: Any], upsert: Bool = false) throws -> BSONDoc? {
        let query = try BSONDocument(filter), change = try BSONDocument(update)
        guard let opts = mongoc_find_and_modify_opts_new() else { throw MongoError(kind: .other, code: 0, message: "no memory") }
        defer { mongoc_find_and_modify_opts_destroy(opts) }
        mongoc_find_and_modify_opts_set_update(opts, change.pointer)
        var flags = MONGOC_FIND_AND_MODIFY_RETURN_NEW.rawValue
        if upsert { flags |= MONGOC_FIND_AND_MODIFY_UPSERT.rawValue }
        mongoc_find_and_modify_opts_set_flags(opts, mongoc_find_and_modify_flags_t(rawValue: flags))
        var error = bson_error_t()
        return try ReplyBuffer.with { reply -> BSONDoc? in
            guard mongoc_collection_find_and_modify_with_opts(pointer, query.pointer, opts, reply, &error) else { throw MongoError(error) }
            return try BSONDocument.read(reply)["value"]?.document
        }
    }

    /// One page of documents, the cursor closed before returning.
    func find(_ filter: [String: Any], _ options: FindOptions = FindOptions()) throws -> [BSONDoc] {
        let query = try BSONDocument(filter), opts = try self.options(options.document) ?? BSONDocument(BSONDoc())
        guard let cursor = mongoc_collection_find_with_opts(pointer, query.pointer, opts.pointer, nil) else {
            throw MongoError(kind: .other, code: 0, message: "find returned no cursor")
        }
        return try drain(cursor)
    }

    func findOne(_ filter: [String: Any]) throws -> BSONDoc? { try find(filter, FindOptions(limit: 1)).first }

    /// Runs an aggregation pipeline (a list of stages) and returns every result document.
    func aggregate(_ stages: [[String: Any]]) throws -> [BSONDoc] {
        let pipeline = try BSONDocument(BSONDoc([("pipeline", .array(try stages.map { try BSONValue(any: $0) }))]))
        guard let cursor = mongoc_collection_aggregate(pointer, MONGOC_QUERY_NONE, pipeline.pointer, nil, nil) else {
            throw MongoError(kind: .other, code: 0, message: "aggregate returned no cursor")
        }
        return try drain(cursor)
    }

    func count(_ filter: [String: Any], limit: Int? = nil) throws -> Int {
        let query = try BSONDocument(filter)
        let opts = try limit.map { try BSONDocument(BSONDoc([("limit", .int64(Int64($0)))])) }
        var error = bson_error_t()
        let result = mongoc_collection_count_documents(pointer, query.pointer, opts?.pointer, nil, nil, &error)
        guard result >= 0 else { throw MongoError(error) }
        return Int(result)
    }

    private func drain(_ cursor: OpaquePointer) throws -> [BSONDoc] {
        defer { mongoc_cursor_destroy(cursor) }
        var out: [BSONDoc] = []
        var document: OpaquePointer?
        while mongoc_cursor_next(cursor, &document) {
            if let document { out.append(try BSONDocument.read(document)) }
        }
        var error = bson_error_t()
        if mongoc_cursor_error(cursor, &error) { throw MongoError(error) }
        return out
    }

    /// `createIndexes` for this collection; creating an existing index is a no-op.
    func createIndexes(_ collection: String, _ indexes: [IndexSpec]) throws {
        let specs: [BSONValue] = indexes.map { index in
            var spec = BSONDoc([("name", .string(index.name)), ("key", .document(BSONDoc(index.keys.map { ($0.0, $0.1.bson) })))])
            if index.unique { spec["unique"] = .bool(true) }
            if let partial = index.partialFilter { spec["partialFilterExpression"] = .document(partial) }
            if let language = index.defaultLanguage { spec["default_language"] = .string(language) }
            return .document(spec)
        }
        let command = try BSONDocument(BSONDoc([("createIndexes", .string(collection)), ("indexes", .array(specs))]))
        _ = try call { reply, error in
            mongoc_client_write_command_with_opts(client, database, command.pointer, nil, reply, error)
        }
    }
}

/// An index to create: ordered keys, uniqueness, an optional partial filter.
struct IndexSpec: Sendable {
    enum Direction: Sendable {
        case ascending, descending, text

        var bson: BSONValue {
            switch self {
            case .ascending: .int32(1)
            case .descending: .int32(-1)
            case .text: .string("text")
            }
        }
    }

    var name: String
    var keys: [(String, Direction)]
    var unique = false
    var partialFilter: BSONDoc? = nil
    var defaultLanguage: String? = nil
}
