import Foundation

/// Where each tenant's mail out stands in its event log: the last event handled, who sends for
/// it now, the mail waiting to be tried again. Versioned: every change is conditional.
public protocol MailOutletStore: Sendable {
    func mailOutlet(tenantId: String) async throws -> MailOutlet?
    /// Stores `outlet` if the stored one's version is `expectedVersion` (nil: if there is none
    /// yet); false, writing nothing, otherwise.
    func saveMailOutlet(_ outlet: MailOutlet, expectedVersion: Int?) async throws -> Bool
}

/// Where each mailbox Docket fetches over IMAP stands: the folder's `UIDVALIDITY`, the last
/// message handed on, the lease of the instance fetching it, and what it did so far.
/// Versioned: every change is conditional.
public protocol MailboxStateStore: Sendable {
    func mailboxState(tenantId: String, mailboxId: String) async throws -> MailboxState?
    /// Stores `state` if the stored one's version is `expectedVersion` (nil: if there is none
    /// yet); false, writing nothing, otherwise.
    func saveMailboxState(_ state: MailboxState, expectedVersion: Int?) async throws -> Bool
}
