import Foundation

/// A tenant's key for an integration (an AI assistant, a script): scoped to one tenant and one
/// role. Only a hash of its secret is stored; the full key is shown once, at creation.
public struct ApiKey: Codable, Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var name: String
    public var role: Role
    /// SHA-256 of the secret part, hex.
    public var secretHash: String
    /// The first characters of the full key, to recognise it in lists.
    public var hint: String
    public var createdBy: String
    public var createdAt: Date
    public var revokedAt: Date?
    public var revokedBy: String?

    public init(id: String, tenantId: String, name: String, role: Role, secretHash: String, hint: String, createdBy: String, createdAt: Date) {
        self.id = id
        self.tenantId = tenantId
        self.name = name
        self.role = role
        self.secretHash = secretHash
        self.hint = hint
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// Roles a key may carry: integrations act as the assistant or as an agent, never as an admin.
    public static let allowedRoles: [Role] = [.assistant, .agent]
}

/// The result of one assistant tool call, kept so a repeated `tool_call_id` answers the same
/// without doing the work twice.
public struct ToolCallRecord: Codable, Sendable, Equatable {
    public var tenantId: String
    public var callId: String
    /// Nil while the first call is still running.
    public var output: String?
    public var createdAt: Date

    public init(tenantId: String, callId: String, output: String?, createdAt: Date) {
        self.tenantId = tenantId
        self.callId = callId
        self.output = output
        self.createdAt = createdAt
    }
}
