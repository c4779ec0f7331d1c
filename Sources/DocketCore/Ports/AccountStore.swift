import Foundation

/// Console sign-in: accounts with their password hashes, sessions, one-time password links
/// and the tenants' widget secrets.
public protocol AccountStore: Sendable {
    /// Inserts the account or replaces the one with the same tenant and e-mail.
    func saveAccount(_ account: Account) async throws
    func account(tenantId: String, email: String) async throws -> Account?
    /// The tenant's account acting as this agent, if any.
    func account(tenantId: String, agentId: String) async throws -> Account?

    func insertSession(_ session: Session) async throws
    func session(id: String) async throws -> Session?
    /// Moves `renewedAt` forward; false when the session is unknown or ended.
    func renewSession(id: String, at: Date) async throws -> Bool
    /// Ends the session; false when it is unknown or already ended.
    func endSession(id: String, at: Date) async throws -> Bool
    /// Ends every live session of this subject in the tenant (a password change); how many.
    func endSessions(tenantId: String, subject: String, at: Date) async throws -> Int

    func insertPasswordLink(_ link: PasswordLink) async throws
    /// Marks the link used and answers it, atomically: only the first caller gets it, and only
    /// while it is unused and not expired at `at`.
    func consumePasswordLink(id: String, at: Date) async throws -> PasswordLink?

    /// The tenant's widget secret (signs its customers' chat tokens), nil if none was made.
    func widgetSecret(tenantId: String) async throws -> String?
    /// Sets (or replaces) the tenant's widget secret.
    func setWidgetSecret(tenantId: String, secret: String) async throws
}
