import DocketCore
@testable import DocketHTTP
import HTTPTypes
import Testing

/// The credential a request carries: `X-Api-Key`, or `Authorization: Bearer` with the scheme in
/// any case and spaces or tabs around; anything else under `Authorization` is refused.
@Suite("Credential headers")
struct CredentialHeaderTests {
    func credential(_ fields: [(String, String)]) throws -> String? {
        var headers = HTTPFields()
        for (name, value) in fields { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return try AuthMiddleware.credential(headers)
    }

    @Test func bearerTokensAndKeysAreReadAsSent() throws {
        #expect(try credential([]) == nil)
        #expect(try credential([("Authorization", "Bearer abc.def.ghi")]) == "abc.def.ghi")
        #expect(try credential([("Authorization", "bEaReR \tabc.def.ghi\t ")]) == "abc.def.ghi")
        #expect(try credential([("Authorization", "  Bearer abc")]) == "abc")
        #expect(try credential([("Authorization", "Bearer a b")]) == "a b")
        #expect(try credential([("X-Api-Key", "  dk_live_123 ")]) == "dk_live_123")
        // The key wins when both are sent.
        #expect(try credential([("X-Api-Key", "dk_1"), ("Authorization", "Bearer t")]) == "dk_1")
        // Only an ASCII space separates the scheme from the token.
        #expect(throws: DocketError.self) { try credential([("Authorization", "Bearer\u{00A0}abc")]) }
    }

    @Test func otherSchemesAndEmptyTokensAreRefused() throws {
        for value in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Bearerabc", "Token abc", "Beare abc", "Bearer_ abc"] {
            #expect(throws: DocketError.self, "\(value)") { try credential([("Authorization", value)]) }
        }
    }
}
