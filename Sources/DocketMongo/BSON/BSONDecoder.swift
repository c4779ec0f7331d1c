import Foundation

/// Decodes a domain value from a `BSONValue` tree read out of a `bson_t`: the reverse of
/// `BSONEncoder`. Numbers convert between BSON's widths when the value fits; dates come from
/// BSON dates (or milliseconds or ISO text, in documents other systems wrote).
struct BSONDecoder {
    func decode<T: Decodable>(_ type: T.Type, from value: BSONValue) throws -> T {
        try Decoding(value: value, codingPath: []).decode(type)
    }

    func decode<T: Decodable>(_ type: T.Type, from document: BSONDoc) throws -> T {
        try decode(type, from: .document(document))
    }

    struct Decoding: Decoder {
        let value: BSONValue
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            guard case .document(let document) = value else { throw mismatch([String: Any].self, value) }
            return KeyedDecodingContainer(Keyed<Key>(document: document, codingPath: codingPath))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            guard case .array(let items) = value else { throw mismatch([Any].self, value) }
            return Unkeyed(items: items, codingPath: codingPath)
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(value: value, codingPath: codingPath) }

        func mismatch(_ type: Any.Type, _ value: BSONValue) -> DecodingError {
            .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "found \(value.kindName)"))
        }

        /// The special types first, then the type's own Decodable.
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            if type == Date.self {
                guard let date = value.date else { throw mismatch(Date.self, value) }
                return date as! T
            }
            if type == ObjectID.self {
                switch value {
                case .objectId(let id): return id as! T
                case .string(let text): if let id = ObjectID(hex: text) { return id as! T }
                default: break
                }
                throw mismatch(ObjectID.self, value)
            }
            if type == Data.self {
                guard let text = value.string, let data = Data(base64Encoded: text) else { throw mismatch(Data.self, value) }
                return data as! T
            }
            if type == URL.self {
                guard let text = value.string, let url = URL(string: text) else { throw mismatch(URL.self, value) }
                return url as! T
            }
            return try T(from: self)
        }

        // Scalars, shared by the single-value and keyed containers.

        func bool() throws -> Bool {
            guard case .bool(let flag) = value else { throw mismatch(Bool.self, value) }
            return flag
        }

        func string() throws -> String {
            guard case .string(let text) = value else { throw mismatch(String.self, value) }
            return text
        }

        func double() throws -> Double {
            guard let number = value.double else { throw mismatch(Double.self, value) }
            return number
        }

        func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            let wide: Int64? =
                switch value {
                case .int32(let number): Int64(number)
                case .int64(let number): number
                case .double(let number) where number.rounded() == number: Int64(exactly: number)
                default: nil
                }
            guard let wide, let exact = T(exactly: wide) else { throw mismatch(T.self, value) }
            return exact
        }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let document: BSONDoc
        let codingPath: [any CodingKey]
        /// Field positions by key, built once per container.
        let positions: [String: Int]

        init(document: BSONDoc, codingPath: [any CodingKey]) {
            self.document = document
            self.codingPath = codingPath
            var positions: [String: Int] = [:]
            positions.reserveCapacity(document.fields.count)
            for (offset, field) in document.fields.enumerated() where positions[field.key] == nil { positions[field.key] = offset }
            self.positions = positions
        }

        var allKeys: [Key] { document.fields.compactMap { Key(stringValue: $0.key) } }

        func contains(_ key: Key) -> Bool { positions[key.stringValue] != nil }

        func child(_ key: Key) throws -> Decoding {
            guard let at = positions[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no field '\(key.stringValue)'"))
            }
            return Decoding(value: document.fields[at].value, codingPath: codingPath + [key])
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            guard let at = positions[key.stringValue] else { return true }
            return document.fields[at].value == .null
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).bool() }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).string() }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).double() }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try child(key).double()) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).integer(Int.self) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).integer(Int32.self) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).integer(Int64.self) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decode(type) }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }

        func superDecoder() throws -> any Decoder { Decoding(value: .document(document), codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [BSONValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0

        init(items: [BSONValue], codingPath: [any CodingKey]) {
            self.items = items
            self.codingPath = codingPath
        }

        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        mutating func next() throws -> Decoding {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the array has only \(items.count) items"))
            }
            defer { currentIndex += 1 }
            return Decoding(value: items[currentIndex], codingPath: codingPath)
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, items[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { try next().bool() }
        mutating func decode(_ type: String.Type) throws -> String { try next().string() }
        mutating func decode(_ type: Double.Type) throws -> Double { try next().double() }
        mutating func decode(_ type: Int.Type) throws -> Int { try next().integer(Int.self) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().integer(Int64.self) }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> any Decoder { try next() }
    }

    struct Single: SingleValueDecodingContainer {
        let value: BSONValue
        let codingPath: [any CodingKey]
        var decoding: Decoding { Decoding(value: value, codingPath: codingPath) }

        func decodeNil() -> Bool { value == .null }
        func decode(_ type: Bool.Type) throws -> Bool { try decoding.bool() }
        func decode(_ type: String.Type) throws -> String { try decoding.string() }
        func decode(_ type: Double.Type) throws -> Double { try decoding.double() }
        func decode(_ type: Float.Type) throws -> Float { Float(try decoding.double()) }
        func decode(_ type: Int.Type) throws -> Int { try decoding.integer(Int.self) }
        func decode(_ type: Int8.Type) throws -> Int8 { try decoding.integer(Int8.self) }
        func decode(_ type: Int16.Type) throws -> Int16 { try decoding.integer(Int16.self) }
        func decode(_ type: Int32.Type) throws -> Int32 { try decoding.integer(Int32.self) }
        func decode(_ type: Int64.Type) throws -> Int64 { try decoding.integer(Int64.self) }
        func decode(_ type: UInt.Type) throws -> UInt { try decoding.integer(UInt.self) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try decoding.integer(UInt8.self) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try decoding.integer(UInt16.self) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try decoding.integer(UInt32.self) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try decoding.integer(UInt64.self) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoding.decode(type) }
    }
}

extension BSONValue {
    var kindName: String {
        switch self {
        case .double: "a double"
        case .string: "a string"
        case .document: "a document"
        case .array: "an array"
        case .bool: "a boolean"
        case .null: "null"
        case .int32: "an int32"
        case .int64: "an int64"
        case .date: "a date"
        case .objectId: "an ObjectId"
        case .unsupported(let type): "BSON type \(type)"
        }
    }
}

/// Domain values to BSON bytes and back (what the store writes and reads, for tests and the
/// codec benchmark of `docket-load micro`).
public enum BSONCoding {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        try BSONDocument(BSONEncoder().document(value)).bytes
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: Data) throws -> T {
        try BSONDecoder().decode(type, from: try BSONDocument(bytes: bytes).read())
    }
}
