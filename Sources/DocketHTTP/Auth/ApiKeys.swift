import Crypto
import DocketCore
import Foundation

/// API keys look like `dk_<id>.<secret>`: the id finds the record, the secret is checked
/// against its SHA-256 (stored hex), in constant time.
enum ApiKeyFormat {
    static let prefix = "dk_"

    struct Parts {
        var id: String
        var secret: String
    }

    static func parse(_ text: String) -> Parts? {
        guard text.hasPrefix(prefix) else { return nil }
        let body = text.dropFirst(prefix.count)
        let pieces = body.split(separator: ".", maxSplits: 1)
        guard pieces.count == 2, pieces[0].count == 16, pieces[0].allSatisfy(\.isHexDigit), (32...128).contains(pieces[1].count) else { return nil }
        return Parts(id: String(pieces[0]), secret: String(pieces[1]))
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A new key: its id, the full text shown once, the hash to store and a hint for lists.
    static func generate() -> (id: String, key: String, hash: String, hint: String) {
        var generator = SystemRandomNumberGenerator()
        func hex(_ bytes: Int) -> String {
            (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        }
        let id = hex(8), secret = hex(32)
        let key = "\(prefix)\(id).\(secret)"
        return (id, key, hash(secret), String(key.prefix(prefix.count + 8)))
    }

    /// Equal in constant time for equal lengths.
    static func matches(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
