import Foundation

/// A person who signs in to the console with an e-mail and a password: a tenant's agent or
/// admin. The account names the agent record it acts as (`agentId`); its password exists only
/// once the person chose it (through `docket user create` or a one-time link).
public struct Account: Codable, Sendable, Equatable {
    public var tenantId: String
    /// Lower-cased; unique per tenant.
    public var email: String
    public var agentId: String
    /// `admin` or `agent`.
    public var role: Role
    /// bcrypt; nil until the person chose a password.
    public var passwordHash: String?
    public var disabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        tenantId: String, email: String, agentId: String, role: Role, passwordHash: String?, disabled: Bool = false,
        createdAt: Date, updatedAt: Date
    ) {
        self.tenantId = tenantId
        self.email = email
        self.agentId = agentId
        self.role = role
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A signed-in browser: the cookie's token names it, and ending it (logout, a password change)
/// makes every token that names it worthless at once.
public struct Session: Codable, Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var role: Role
    public var subject: String
    public var createdAt: Date
    /// The latest renewal; a session not renewed within the idle limit is over.
    public var renewedAt: Date
    public var endedAt: Date?

    public init(id: String, tenantId: String, role: Role, subject: String, createdAt: Date, renewedAt: Date, endedAt: Date? = nil) {
        self.id = id
        self.tenantId = tenantId
        self.role = role
        self.subject = subject
        self.createdAt = createdAt
        self.renewedAt = renewedAt
        self.endedAt = endedAt
    }
}

/// A one-time link that lets a person choose a password: an invitation for a new agent, or a
/// reset an admin started. Stored by the hash of its secret, never the secret.
public struct PasswordLink: Codable, Sendable, Equatable {
    public enum Purpose: String, Codable, Sendable { case invite, reset }

    /// The SHA-256 (hex) of the link's secret.
    public var id: String
    public var tenantId: String
    public var email: String
    public var agentId: String
    public var role: Role
    public var purpose: Purpose
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    public init(
        id: String, tenantId: String, email: String, agentId: String, role: Role, purpose: Purpose, createdBy: String,
        createdAt: Date, expiresAt: Date, usedAt: Date? = nil
    ) {
        self.id = id
        self.tenantId = tenantId
        self.email = email
        self.agentId = agentId
        self.role = role
        self.purpose = purpose
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}
