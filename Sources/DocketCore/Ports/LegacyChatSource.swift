import Foundation

/// Reads the old 1-1 chat's messages (`{sender_id, receiver_id, content, created_at}`) for
/// `LegacyChatImport`, oldest first. Messages that lack a field come back as skips, not errors.
public protocol LegacyChatSource: Sendable {
    /// Where it reads, for the report: `database.collection`.
    var name: String { get }
    func readMessages(pageSize: Int) async throws -> (messages: [LegacyMessage], unreadable: [LegacyImportReport.Skip])
}
