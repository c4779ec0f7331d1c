import DocketCore
import Foundation
import JWTKit

/// Claims of a Docket bearer token.
struct DocketClaims: JWTPayload {
    var sub: SubjectClaim
    /// Tenant id.
    var tid: String
    var role: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Issues and checks HS256 bearer tokens carrying tenant, role and subject.
public struct TokenAuthority: Sendable {
    let keys: JWTKeyCollection

    /// - Parameter secret: the HMAC key; at least 32 bytes.
    public init(secret: [UInt8]) async throws {
        guard secret.count >= 32 else { throw DocketError(.internalError, "the JWT secret must be at least 32 bytes") }
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    public func issue(_ principal: Principal, ttl: TimeInterval, now: Date = Date()) async throws -> String {
        let claims = DocketClaims(
            sub: .init(value: principal.subject), tid: principal.tenantId, role: principal.role.rawValue,
            iat: .init(value: now), exp: .init(value: now.addingTimeInterval(ttl)))
        return try await keys.sign(claims)
    }

    /// The principal a token proves, or `.unauthorized` saying why not.
    public func verify(_ token: String) async throws -> Principal {
        let claims: DocketClaims
        do {
            claims = try await keys.verify(token, as: DocketClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw DocketError(.unauthorized, "the bearer token has expired")
        } catch {
            throw DocketError(.unauthorized, "the bearer token is not valid")
        }
        guard let role = Role(rawValue: claims.role), !claims.tid.isEmpty, !claims.sub.value.isEmpty else {
            throw DocketError(.unauthorized, "the bearer token lacks tenant, role or subject")
        }
        guard role != .assistant else { throw DocketError(.unauthorized, "the assistant role signs in with an API key, not a token") }
        return Principal(tenantId: claims.tid, role: role, subject: claims.sub.value)
    }
}
