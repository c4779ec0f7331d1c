import CMongoc
import Foundation

/// The codec the adapter used before `BSONEncoder`/`BSONDecoder`: Encodable → JSONEncoder →
/// extended JSON text → `bson_new_from_json`, and back through `bson_as_relaxed_extended_json`
/// and JSONDecoder. Nothing in the store uses it; it stays so `docket-load micro` can measure
/// both paths side by side on this machine.
@_spi(Benchmarks) public enum ExtendedJSONPath {
    struct Relaxed: Decodable {
        let date: String
        enum CodingKeys: String, CodingKey { case date = "$date" }
    }

    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(["$date": ["$numberLong": String(Int64((date.timeIntervalSince1970 * 1000).rounded()))]])
        }
        let json = try encoder.encode(value)
        var error = bson_error_t()
        let parsed: OpaquePointer? = json.withUnsafeBytes { bytes in
            bson_new_from_json(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &error)
        }
        guard let parsed else { throw MongoError(error) }
        return BSONDocument(taking: parsed).bytes
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: Data) throws -> T {
        let document = try BSONDocument(bytes: bytes)
        var length = 0
        guard let text = bson_as_relaxed_extended_json(document.pointer, &length) else {
            throw MongoError(kind: .codec, code: 0, message: "not a BSON document")
        }
        defer { bson_free(text) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(Relaxed.self).date
            guard let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date '\(text)'"))
            }
            return date
        }
        return try decoder.decode(type, from: Data(bytes: text, count: length))
    }
}
