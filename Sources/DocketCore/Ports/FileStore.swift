import Foundation

/// What became of a file given to the store.
public enum FileInsert: Sendable, Equatable {
    /// Stored now.
    case stored
    /// A file was stored under this id before (a mail delivered again): it is left as it is.
    case existing
    /// Not stored: with it, the tenant's files would pass the quota.
    case overQuota
}

/// Files customers sent (a mail's attachments), kept whole and scoped by tenant, within a quota
/// of bytes per tenant.
public protocol FileStore: Sendable {
    /// Stores `file` (with its `data`) unless the tenant's files would then hold more than
    /// `quotaBytes`; a file already stored under the same id is left as it is. The bytes a
    /// tenant's files hold are counted as they are stored, in the store.
    func insertFile(_ file: StoredFile, quotaBytes: Int) async throws -> FileInsert
    /// The file with its bytes, or nil.
    func file(tenantId: String, id: String) async throws -> StoredFile?
    /// The bytes the tenant's files hold.
    func fileBytes(tenantId: String) async throws -> Int
}
