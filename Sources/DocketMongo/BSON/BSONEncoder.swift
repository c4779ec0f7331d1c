import Foundation

/// Encodes a domain value into a `BSONValue` tree, which `BSONDocument` appends into a
/// `bson_t`: no JSON on the way. Dates become BSON dates (milliseconds, as the domain rounds
/// them), integers 32-bit when they fit, `ObjectID`s BSON ObjectIds, `Data` base64 text and
/// `URL`s their text (as the earlier JSON path stored them). Absent optionals are left out.
struct BSONEncoder {
    func encode<T: Encodable>(_ value: T) throws -> BSONValue {
        if let special = Self.special(value) { return special }
        let root = Node()
        try value.encode(to: Encoding(node: root, codingPath: []))
        return root.value
    }

    /// A value that must be a document (what a collection stores).
    func document<T: Encodable>(_ value: T) throws -> BSONDoc {
        guard case .document(let document) = try encode(value) else {
            throw MongoError(kind: .codec, code: 0, message: "\(T.self) does not encode as a document")
        }
        return document
    }

    static func special(_ value: Any) -> BSONValue? {
        switch value {
        case let date as Date: .date(date)
        case let id as ObjectID: .objectId(id)
        case let data as Data: .string(data.base64EncodedString())
        case let url as URL: .string(url.absoluteString)
        default: nil
        }
    }

    /// What one container is building: a value, a keyed document or an array of nodes.
    /// Children live in the node's own arrays, so adding one never copies its siblings.
    final class Node {
        enum Kind { case empty, value, keyed, unkeyed }

        var kind = Kind.empty
        var scalar = BSONValue.null
        var keys: [String] = []
        var children: [Node] = []
        var index: [String: Int] = [:]

        var value: BSONValue {
            switch kind {
            case .empty: .document(BSONDoc())
            case .value: scalar
            case .keyed: .document(BSONDoc(zip(keys, children).map { ($0, $1.value) }))
            case .unkeyed: .array(children.map(\.value))
            }
        }

        func set(_ value: BSONValue) {
            kind = .value
            scalar = value
        }

        /// The child node for `key`, replacing an earlier one of the same key.
        func child(_ key: String) -> Node {
            makeKeyed()
            let node = Node()
            if let at = index[key] {
                children[at] = node
            } else {
                index[key] = children.count
                keys.append(key)
                children.append(node)
            }
            return node
        }

        func append() -> Node {
            makeUnkeyed()
            let node = Node()
            children.append(node)
            return node
        }

        func makeKeyed() { if kind != .keyed { (kind, keys, children, index) = (.keyed, [], [], [:]) } }
        func makeUnkeyed() { if kind != .unkeyed { (kind, children) = (.unkeyed, []) } }

        var count: Int { kind == .unkeyed ? children.count : 0 }
    }

    struct Encoding: Encoder {
        let node: Node
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            node.makeKeyed()
            return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            node.makeUnkeyed()
            return Unkeyed(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }
    }

    /// Encodes `value` into `node`: the special types directly, the rest through their Encodable.
    static func put<T: Encodable>(_ value: T, into node: Node, codingPath: [any CodingKey]) throws {
        if let special = special(value) {
            node.set(special)
        } else {
            try value.encode(to: Encoding(node: node, codingPath: codingPath))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let codingPath: [any CodingKey]

        func set(_ value: BSONValue, _ key: Key) { node.child(key.stringValue).set(value) }

        mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
        mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { set(.double(value), key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { set(.double(Double(value)), key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(.integer(value), key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { set(.integer(value), key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { set(.integer(value), key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { set(.int32(value), key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { set(.int64(value), key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { set(.integer(value), key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.integer(value), key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.integer(value), key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.integer(value), key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws {
            guard let exact = Int64(exactly: value) else { throw MongoError(kind: .codec, code: 0, message: "\(value) exceeds BSON's int64") }
            set(.integer(exact), key)
        }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try BSONEncoder.put(value, into: node.child(key.stringValue), codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let child = node.child(key.stringValue)
            child.makeKeyed()
            return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = node.child(key.stringValue)
            child.makeUnkeyed()
            return Unkeyed(node: child, codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder { Encoding(node: node.child("super"), codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { Encoding(node: node.child(key.stringValue), codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]
        var count: Int { node.count }

        func add(_ value: BSONValue) { node.append().set(value) }

        mutating func encodeNil() throws { add(.null) }
        mutating func encode(_ value: Bool) throws { add(.bool(value)) }
        mutating func encode(_ value: String) throws { add(.string(value)) }
        mutating func encode(_ value: Double) throws { add(.double(value)) }
        mutating func encode(_ value: Float) throws { add(.double(Double(value))) }
        mutating func encode(_ value: Int) throws { add(.integer(value)) }
        mutating func encode(_ value: Int32) throws { add(.int32(value)) }
        mutating func encode(_ value: Int64) throws { add(.int64(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try BSONEncoder.put(value, into: node.append(), codingPath: codingPath)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let child = node.append()
            child.makeKeyed()
            return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = node.append()
            child.makeUnkeyed()
            return Unkeyed(node: child, codingPath: codingPath)
        }

        mutating func superEncoder() -> any Encoder { Encoding(node: node.append(), codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]

        func set(_ value: BSONValue) { node.set(value) }

        mutating func encodeNil() throws { set(.null) }
        mutating func encode(_ value: Bool) throws { set(.bool(value)) }
        mutating func encode(_ value: String) throws { set(.string(value)) }
        mutating func encode(_ value: Double) throws { set(.double(value)) }
        mutating func encode(_ value: Float) throws { set(.double(Double(value))) }
        mutating func encode(_ value: Int) throws { set(.integer(value)) }
        mutating func encode(_ value: Int8) throws { set(.integer(value)) }
        mutating func encode(_ value: Int16) throws { set(.integer(value)) }
        mutating func encode(_ value: Int32) throws { set(.int32(value)) }
        mutating func encode(_ value: Int64) throws { set(.int64(value)) }
        mutating func encode(_ value: UInt) throws { set(.integer(value)) }
        mutating func encode(_ value: UInt8) throws { set(.integer(value)) }
        mutating func encode(_ value: UInt16) throws { set(.integer(value)) }
        mutating func encode(_ value: UInt32) throws { set(.integer(value)) }
        mutating func encode(_ value: UInt64) throws {
            guard let exact = Int64(exactly: value) else { throw MongoError(kind: .codec, code: 0, message: "\(value) exceeds BSON's int64") }
            set(.integer(exact))
        }
        mutating func encode<T: Encodable>(_ value: T) throws { try BSONEncoder.put(value, into: node, codingPath: codingPath) }
    }
}
