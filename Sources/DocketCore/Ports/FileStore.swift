import Foundation

/// Files customers sent (a mail's attachments), kept whole and scoped by tenant.
public protocol FileStore: Sendable {
    /// Stores `file` (with its `data`); a file already stored under the same id is left as it
    /// is (a mail delivered again stores its files once). Answers whether it was new.
    @discardableResult
    func insertFile(_ file: StoredFile) async throws -> Bool
    /// The file with its bytes, or nil.
    func file(tenantId: String, id: String) async throws -> StoredFile?
}
