import DocketCore
import Foundation
import GRDB

extension SQLiteTicketStore {
    public func mailOutlet(tenantId: String) async throws -> MailOutlet? {
        let codec = codec
        return try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM mail_outlets WHERE tenant_id = ?"), arguments: [tenantId])
                .map { try codec.decode(MailOutlet.self, $0) }
        }
    }

    public func saveMailOutlet(_ outlet: MailOutlet, expectedVersion: Int?) async throws -> Bool {
        let doc = try codec.encode(outlet)
        return try await write { db in
            if let expectedVersion {
                try db.cachedStatement(sql: "UPDATE mail_outlets SET version = ?, doc = ? WHERE tenant_id = ? AND version = ?")
                    .execute(arguments: [outlet.version, doc, outlet.tenantId, expectedVersion])
            } else {
                try db.cachedStatement(sql: "INSERT INTO mail_outlets (tenant_id, version, doc) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                    .execute(arguments: [outlet.tenantId, outlet.version, doc])
            }
            return db.changesCount == 1
        }
    }

    public func insertQuarantined(_ mail: QuarantinedMail) async throws {
        var record = mail
        record.raw = nil
        let doc = try codec.encode(record)
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO mail_quarantine (tenant_id, id, received_at, doc, raw) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [mail.tenantId, mail.id, mail.receivedAt.millis, doc, mail.raw])
        }
    }

    public func quarantined(tenantId: String, limit: Int) async throws -> [QuarantinedMail] {
        let codec = codec
        return try await read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT doc FROM mail_quarantine WHERE tenant_id = ? ORDER BY received_at DESC, id DESC LIMIT ?"),
                arguments: [tenantId, limit]
            ).map { try codec.decode(QuarantinedMail.self, $0) }
        }
    }

    public func countQuarantined(tenantId: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM mail_quarantine WHERE tenant_id = ?"), arguments: [tenantId]) ?? 0
        }
    }

    public func quarantinedMail(tenantId: String, id: String) async throws -> QuarantinedMail? {
        let codec = codec
        return try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT doc, raw FROM mail_quarantine WHERE tenant_id = ? AND id = ?"), arguments: [tenantId, id])
                .map { row in
                    var mail = try codec.decode(QuarantinedMail.self, row["doc"] as String)
                    mail.raw = row["raw"]
                    return mail
                }
        }
    }

    public func deleteQuarantined(tenantId: String, id: String) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM mail_quarantine WHERE tenant_id = ? AND id = ?").execute(arguments: [tenantId, id])
            return db.changesCount == 1
        }
    }
}

extension SQLiteTicketStore {
    public func mailboxState(tenantId: String, mailboxId: String) async throws -> MailboxState? {
        let codec = codec
        return try await read { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT doc FROM mailbox_states WHERE tenant_id = ? AND mailbox_id = ?"), arguments: [tenantId, mailboxId]
            ).map { try codec.decode(MailboxState.self, $0) }
        }
    }

    public func saveMailboxState(_ state: MailboxState, expectedVersion: Int?) async throws -> Bool {
        let doc = try codec.encode(state)
        return try await write { db in
            if let expectedVersion {
                try db.cachedStatement(sql: "UPDATE mailbox_states SET version = ?, doc = ? WHERE tenant_id = ? AND mailbox_id = ? AND version = ?")
                    .execute(arguments: [state.version, doc, state.tenantId, state.mailboxId, expectedVersion])
            } else {
                try db.cachedStatement(sql: "INSERT INTO mailbox_states (tenant_id, mailbox_id, version, doc) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
                    .execute(arguments: [state.tenantId, state.mailboxId, state.version, doc])
            }
            return db.changesCount == 1
        }
    }
}

extension SQLiteTicketStore {
    @discardableResult
    public func insertFile(_ file: StoredFile, quotaBytes: Int) async throws -> FileInsert {
        var record = file
        record.data = nil
        let doc = try codec.encode(record)
        let bytes = file.data ?? Data()
        return try await write { db in
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM files WHERE tenant_id = ? AND id = ?"), arguments: [file.tenantId, file.id]) == true {
                return .existing
            }
            let held = try Int.fetchOne(db.cachedStatement(sql: "SELECT bytes FROM file_usage WHERE tenant_id = ?"), arguments: [file.tenantId]) ?? 0
            guard held + bytes.count <= quotaBytes else { return .overQuota }
            try db.cachedStatement(sql: "INSERT INTO files (tenant_id, id, doc, data) VALUES (?, ?, ?, ?)")
                .execute(arguments: [file.tenantId, file.id, doc, bytes])
            try db.cachedStatement(sql: """
                INSERT INTO file_usage (tenant_id, bytes) VALUES (?, ?)
                ON CONFLICT (tenant_id) DO UPDATE SET bytes = bytes + excluded.bytes
                """).execute(arguments: [file.tenantId, bytes.count])
            return .stored
        }
    }

    public func fileBytes(tenantId: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT bytes FROM file_usage WHERE tenant_id = ?"), arguments: [tenantId]) ?? 0
        }
    }

    public func file(tenantId: String, id: String) async throws -> StoredFile? {
        let codec = codec
        return try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT doc, data FROM files WHERE tenant_id = ? AND id = ?"), arguments: [tenantId, id])
            else { return nil }
            var file = try codec.decode(StoredFile.self, row["doc"] as String)
            file.data = row["data"] as Data?
            return file
        }
    }
}
