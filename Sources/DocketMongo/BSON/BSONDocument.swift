import CMongoc
import Foundation

/// An owned `bson_t` on the heap (never on the Swift stack: libbson aligns it to 128 bytes).
/// Destroyed when the wrapper goes away; only used inside one blocking job.
final class BSONDocument {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { bson_destroy(pointer) }

    /// Builds the document with libbson's append functions, field by field.
    convenience init(_ document: BSONDoc) throws {
        guard let pointer = bson_new() else { throw MongoError(kind: .codec, code: 0, message: "bson_new failed") }
        self.init(taking: pointer)
        try Self.append(document, to: pointer)
    }

    /// A document from a `[String: Any]` filter, update or option set.
    convenience init(_ dictionary: [String: Any]) throws {
        try self.init(BSONDoc(any: dictionary))
    }

    /// A copy of BSON bytes (a document read elsewhere, or `bytes` of another).
    convenience init(bytes: Data) throws {
        let pointer: OpaquePointer? = bytes.withUnsafeBytes { raw in
            bson_new_from_data(raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count)
        }
        guard let pointer else { throw MongoError(kind: .codec, code: 0, message: "not a BSON document") }
        self.init(taking: pointer)
    }

    /// The document's bytes.
    var bytes: Data {
        guard let data = bson_get_data(pointer) else { return Data() }
        return Data(bytes: data, count: Int(length))
    }

    /// The document's length in bytes (bson_t starts with flags, then len, both uint32).
    var length: UInt32 { UnsafeRawPointer(pointer).load(fromByteOffset: 4, as: UInt32.self) }

    /// The fields, read with libbson's iterator.
    func read() throws -> BSONDoc { try Self.read(pointer) }

    // MARK: - Writing

    static func append(_ document: BSONDoc, to target: OpaquePointer) throws {
        for (key, value) in document.fields { try append(value, key: key, to: target) }
    }

    static func append(_ value: BSONValue, key: String, to target: OpaquePointer) throws {
        let ok: Bool = key.withCString { name in
            switch value {
            case .double(let number): return bson_append_double(target, name, -1, number)
            case .string(let text):
                var text = text
                return text.withUTF8 { utf8 in
                    utf8.withMemoryRebound(to: CChar.self) { chars in
                        guard let base = chars.baseAddress else { return bson_append_utf8(target, name, -1, "", 0) }
                        return bson_append_utf8(target, name, -1, base, Int32(chars.count))
                    }
                }
            case .bool(let flag): return bson_append_bool(target, name, -1, flag)
            case .null: return bson_append_null(target, name, -1)
            case .int32(let number): return bson_append_int32(target, name, -1, number)
            case .int64(let number): return bson_append_int64(target, name, -1, number)
            case .date(let millis): return bson_append_date_time(target, name, -1, millis)
            case .objectId(let id): return appendObjectID(id, name, target)
            case .document(let child): return appendNested(child.fields.map { ($0.key, $0.value) }, name, target, array: false)
            case .array(let items): return appendNested(items.enumerated().map { (String($0.offset), $0.element) }, name, target, array: true)
            case .unsupported(let type): return type == 0
            }
        }
        guard ok else { throw MongoError(kind: .codec, code: 0, message: "field '\(key)' does not fit in the document (16 MB at most)") }
    }

    /// A nested document or array, built apart and appended (a child `bson_t` may not live on
    /// the Swift stack, so `bson_append_document_begin` would need aligned storage anyway).
    private static func appendNested(_ fields: [(String, BSONValue)], _ name: UnsafePointer<CChar>, _ target: OpaquePointer, array: Bool) -> Bool {
        guard let child = bson_new() else { return false }
        defer { bson_destroy(child) }
        do {
            for (key, value) in fields { try append(value, key: key, to: child) }
        } catch {
            return false
        }
        return array ? bson_append_array(target, name, -1, child) : bson_append_document(target, name, -1, child)
    }

    private static func appendObjectID(_ id: ObjectID, _ name: UnsafePointer<CChar>, _ target: OpaquePointer) -> Bool {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 12, alignment: 8)
        defer { raw.deallocate() }
        let oid = raw.bindMemory(to: bson_oid_t.self, capacity: 1)
        bson_oid_init_from_string(oid, id.hex)
        return bson_append_oid(target, name, -1, oid)
    }

    // MARK: - Reading

    /// `bson_iter_t` is 128-aligned in C, so iterators live in aligned heap storage, one per
    /// nesting level, for the duration of one read.
    private final class Iterators {
        static let size = 256
        private var levels: [UnsafeMutableRawPointer] = []

        func at(_ depth: Int) -> OpaquePointer {
            while levels.count <= depth {
                let raw = UnsafeMutableRawPointer.allocate(byteCount: Self.size, alignment: 128)
                raw.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
                levels.append(raw)
            }
            return OpaquePointer(levels[depth])
        }

        deinit { for raw in levels { raw.deallocate() } }
    }

    static func read(_ document: OpaquePointer) throws -> BSONDoc {
        let iterators = Iterators()
        let top = iterators.at(0)
        guard bson_iter_init(top, document) else { throw MongoError(kind: .codec, code: 0, message: "a corrupt BSON document") }
        return BSONDoc(try fields(top, depth: 0, iterators))
    }

    private static func fields(_ iterator: OpaquePointer, depth: Int, _ iterators: Iterators) throws -> [(String, BSONValue)] {
        var out: [(String, BSONValue)] = []
        while bson_iter_next(iterator) {
            let key = String(cString: bson_iter_key(iterator))
            out.append((key, try value(iterator, depth: depth, iterators)))
        }
        return out
    }

    private static func value(_ iterator: OpaquePointer, depth: Int, _ iterators: Iterators) throws -> BSONValue {
        let type = bson_iter_type(iterator)
        switch type {
        case BSON_TYPE_DOUBLE: return .double(bson_iter_double(iterator))
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            guard let text = bson_iter_utf8(iterator, &length) else { return .string("") }
            return .string(String(decoding: UnsafeRawBufferPointer(start: text, count: Int(length)), as: UTF8.self))
        case BSON_TYPE_DOCUMENT, BSON_TYPE_ARRAY:
            let child = iterators.at(depth + 1)
            guard bson_iter_recurse(iterator, child) else { throw MongoError(kind: .codec, code: 0, message: "a corrupt nested document") }
            let nested = try fields(child, depth: depth + 1, iterators)
            return type == BSON_TYPE_ARRAY ? .array(nested.map(\.1)) : .document(BSONDoc(nested))
        case BSON_TYPE_BOOL: return .bool(bson_iter_bool(iterator))
        case BSON_TYPE_NULL, BSON_TYPE_UNDEFINED: return .null
        case BSON_TYPE_INT32: return .int32(bson_iter_int32(iterator))
        case BSON_TYPE_INT64: return .int64(bson_iter_int64(iterator))
        case BSON_TYPE_DATE_TIME: return .date(bson_iter_date_time(iterator))
        case BSON_TYPE_OID:
            guard let oid = bson_iter_oid(iterator) else { return .null }
            let text = UnsafeMutablePointer<CChar>.allocate(capacity: 25)
            defer { text.deallocate() }
            bson_oid_to_string(oid, text)
            return ObjectID(hex: String(cString: text)).map(BSONValue.objectId) ?? .null
        default: return .unsupported(type.rawValue)
        }
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

/// A MongoDB ObjectId (12 bytes, shown as 24 hex digits). Stored as a BSON ObjectId by
/// `BSONEncoder`; elsewhere (the API, logs) as its hex text.
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

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ObjectID(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad ObjectId '\(text)'"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
