import Foundation

/// Random 24-hex-digit ids (the size of a MongoDB ObjectId) for customers, agents and notes.
public enum IdentifierGenerator {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var out = ""
        out.reserveCapacity(24)
        for _ in 0..<3 {
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            out += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return String(out.prefix(24))
    }
}
