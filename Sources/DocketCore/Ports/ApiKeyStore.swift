import Foundation

/// API keys for integrations (the assistant, bots).
public protocol ApiKeyStore: Sendable {
    /// Stores a new API key; `.conflict` if the id exists.
    func insertApiKey(_ key: ApiKey) async throws
    func apiKey(id: String) async throws -> ApiKey?
    func listApiKeys(tenantId: String) async throws -> [ApiKey]
    /// Marks the key revoked; false when the tenant has no such key or it is already revoked.
    func revokeApiKey(tenantId: String, id: String, by: String, at: Date) async throws -> Bool
}
