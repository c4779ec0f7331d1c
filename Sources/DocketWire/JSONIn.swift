import DocketCore

/// JSON read straight from bytes by types that know their fields (`JSONReadable`): the request
/// bodies on the hot path (a ticket opened, a status changed, a note, a chat message), which
/// Foundation's `JSONDecoder` reads through Codable's generic containers. The mirror of `JSONOut`.
///
/// It reads only what it is sure of. Whatever it is not sure Foundation would read the same way
/// — a duplicate field, an escaped key, a lone surrogate, a number that is not a plain integer
/// where one is wanted, invalid UTF-8, nesting past `maxDepth`, any syntax error — ends the read
/// with `Refused`, and the caller reads the body again with `JSONDecoder`, which decides (and
/// words the error). So a body read here is always the value Foundation would have made, and a
/// bad body always gets Foundation's answer; `JSONInTests` holds the two together.
public struct JSONIn {
    /// Not read here: let `JSONDecoder` read it.
    public struct Refused: Error, Equatable {
        public let at: Int
    }

    /// Objects and arrays nested deeper than this are left to Foundation.
    public static let maxDepth = 32

    private let bytes: UnsafeRawBufferPointer
    private var at = 0
    private var depth = 0

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// `T` read from a whole body, or `Refused`.
    public static func read<T: JSONReadable>(_ type: T.Type, from body: UnsafeRawBufferPointer) throws(Refused) -> T {
        var reader = JSONIn(body)
        reader.skipSpace()
        let value = try T(reading: &reader)
        reader.skipSpace()
        guard reader.at == reader.bytes.count else { throw reader.refused() }
        return value
    }

    /// `T` read from a whole body, or nil when Foundation should read it.
    public static func read<T: JSONReadable>(_ type: T.Type, from body: [UInt8]) -> T? {
        body.withUnsafeBytes { try? read(type, from: $0) }
    }

    public func refused() -> Refused { Refused(at: at) }

    // MARK: Objects

    /// Reads an object, handing each field to `field` with its key's bytes (unescaped keys only);
    /// `field` reads the value and answers true, or answers false to have it skipped. A field
    /// the type reads twice is refused (Foundation's choice between the two is not ours to guess).
    public mutating func object(_ field: (inout JSONIn, UnsafeRawBufferPointer) throws(Refused) -> Bool) throws(Refused) {
        try expect(UInt8(ascii: "{"))
        try enter()
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            at += 1
            depth -= 1
            return
        }
        while true {
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw refused() }
            let key = try rawKey()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            if try !field(&self, key) { try skipValue() }
            skipSpace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"):
                depth -= 1
                return
            default: throw refused()
            }
        }
    }

    /// Fields seen so far, by the bit a type gives each: a second sight is refused.
    public struct Seen {
        private var bits: UInt64 = 0
        public init() {}
        public mutating func mark(_ bit: Int, _ reader: JSONIn) throws(Refused) {
            let mask: UInt64 = 1 << UInt64(bit)
            guard bits & mask == 0 else { throw reader.refused() }
            bits |= mask
        }
        public func has(_ bit: Int) -> Bool { bits & (1 << UInt64(bit)) != 0 }
    }

    /// Whether `key` is `name`, byte for byte.
    public static func key(_ key: UnsafeRawBufferPointer, is name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        return name.withUTF8Buffer { name in
            for index in 0..<key.count where key[index] != name[index] { return false }
            return true
        }
    }

    // MARK: Values

    /// A string (not null).
    public mutating func string() throws(Refused) -> String {
        try expect(UInt8(ascii: "\""))
        let start = at
        // The common case: no escapes, so the bytes are the string's.
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<at]).bindMemory(to: UInt8.self), as: UTF8.self)
                at += 1
                guard let text else { throw refused() }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw refused() }
            at += 1
        }
        return try escapedString(from: start)
    }

    /// A string or null (nil).
    public mutating func optionalString() throws(Refused) -> String? {
        if try null() { return nil }
        return try string()
    }

    /// A string naming one of `T`'s cases, or null (nil); any other string is refused.
    public mutating func optional<T: RawRepresentable>(_ type: T.Type) throws(Refused) -> T? where T.RawValue == String {
        guard let text = try optionalString() else { return nil }
        guard let value = T(rawValue: text) else { throw refused() }
        return value
    }

    /// true or false, or null (nil).
    public mutating func optionalBool() throws(Refused) -> Bool? {
        if try null() { return nil }
        if literal("true") { return true }
        if literal("false") { return false }
        throw refused()
    }

    /// A number (not null), as `Double` reads it; refused when not finite.
    public mutating func double() throws(Refused) -> Double {
        let text = try numberText()
        guard let value = Double(text), value.isFinite else { throw refused() }
        return value
    }

    /// An array of strings, or null (nil).
    public mutating func optionalStrings() throws(Refused) -> [String]? {
        if try null() { return nil }
        var out: [String] = []
        try array { reader throws(Refused) in out.append(try reader.string()) }
        return out
    }

    /// An object of strings, or null (nil). A key twice is refused.
    public mutating func optionalStringMap() throws(Refused) -> [String: String]? {
        if try null() { return nil }
        var out: [String: String] = [:]
        try expect(UInt8(ascii: "{"))
        try enter()
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            at += 1
            depth -= 1
            return out
        }
        while true {
            skipSpace()
            let key = try string()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            let value = try string()
            guard out.updateValue(value, forKey: key) == nil else { throw refused() }
            skipSpace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"):
                depth -= 1
                return out
            default: throw refused()
            }
        }
    }

    /// Reads an array, handing each element to `element`.
    public mutating func array(_ element: (inout JSONIn) throws(Refused) -> Void) throws(Refused) {
        try expect(UInt8(ascii: "["))
        try enter()
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            at += 1
            depth -= 1
            return
        }
        while true {
            skipSpace()
            try element(&self)
            skipSpace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"):
                depth -= 1
                return
            default: throw refused()
            }
        }
    }

    /// Whether the value here is null (and reads it if so).
    public mutating func null() throws(Refused) -> Bool {
        literal("null")
    }

    /// Reads past any value, checking its syntax as strictly as a value read.
    public mutating func skipValue() throws(Refused) {
        switch peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "{"): try object { _, _ throws(Refused) in false }
        case UInt8(ascii: "["): try array { reader throws(Refused) in try reader.skipValue() }
        case UInt8(ascii: "t"): if !literal("true") { throw refused() }
        case UInt8(ascii: "f"): if !literal("false") { throw refused() }
        case UInt8(ascii: "n"): if !literal("null") { throw refused() }
        default: _ = try numberText()
        }
    }

    // MARK: Below

    private mutating func enter() throws(Refused) {
        depth += 1
        guard depth <= Self.maxDepth else { throw refused() }
    }

    private func peek() -> UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func next() -> UInt8? {
        guard at < bytes.count else { return nil }
        defer { at += 1 }
        return bytes[at]
    }

    private mutating func expect(_ byte: UInt8) throws(Refused) {
        guard next() == byte else { throw refused() }
    }

    /// JSON's whitespace: space, tab, line feed, carriage return.
    mutating func skipSpace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x09, 0x0A, 0x0D: at += 1
            default: return
            }
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard at + count <= bytes.count else { return false }
        let matches = word.withUTF8Buffer { word in
            for index in 0..<count where bytes[at + index] != word[index] { return false }
            return true
        }
        if matches { at += count }
        return matches
    }

    /// A key's bytes between its quotes; a key with an escape or a control character is refused.
    private mutating func rawKey() throws(Refused) -> UnsafeRawBufferPointer {
        try expect(UInt8(ascii: "\""))
        let start = at
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                let key = UnsafeRawBufferPointer(rebasing: bytes[start..<at])
                at += 1
                // Unknown keys are skipped, but Foundation reads them as strings first.
                guard String(validating: key.bindMemory(to: UInt8.self), as: UTF8.self) != nil else { throw refused() }
                return key
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { throw refused() }
            at += 1
        }
        throw refused()
    }

    /// The rest of a string that holds escapes, from its first byte at `start`.
    private mutating func escapedString(from start: Int) throws(Refused) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(at - start + 16)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<at]))
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw refused() }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = next() else { throw refused() }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A pair: the low half must follow at once.
                        guard literal("\\u") else { throw refused() }
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw refused() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw refused()
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw refused() }
                    out.append(contentsOf: UTF8.encode(unicode)!)
                default:
                    throw refused()
                }
            default:
                if byte < 0x20 { throw refused() }
                out.append(byte)
            }
        }
        throw refused()
    }

    private mutating func hex4() throws(Refused) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = next() else { throw refused() }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw refused()
            }
            value = value << 4 | digit
        }
        return value
    }

    /// A number's text, checked against JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func numberText() throws(Refused) -> Substring {
        let start = at
        func digit(_ byte: UInt8?) -> Bool { byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false }
        if peek() == UInt8(ascii: "-") { at += 1 }
        guard digit(peek()) else { throw refused() }
        if peek() == UInt8(ascii: "0") {
            at += 1
            if digit(peek()) { throw refused() }
        } else {
            while digit(peek()) { at += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            at += 1
            guard digit(peek()) else { throw refused() }
            while digit(peek()) { at += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            at += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { at += 1 }
            guard digit(peek()) else { throw refused() }
            while digit(peek()) { at += 1 }
        }
        return Substring(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
    }
}

/// A type read straight from JSON bytes (`JSONIn`); the mirror of `JSONWritable`.
public protocol JSONReadable {
    init(reading reader: inout JSONIn) throws(JSONIn.Refused)
}
