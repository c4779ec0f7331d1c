import Foundation

/// A BSON value on the Swift side: what `BSONDocument` appends into a `bson_t` and reads back
/// out of one, and what `BSONEncoder` and `BSONDecoder` translate domain types to and from.
enum BSONValue: Sendable, Equatable {
    case double(Double)
    case string(String)
    case document(BSONDoc)
    case array([BSONValue])
    case bool(Bool)
    case null
    case int32(Int32)
    case int64(Int64)
    /// Milliseconds since 1970 (BSON's UTC datetime).
    case date(Int64)
    case objectId(ObjectID)
    /// A type the domain never stores (binary, decimal128, regex...), by its BSON type number.
    case unsupported(UInt32)

    /// An integer of any BSON width, or a double without a fraction.
    var int: Int? {
        switch self {
        case .int32(let value): Int(value)
        case .int64(let value): Int(value)
        case .double(let value) where value.rounded() == value && abs(value) < 9e15: Int(value)
        default: nil
        }
    }

    var double: Double? {
        switch self {
        case .double(let value): value
        case .int32(let value): Double(value)
        case .int64(let value): Double(value)
        default: nil
        }
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var document: BSONDoc? { if case .document(let value) = self { value } else { nil } }

    /// A date, whether stored as a BSON date or (in documents other systems wrote) as
    /// milliseconds or ISO 8601 text.
    var date: Date? {
        switch self {
        case .date(let millis): Date(timeIntervalSince1970: Double(millis) / 1000)
        case .int32, .int64, .double: double.map { Date(timeIntervalSince1970: $0 / 1000) }
        case .string(let text):
            (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
        default: nil
        }
    }

    static func date(_ date: Date) -> BSONValue { .date(Int64((date.timeIntervalSince1970 * 1000).rounded())) }

    /// An integer as the old JSON path stored it: 32 bits when it fits.
    static func integer<T: BinaryInteger>(_ value: T) -> BSONValue {
        if let small = Int32(exactly: value) { return .int32(small) }
        return .int64(Int64(value))
    }

    /// Filters, updates and stages written as Swift literals: strings, integers, doubles,
    /// booleans, `NSNull`, dates, ids, arrays and `[String: Any]` (keys sorted: a filter's
    /// meaning does not depend on its order; sorts and index keys use ordered `BSONDoc`s).
    init(any value: Any) throws {
        switch value {
        case let value as BSONValue: self = value
        case let value as BSONDoc: self = .document(value)
        case let value as String: self = .string(value)
        case let value as Bool: self = .bool(value)
        case let value as Int: self = .integer(value)
        case let value as Int32: self = .int32(value)
        case let value as Int64: self = .int64(value)
        case let value as Double: self = .double(value)
        case let value as Date: self = .date(value)
        case let value as ObjectID: self = .objectId(value)
        case is NSNull: self = .null
        case let value as [String: Any]:
            self = .document(BSONDoc(try value.sorted { $0.key < $1.key }.map { ($0.key, try BSONValue(any: $0.value)) }))
        case let value as [Any]: self = .array(try value.map { try BSONValue(any: $0) })
        default:
            throw MongoError(kind: .codec, code: 0, message: "\(type(of: value)) has no BSON form")
        }
    }
}

/// A BSON document: fields in order (BSON keeps them; sorts and index keys depend on it).
struct BSONDoc: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private(set) var fields: [(key: String, value: BSONValue)]

    init(_ fields: [(String, BSONValue)] = []) { self.fields = fields.map { (key: $0.0, value: $0.1) } }

    init(dictionaryLiteral elements: (String, BSONValue)...) { self.init(elements) }

    /// A document from a `[String: Any]` filter or update (see `BSONValue.init(any:)`).
    init(any dictionary: [String: Any]) throws {
        guard case .document(let doc) = try BSONValue(any: dictionary) else { preconditionFailure("a dictionary is a document") }
        self = doc
    }

    /// The first field named `key`; setting replaces it in place, or appends it.
    subscript(key: String) -> BSONValue? {
        get { fields.first { $0.key == key }?.value }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append((key, newValue))
            }
        }
    }

    var isEmpty: Bool { fields.isEmpty }

    /// Sets `key` to a Swift value (see `BSONValue.init(any:)`).
    mutating func set(_ key: String, _ value: Any) throws { self[key] = try BSONValue(any: value) }

    static func == (a: BSONDoc, b: BSONDoc) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
