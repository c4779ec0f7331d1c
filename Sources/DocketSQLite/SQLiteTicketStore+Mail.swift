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
}
