import DocketCore
import Foundation

extension MongoTicketStore {
    public func mailOutlet(tenantId: String) async throws -> MailOutlet? {
        try await job { job in
            try job.collection(Collections.mailOutlets).findOne(["_id": tenantId]).map { try Self.decode(MailOutlet.self, $0) }
        }
    }

    public func saveMailOutlet(_ outlet: MailOutlet, expectedVersion: Int?) async throws -> Bool {
        try await saveVersioned(try Self.document(outlet, id: outlet.tenantId), id: outlet.tenantId, in: Collections.mailOutlets, expectedVersion: expectedVersion)
    }

    /// Inserts `doc` when `expectedVersion` is nil (false if it exists), else replaces the stored
    /// one if its version is `expectedVersion`: one conditional write, the version read is the
    /// version replaced.
    func saveVersioned(_ doc: BSONDoc, id: String, in collection: String, expectedVersion: Int?) async throws -> Bool {
        try await job { job in
            let documents = try job.collection(collection)
            guard let expectedVersion else {
                do {
                    try documents.insertOne(doc)
                    return true
                } catch let error as MongoError where error.kind == .duplicateKey {
                    return false
                }
            }
            return try documents.replaceOne(["_id": id, "version": expectedVersion], doc) == 1
        }
    }

    public func insertQuarantined(_ mail: QuarantinedMail) async throws {
        let doc = try Self.document(mail, id: Self.key(mail.tenantId, mail.id))
        try await job { [doc] job in try job.collection(Collections.quarantine).insertOne(doc) }
    }

    public func quarantined(tenantId: String, limit: Int) async throws -> [QuarantinedMail] {
        try await job { job in
            try job.collection(Collections.quarantine)
                .find(["tenantId": tenantId], FindOptions(sort: [("receivedAt", -1), ("_id", -1)], limit: limit, projection: [("raw", 0)]))
                .map { try Self.decode(QuarantinedMail.self, $0) }
        }
    }

    public func countQuarantined(tenantId: String) async throws -> Int {
        try await job { job in try job.collection(Collections.quarantine).count(["tenantId": tenantId]) }
    }

    public func quarantinedMail(tenantId: String, id: String) async throws -> QuarantinedMail? {
        try await job { job in
            try job.collection(Collections.quarantine).findOne(["_id": Self.key(tenantId, id)]).map { try Self.decode(QuarantinedMail.self, $0) }
        }
    }

    public func deleteQuarantined(tenantId: String, id: String) async throws -> Bool {
        try await job { job in try job.collection(Collections.quarantine).deleteMany(["_id": Self.key(tenantId, id)]) == 1 }
    }
}

extension MongoTicketStore {
    public func mailboxState(tenantId: String, mailboxId: String) async throws -> MailboxState? {
        try await job { job in
            try job.collection(Collections.mailboxStates).findOne(["_id": Self.key(tenantId, mailboxId)]).map { try Self.decode(MailboxState.self, $0) }
        }
    }

    public func saveMailboxState(_ state: MailboxState, expectedVersion: Int?) async throws -> Bool {
        let id = Self.key(state.tenantId, state.mailboxId)
        return try await saveVersioned(try Self.document(state, id: id), id: id, in: Collections.mailboxStates, expectedVersion: expectedVersion)
    }
}

/// Files: the record with its bytes as base64 in one document (a file is at most
/// `StoredFile.maxBytes`, well inside MongoDB's 16 MB document).
extension MongoTicketStore {
    @discardableResult
    /// The bytes are reserved in the tenant's `file_usage` record (made on first use from the
    /// files already stored) before the file is inserted, and given back when it was there
    /// already: two instances storing at once cannot both pass the quota. A crash between the
    /// two leaves the count high by one file, never low.
    public func insertFile(_ file: StoredFile, quotaBytes: Int) async throws -> FileInsert {
        var record = file
        record.data = nil
        var doc = try Self.document(record, id: Self.key(file.tenantId, file.id))
        let size = file.data?.count ?? 0
        doc["bytes"] = .string((file.data ?? Data()).base64EncodedString())
        return try await job { [doc] job in
            let files = try job.collection(Collections.files)
            if try files.count(["_id": Self.key(file.tenantId, file.id)], limit: 1) > 0 { return .existing }
            let usage = try job.collection(Collections.fileUsage)
            try Self.startUsage(usage, files, tenantId: file.tenantId)
            guard try usage.updateOne(["_id": file.tenantId, "bytes": ["$lte": quotaBytes - size]], ["$inc": ["bytes": size]]) == 1 else {
                return .overQuota
            }
            do {
                try files.insertOne(doc)
                return .stored
            } catch let error as MongoError where error.kind == .duplicateKey {
                _ = try usage.updateOne(["_id": file.tenantId], ["$inc": ["bytes": -size]])
                return .existing
            }
        }
    }

    /// Makes the tenant's usage record, counting the files stored before there was one.
    static func startUsage(_ usage: MongoCollection, _ files: MongoCollection, tenantId: String) throws {
        guard try usage.count(["_id": tenantId], limit: 1) == 0 else { return }
        let held = try files.aggregate([
            ["$match": ["tenantId": tenantId]],
            ["$group": ["_id": NSNull(), "bytes": ["$sum": "$size"]]],
        ]).first?["bytes"]?.int ?? 0
        do {
            try usage.insertOne(["_id": tenantId, "bytes": held])
        } catch let error as MongoError where error.kind == .duplicateKey {
            // Another instance made it first.
        }
    }

    public func fileBytes(tenantId: String) async throws -> Int {
        try await job { job in
            try job.collection(Collections.fileUsage).findOne(["_id": tenantId])?["bytes"]?.int ?? 0
        }
    }

    public func file(tenantId: String, id: String) async throws -> StoredFile? {
        try await job { job in
            guard var doc = try job.collection(Collections.files).findOne(["_id": Self.key(tenantId, id)]) else { return nil }
            let bytes = doc["bytes"]?.string.flatMap { Data(base64Encoded: $0) }
            doc["bytes"] = nil
            var file = try Self.decode(StoredFile.self, doc)
            file.data = bytes ?? Data()
            return file
        }
    }
}
