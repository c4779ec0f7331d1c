import Foundation

public struct NewApiKey: Codable, Sendable {
    public var name: String
    public var role: Role
}

extension TenantService {
    // MARK: - API keys

    public func createApiKey(_ principal: Principal, _ input: NewApiKey, id: String, secretHash: String, hint: String) async throws -> ApiKey {
        try Self.requireAdmin(principal)
        _ = try await tenant(for: principal)
        let name = try Check.text(input.name, field: "name", max: 100)
        guard ApiKey.allowedRoles.contains(input.role) else {
            throw DocketError.invalid("role", "API keys carry one of: \(ApiKey.allowedRoles.map(\.rawValue).joined(separator: ", "))")
        }
        let key = ApiKey(
            id: id, tenantId: principal.tenantId, name: name, role: input.role, secretHash: secretHash, hint: hint,
            createdBy: principal.subject, createdAt: clock.now())
        try await stores.apiKeys.insertApiKey(key)
        return key
    }

    public func apiKeys(_ principal: Principal) async throws -> [ApiKey] {
        try Self.requireAdmin(principal)
        return try await stores.apiKeys.listApiKeys(tenantId: principal.tenantId)
    }

    public func revokeApiKey(_ principal: Principal, id: String) async throws {
        try Self.requireAdmin(principal)
        guard try await stores.apiKeys.revokeApiKey(tenantId: principal.tenantId, id: id, by: principal.subject, at: clock.now()) else {
            throw DocketError.notFound("API key", id)
        }
    }

    /// The live key with this id (for the authentication middleware, which checks the secret).
    public func liveApiKey(id: String) async throws -> ApiKey? {
        guard let key = try await stores.apiKeys.apiKey(id: id), key.revokedAt == nil else { return nil }
        return key
    }
}
