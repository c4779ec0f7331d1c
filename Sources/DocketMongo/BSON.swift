import CMongoc
import Foundation

/// An owned `bson_t` on the heap (never on the Swift stack: libbson aligns it to 128 bytes).
/// Destroyed when the wrapper goes away; only used inside one blocking job.
final class BSONDocument {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { bson_destroy(pointer) }

    /// Parses extended JSON (`{"$date": {"$numberLong": "..."}}`, `{"$oid": "..."}`).
    convenience init(json: Data) throws {
        var error = bson_error_t()
        let parsed: OpaquePointer? = json.withUnsafeBytes { bytes in
            bson_new_from_json(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &error)
        }
        guard let parsed else { throw MongoError(error) }
        self.init(taking: parsed)
    }

    /// A document from a JSON-shaped value (dictionaries, arrays, strings, numbers, booleans,
    /// `NSNull`, and `ExtendedJSON.date(...)` for dates).
    convenience init(_ object: [String: Any]) throws {
        try self.init(json: try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]))
    }

    /// Relaxed extended JSON of the document.
    var json: Data { Self.json(of: pointer) }

    static func json(of pointer: OpaquePointer) -> Data {
        var length = 0
        guard let text = bson_as_relaxed_extended_json(pointer, &length) else { return Data("{}".utf8) }
        defer { bson_free(text) }
        return Data(bytes: text, count: length)
    }
}

/// A reply out-parameter: 128-aligned storage libmongoc initialises; always destroyed.
struct ReplyBuffer {
    static func with<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 128)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
        let reply = OpaquePointer(raw)
        defer {
            bson_destroy(reply)
            raw.deallocate()
        }
        return try body(reply)
    }
}

/// A MongoDB ObjectId (12 bytes, shown as 24 hex digits), encoded as `{"$oid": "..."}`.
public struct ObjectID: Codable, Sendable, Hashable, CustomStringConvertible {
    public let hex: String

    public init?(hex: String) {
        guard hex.count == 24, hex.allSatisfy(\.isHexDigit) else { return nil }
        self.hex = hex.lowercased()
    }

    /// A new id from libbson's generator (time, random, counter).
    public static func generate() -> ObjectID {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 12, alignment: 8)
        defer { raw.deallocate() }
        let oid = raw.bindMemory(to: bson_oid_t.self, capacity: 1)
        bson_oid_init(oid, nil)
        let text = UnsafeMutablePointer<CChar>.allocate(capacity: 25)
        defer { text.deallocate() }
        bson_oid_to_string(oid, text)
        return ObjectID(hex: String(cString: text))!
    }

    public var description: String { hex }

    enum CodingKeys: String, CodingKey { case oid = "$oid" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .oid)
        guard let id = ObjectID(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad ObjectId '\(text)'"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hex, forKey: .oid)
    }
}

/// The bridge between domain types and BSON: Codable through extended JSON, with dates as
/// BSON dates (millisecond precision, as the domain rounds them) and everything else as is.
public enum ExtendedJSON {
    /// A date as extended JSON, for filters and updates.
    static func date(_ date: Date) -> [String: Any] {
        ["$date": ["$numberLong": String(Int64((date.timeIntervalSince1970 * 1000).rounded()))]]
    }

    private struct DateBox: Decodable {
        let millis: Int64

        enum Keys: String, CodingKey { case date = "$date" }
        enum LongKeys: String, CodingKey { case long = "$numberLong" }

        init(from decoder: any Decoder) throws {
            if let single = try? decoder.singleValueContainer(), let number = try? single.decode(Int64.self) {
                millis = number
                return
            }
            let container = try decoder.container(keyedBy: Keys.self)
            if let text = try? container.decode(String.self, forKey: .date) {
                guard let date = Self.parse(text) else {
                    throw DecodingError.dataCorruptedError(forKey: .date, in: container, debugDescription: "bad date '\(text)'")
                }
                millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
            } else if let number = try? container.decode(Int64.self, forKey: .date) {
                millis = number
            } else {
                let long = try container.nestedContainer(keyedBy: LongKeys.self, forKey: .date)
                guard let value = Int64(try long.decode(String.self, forKey: .long)) else {
                    throw DecodingError.dataCorruptedError(forKey: .long, in: long, debugDescription: "bad $numberLong")
                }
                millis = value
            }
        }

        static func parse(_ text: String) -> Date? {
            (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                ?? (try? Date.ISO8601FormatStyle().parse(text))
        }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(["$date": ["$numberLong": String(Int64((date.timeIntervalSince1970 * 1000).rounded()))]])
        }
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            Date(timeIntervalSince1970: Double(try DateBox(from: decoder).millis) / 1000)
        }
        return decoder
    }

    /// A domain value as a JSON object, to which the adapter adds `_id` and index fields.
    static func object<T: Encodable>(_ value: T) throws -> [String: Any] {
        let data = try encoder().encode(value)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw MongoError(kind: .codec, code: 0, message: "\(T.self) does not encode as a document")
        }
        return object
    }

    /// Encodes to BSON.
    public static func bson<T: Encodable>(_ value: T) throws -> Data {
        let document = try BSONDocument(json: try encoder().encode(value))
        guard let bytes = bson_get_data(document.pointer) else { return Data() }
        return Data(bytes: bytes, count: Int(document.length))
    }

    /// Decodes from BSON bytes.
    public static func decode<T: Decodable>(_ type: T.Type, bson data: Data) throws -> T {
        let document: OpaquePointer? = data.withUnsafeBytes { bytes in
            bson_new_from_data(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        guard let document else { throw MongoError(kind: .codec, code: 0, message: "not a BSON document") }
        return try decoder().decode(type, from: BSONDocument(taking: document).json)
    }
}

extension BSONDocument {
    /// The document's length in bytes.
    var length: UInt32 {
        // bson_t starts with flags (uint32) then len (uint32).
        UnsafeRawPointer(pointer).load(fromByteOffset: 4, as: UInt32.self)
    }
}
