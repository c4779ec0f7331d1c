import DocketCore
import Foundation
import JWTKit
import Synchronization

/// Claims of a Docket bearer token.
struct DocketClaims: JWTPayload {
    var sub: SubjectClaim
    /// Tenant id.
    var tid: String
    var role: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    /// The console session the token belongs to (cookie and chat-page tokens); such a token is
    /// worth nothing once its session ended.
    var sid: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Issues and checks HS256 bearer tokens carrying tenant, role and subject.
public struct TokenAuthority: Sendable {
    let keys: JWTKeyCollection
    /// Tokens already verified, until they expire: a client sends the same token with every
    /// request, and its signature and claims need checking once.
    let verifiedTokens = VerifiedTokens()

    /// - Parameter secret: the HMAC key; at least 32 bytes.
    public init(secret: [UInt8]) async throws {
        guard secret.count >= 32 else { throw DocketError(.internalError, "the JWT secret must be at least 32 bytes") }
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    public func issue(_ principal: Principal, ttl: TimeInterval, now: Date = Date(), session: String? = nil) async throws -> String {
        let claims = DocketClaims(
            sub: .init(value: principal.subject), tid: principal.tenantId, role: principal.role.rawValue,
            iat: .init(value: now), exp: .init(value: now.addingTimeInterval(ttl)), sid: session)
        return try await keys.sign(claims)
    }

    /// What a verified token says.
    public struct Verified: Sendable {
        public var principal: Principal
        /// The console session it belongs to, if any.
        public var session: String?
        public var issuedAt: Date
        public var expiresAt: Date
    }

    /// The principal a token proves, or `.unauthorized` saying why not.
    public func verify(_ token: String) async throws -> Principal {
        try await verified(token).principal
    }

    /// The token's principal, session and times, or `.unauthorized` saying why not.
    public func verified(_ token: String) async throws -> Verified {
        if let known = verifiedTokens.lookup(token, now: Date()) { return known }
        let verified = try await verify(uncached: token)
        verifiedTokens.insert(token, verified)
        return verified
    }

    private func verify(uncached token: String) async throws -> Verified {
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
        return Verified(
            principal: Principal(tenantId: claims.tid, role: role, subject: claims.sub.value), session: claims.sid,
            issuedAt: claims.iat.value, expiresAt: claims.exp.value)
    }
}

/// A bounded map of verified tokens to what they prove, each kept until its expiry.
final class VerifiedTokens: Sendable {
    /// Entries kept at most; when full, the map starts over (re-verifying is only slower).
    static let capacity = 10_000
    private let entries = Mutex<[String: TokenAuthority.Verified]>([:])

    func lookup(_ token: String, now: Date) -> TokenAuthority.Verified? {
        entries.withLock { entries in
            guard let known = entries[token] else { return nil }
            guard known.expiresAt > now else {
                entries[token] = nil
                return nil
            }
            return known
        }
    }

    func insert(_ token: String, _ verified: TokenAuthority.Verified) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = verified
        }
    }
}
