import DocketCore
import Foundation

extension MemoryTicketStore {
    public func insertQuarantined(_ mail: QuarantinedMail) async throws {
        try state.withLock { state in
            guard state.quarantine[mail.tenantId]?[mail.id] == nil else { throw DocketError(.conflict, "quarantined mail '\(mail.id)' exists") }
            state.quarantine[mail.tenantId, default: [:]][mail.id] = mail
        }
    }

    public func quarantined(tenantId: String, limit: Int) async throws -> [QuarantinedMail] {
        state.withLock { state in
            (state.quarantine[tenantId]?.values ?? [:].values)
                .sorted { ($0.receivedAt, $0.id) > ($1.receivedAt, $1.id) }
                .prefix(limit)
                .map { mail in
                    var listed = mail
                    listed.raw = nil
                    return listed
                }
        }
    }

    public func countQuarantined(tenantId: String) async throws -> Int {
        state.withLock { $0.quarantine[tenantId]?.count ?? 0 }
    }

    public func quarantinedMail(tenantId: String, id: String) async throws -> QuarantinedMail? {
        state.withLock { $0.quarantine[tenantId]?[id] }
    }

    public func deleteQuarantined(tenantId: String, id: String) async throws -> Bool {
        state.withLock { $0.quarantine[tenantId]?.removeValue(forKey: id) != nil }
    }
}

extension MemoryTicketStore {
    @discardableResult
    public func insertFile(_ file: StoredFile, quotaBytes: Int) async throws -> FileInsert {
        state.withLock { state in
            let key = file.tenantId + "/" + file.id
            guard state.files[key] == nil else { return .existing }
            let held = state.files.values.filter { $0.tenantId == file.tenantId }.reduce(0) { $0 + ($1.data?.count ?? 0) }
            guard held + (file.data?.count ?? 0) <= quotaBytes else { return .overQuota }
            state.files[key] = file
            return .stored
        }
    }

    public func fileBytes(tenantId: String) async throws -> Int {
        state.withLock { state in state.files.values.filter { $0.tenantId == tenantId }.reduce(0) { $0 + ($1.data?.count ?? 0) } }
    }

    public func file(tenantId: String, id: String) async throws -> StoredFile? {
        state.withLock { $0.files[tenantId + "/" + id] }
    }
}
