import DocketCore
import Foundation
import Yams

/// Unknown keys in a YAML file a Decodable type reads: `queus:` where `queues:` was meant is
/// an error naming its line and the nearest known key, never silently dropped.
///
/// What a type knows is learnt from the type itself: the document is decoded once more by a
/// decoder that records, for every mapping, each key the type asked for (including optional
/// keys it found missing). A key present in the file that nobody asked for is unknown. This
/// keeps no list of keys to fall out of step with the model.
enum StrictKeys {
    /// The unknown keys of `text` for `T`, each with its line; empty when every key is known
    /// (or the text does not decode as `T` at all: the ordinary decoder reports that).
    static func problems<T: Decodable>(_ type: T.Type, yaml text: String) -> [(line: Int?, message: String)] {
        guard let root = try? Yams.compose(yaml: text) else { return [] }
        let recorder = KeyRecorder()
        do {
            _ = try T(from: RecordingDecoder(node: root, path: "", recorder: recorder))
        } catch {
            return []
        }
        var problems: [(line: Int?, message: String)] = []
        walk(root, path: "", recorder, &problems)
        return problems
    }

    private static func walk(_ node: Node, path: String, _ recorder: KeyRecorder, _ problems: inout [(line: Int?, message: String)]) {
        switch node {
        case .mapping(let mapping):
            let known = recorder.requested[path] ?? []
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                let childPath = path.isEmpty ? name : "\(path).\(name)"
                if known.contains(name) {
                    walk(value, path: childPath, recorder, &problems)
                } else {
                    problems.append((key.mark?.line, message(unknown: name, at: path, known: known)))
                }
            }
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() { walk(item, path: "\(path)[\(index)]", recorder, &problems) }
        default:
            break
        }
    }

    /// A key of the mapping at `path` that is within a typo of `missing`, with its line.
    static func misspelling(of missing: String, at path: [any CodingKey], yaml text: String) -> (key: String, line: Int)? {
        guard var node = try? Yams.compose(yaml: text) else { return nil }
        for step in path {
            switch node {
            case .mapping(let mapping):
                guard let next = mapping.first(where: { $0.key.string == step.stringValue })?.value else { return nil }
                node = next
            case .sequence(let sequence):
                guard let index = step.intValue, index < sequence.count else { return nil }
                node = Array(sequence)[index]
            default:
                return nil
            }
        }
        guard case .mapping(let mapping) = node else { return nil }
        for (key, _) in mapping {
            guard let name = key.string, name != missing, let line = key.mark?.line else { continue }
            if distance(name.lowercased(), missing.lowercased()) <= max(2, missing.count / 3) { return (name, line) }
        }
        return nil
    }

    static func message(unknown name: String, at path: String, known: Set<String>) -> String {
        let field = path.isEmpty ? name : "\(path).\(name)"
        var best: (key: String, distance: Int)?
        for key in known.sorted() {
            let far = distance(key.lowercased(), name.lowercased())
            if far < best?.distance ?? Int.max { best = (key, far) }
        }
        if let best, best.distance <= max(2, name.count / 3) {
            return "\(field): unknown key; did you mean '\(best.key)'?"
        }
        return "\(field): unknown key; known here: \(known.sorted().map { "'\($0)'" }.joined(separator: ", "))"
    }

    static func distance(_ a: String, _ b: String) -> Int { EditDistance.between(a, b) }
}

/// The keys asked for, per mapping (by its path: `sla.targets`, `rules[0]`).
private final class KeyRecorder {
    var requested: [String: Set<String>] = [:]

    func ask(_ key: String, at path: String) { requested[path, default: []].insert(key) }
}

private struct PathKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

private func mismatch(_ type: Any.Type, _ path: String) -> DecodingError {
    DecodingError.typeMismatch(type, .init(codingPath: [PathKey(stringValue: path)], debugDescription: "recording decoder"))
}

/// Decodes a scalar node as the primitive the type asks for.
private func scalar<T>(_ node: Node, _ type: T.Type, _ path: String) throws -> T {
    let value: Any?
    switch type {
    case is String.Type: value = node.string
    case is Bool.Type: value = node.bool
    case is Double.Type: value = node.float
    case is Float.Type: value = node.float.map { Float($0) }
    case is Int.Type: value = node.int
    case is Int8.Type: value = node.int.flatMap(Int8.init(exactly:))
    case is Int16.Type: value = node.int.flatMap(Int16.init(exactly:))
    case is Int32.Type: value = node.int.flatMap(Int32.init(exactly:))
    case is Int64.Type: value = node.int.map { Int64($0) }
    case is UInt.Type: value = node.int.flatMap(UInt.init(exactly:))
    case is UInt8.Type: value = node.int.flatMap(UInt8.init(exactly:))
    case is UInt16.Type: value = node.int.flatMap(UInt16.init(exactly:))
    case is UInt32.Type: value = node.int.flatMap(UInt32.init(exactly:))
    case is UInt64.Type: value = node.int.flatMap(UInt64.init(exactly:))
    default: value = nil
    }
    guard let typed = value as? T else { throw mismatch(type, path) }
    return typed
}

private func isNull(_ node: Node?) -> Bool {
    guard let node else { return true }
    return node.null != nil
}

/// Decodes `T` from `node`; types read from one scalar in their own way (dates) need no keys
/// and get a stand-in value.
private func decodeValue<T: Decodable>(_ type: T.Type, _ node: Node, _ path: String, _ recorder: KeyRecorder) throws -> T {
    if type == Date.self, let now = Date() as? T { return now }
    return try T(from: RecordingDecoder(node: node, path: path, recorder: recorder))
}

private struct RecordingDecoder: Decoder {
    let node: Node
    let path: String
    let recorder: KeyRecorder
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node else { throw mismatch([String: Any].self, path) }
        recorder.requested[path, default: []] = recorder.requested[path, default: []]
        return KeyedDecodingContainer(Keyed(mapping: mapping, path: path, recorder: recorder))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node else { throw mismatch([Any].self, path) }
        return Unkeyed(items: Array(sequence), path: path, recorder: recorder)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        Single(node: node, path: path, recorder: recorder)
    }
}

private struct Single: SingleValueDecodingContainer {
    let node: Node
    let path: String
    let recorder: KeyRecorder
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { isNull(node) }
    func decode(_ type: Bool.Type) throws -> Bool { try scalar(node, type, path) }
    func decode(_ type: String.Type) throws -> String { try scalar(node, type, path) }
    func decode(_ type: Double.Type) throws -> Double { try scalar(node, type, path) }
    func decode(_ type: Float.Type) throws -> Float { try scalar(node, type, path) }
    func decode(_ type: Int.Type) throws -> Int { try scalar(node, type, path) }
    func decode(_ type: Int8.Type) throws -> Int8 { try scalar(node, type, path) }
    func decode(_ type: Int16.Type) throws -> Int16 { try scalar(node, type, path) }
    func decode(_ type: Int32.Type) throws -> Int32 { try scalar(node, type, path) }
    func decode(_ type: Int64.Type) throws -> Int64 { try scalar(node, type, path) }
    func decode(_ type: UInt.Type) throws -> UInt { try scalar(node, type, path) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar(node, type, path) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar(node, type, path) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar(node, type, path) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar(node, type, path) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeValue(type, node, path, recorder)
    }
}

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let mapping: Node.Mapping
    let path: String
    let recorder: KeyRecorder
    var codingPath: [any CodingKey] { [] }

    var allKeys: [Key] { mapping.compactMap { $0.key.string.flatMap(Key.init(stringValue:)) } }

    private func child(_ key: Key) -> Node? {
        recorder.ask(key.stringValue, at: path)
        return lookup(key.stringValue)
    }

    private func lookup(_ name: String) -> Node? { mapping.first { $0.key.string == name }?.value }

    private func childPath(_ key: Key) -> String { path.isEmpty ? key.stringValue : "\(path).\(key.stringValue)" }

    private func value<T>(_ key: Key, _ type: T.Type) throws -> T {
        guard let node = child(key) else { throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "missing")) }
        return try scalar(node, type, childPath(key))
    }

    func contains(_ key: Key) -> Bool {
        recorder.ask(key.stringValue, at: path)
        return lookup(key.stringValue) != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool { isNull(child(key)) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value(key, type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try value(key, type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value(key, type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try value(key, type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value(key, type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try value(key, type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try value(key, type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value(key, type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value(key, type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try value(key, type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try value(key, type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try value(key, type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try value(key, type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try value(key, type) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let node = child(key) else { throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "missing")) }
        return try decodeValue(type, node, childPath(key), recorder)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        guard let node = child(key) else { throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "missing")) }
        return try RecordingDecoder(node: node, path: childPath(key), recorder: recorder).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        guard let node = child(key) else { throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "missing")) }
        return try RecordingDecoder(node: node, path: childPath(key), recorder: recorder).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { RecordingDecoder(node: .mapping(mapping), path: path, recorder: recorder) }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        guard let node = child(key) else { throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "missing")) }
        return RecordingDecoder(node: node, path: childPath(key), recorder: recorder)
    }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let items: [Node]
    let path: String
    let recorder: KeyRecorder
    var currentIndex = 0
    var codingPath: [any CodingKey] { [] }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> (Node, String) {
        guard !isAtEnd else { throw DecodingError.valueNotFound(Any.self, .init(codingPath: [], debugDescription: "end of sequence")) }
        defer { currentIndex += 1 }
        return (items[currentIndex], "\(path)[\(currentIndex)]")
    }

    private mutating func value<T>(_ type: T.Type) throws -> T {
        let (node, at) = try next()
        return try scalar(node, type, at)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, isNull(items[currentIndex]) else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try value(type) }
    mutating func decode(_ type: String.Type) throws -> String { try value(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try value(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try value(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try value(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try value(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try value(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try value(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try value(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try value(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try value(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try value(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try value(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try value(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (node, at) = try next()
        return try decodeValue(type, node, at, recorder)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (node, at) = try next()
        return try RecordingDecoder(node: node, path: at, recorder: recorder).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, at) = try next()
        return try RecordingDecoder(node: node, path: at, recorder: recorder).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, at) = try next()
        return RecordingDecoder(node: node, path: at, recorder: recorder)
    }
}
