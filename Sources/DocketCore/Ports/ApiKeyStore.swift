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

/// The assistant's tool calls, done once each.
public protocol ToolCallStore: Sendable {
    /// Claims `callId` for the tenant: nil when this caller claimed it now (do the work, then
    /// `completeToolCall`), or the existing record (its output is nil while the first call runs).
    func claimToolCall(tenantId: String, callId: String, at: Date) async throws -> ToolCallRecord?
    func completeToolCall(tenantId: String, callId: String, output: String) async throws
}
