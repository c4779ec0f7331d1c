import DocketCore
import Foundation

/// JSON written straight into bytes by types that know their fields (`JSONWritable`), for the
/// documents on the hot path: a ticket is encoded on every change (its stored document, the
/// rules' recorded snapshot, the API's answer), and Foundation's `JSONEncoder` spent most of
/// that time in Codable's generic containers. The output is what `JSONEncoder` writes for the
/// same value: keys in sorted order (the writers list them so), nil optionals left out,
/// whole doubles without ".0", slashes unescaped. Dates are written in one of two forms:
/// milliseconds since 1970 (the stores' documents) or ISO 8601 with milliseconds (the API and
/// event payloads, `JSONEncoder.isoMilliseconds()`).
public struct JSONOut {
    public enum DateForm: Sendable {
        case millis, iso8601
    }

    public private(set) var bytes: [UInt8] = []
    public let dates: DateForm
    /// A value was written at this level: the next key or element needs a comma.
    private var needsComma = false

    public init(dates: DateForm, capacity: Int = 2048) {
        self.dates = dates
        bytes.reserveCapacity(capacity)
    }

    /// The JSON of `value`.
    public static func text(_ value: some JSONWritable, dates: DateForm) -> String {
        String(decoding: data(value, dates: dates), as: UTF8.self)
    }

    public static func data(_ value: some JSONWritable, dates: DateForm) -> [UInt8] {
        var out = JSONOut(dates: dates)
        value.write(to: &out)
        return out.bytes
    }

    // MARK: Structure

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// `"name":`; names are our own field names (no character needs escaping).
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    // MARK: Values

    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if start < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
                start = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    func hex(_ digit: UInt8) -> UInt8 { digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10 }
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex(byte >> 4), hex(byte & 0xF)])
                }
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    public mutating func int<I: BinaryInteger>(_ value: I) {
        separate()
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
        } else {
            var magnitude = value.magnitude
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                while magnitude > 0 {
                    buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                    count += 1
                }
                bytes.append(contentsOf: buffer[(20 - count)...])
            }
        }
        needsComma = true
    }

    /// As `JSONEncoder` writes a double: the shortest text that reads back the same, a whole
    /// number without ".0". Not-finite values (which `JSONEncoder` refuses) are written as null.
    public mutating func double(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) { literal(value ? "true" : "false") }

    public mutating func null() { literal("null") }

    private mutating func literal(_ text: StaticString) {
        separate()
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        needsComma = true
    }

    public mutating func date(_ value: Date) {
        switch dates {
        case .millis: int(value.millis)
        case .iso8601:
            separate()
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: CivilTime.iso8601(value).utf8)
            bytes.append(UInt8(ascii: "\""))
            needsComma = true
        }
    }

    public mutating func array<Element: JSONWritable>(_ values: [Element]) {
        beginArray()
        for element in values { element.write(to: &self) }
        endArray()
    }

    /// A string map with its keys sorted, as `JSONEncoder` with `.sortedKeys` writes it.
    public mutating func stringMap(_ values: [String: some JSONWritable]) {
        beginObject()
        for (key, value) in values.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            string(key)
            bytes.append(UInt8(ascii: ":"))
            needsComma = false
            value.write(to: &self)
        }
        endObject()
    }

    /// `"name":value`; a nil optional writes nothing, as synthesized Codable leaves it out.
    public mutating func field(_ name: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        key(name)
        value.write(to: &self)
    }
}

/// A type that writes its own JSON (`JSONOut`), field by field in sorted key order; it stays
/// `Codable` for reading, and its tests hold the two to the same text.
public protocol JSONWritable {
    func write(to out: inout JSONOut)
}

// The values documents are made of.
extension String: JSONWritable { public func write(to out: inout JSONOut) { out.string(self) } }
extension Int: JSONWritable { public func write(to out: inout JSONOut) { out.int(self) } }
extension Int64: JSONWritable { public func write(to out: inout JSONOut) { out.int(self) } }
extension Double: JSONWritable { public func write(to out: inout JSONOut) { out.double(self) } }
extension Bool: JSONWritable { public func write(to out: inout JSONOut) { out.bool(self) } }
extension Date: JSONWritable { public func write(to out: inout JSONOut) { out.date(self) } }
extension Array: JSONWritable where Element: JSONWritable { public func write(to out: inout JSONOut) { out.array(self) } }
extension Dictionary: JSONWritable where Key == String, Value: JSONWritable {
    public func write(to out: inout JSONOut) { out.stringMap(self) }
}

/// Enumerations written as their raw text.
extension JSONWritable where Self: RawRepresentable, RawValue == String {
    public func write(to out: inout JSONOut) { out.string(rawValue) }
}
