import DocketCore
import Foundation

extension MongoTicketStore {
    public func mailOutlet(tenantId: String) async throws -> MailOutlet? {
        try await job { job in
            try job.collection(Collections.mailOutlets).findOne(["_id": tenantId]).map { try Self.decode(MailOutlet.self, $0) }
        }
    }

    public func saveMailOutlet(_ outlet: MailOutlet, expectedVersion: Int?) async throws -> Bool {
        let doc = try Self.document(outlet, id: outlet.tenantId)
        return try await job { [doc] job in
            let outlets = try job.collection(Collections.mailOutlets)
            guard let expectedVersion else {
                do {
                    try outlets.insertOne(doc)
                    return true
                } catch let error as MongoError where error.kind == .duplicateKey {
                    return false
                }
            }
            // One conditional write: the version read is the version replaced.
            return try outlets.replaceOne(["_id": outlet.tenantId, "version": expectedVersion], doc) == 1
        }
    }
}
