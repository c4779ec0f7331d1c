import Foundation

/// Mails that could not be read (broken MIME, past a parsing limit), kept per tenant with the
/// reason until an admin accepts or discards each.
public protocol QuarantineStore: Sendable {
    func insertQuarantined(_ mail: QuarantinedMail) async throws
    /// The tenant's quarantined mails, newest first, without their bytes (`raw` nil).
    func quarantined(tenantId: String, limit: Int) async throws -> [QuarantinedMail]
    func countQuarantined(tenantId: String) async throws -> Int
    /// One of them, with its bytes.
    func quarantinedMail(tenantId: String, id: String) async throws -> QuarantinedMail?
    /// False when there was none.
    func deleteQuarantined(tenantId: String, id: String) async throws -> Bool
}
