import DocketCore
import DocketWire
import Foundation
import HTTPTypes
import Hummingbird

/// JSON as the API speaks it: ISO 8601 dates with milliseconds, sorted keys.
public enum APICoding {
    public static let encoder = JSONEncoder.isoMilliseconds()

    /// `value` as JSON text (WebSocket frames).
    static func text<T: Encodable>(_ value: T) -> String {
        // Encoding our own plain structs cannot fail; an empty object keeps a frame valid if it ever did.
        (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 date")
            }
            return date
        }
        return decoder
    }()

    static func parseDate(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().year().month().day().parse(text) { return date }
        return nil
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        response(json: try encoder.encode(value), status: status)
    }

    /// The same response for a type that writes its own JSON (`JSONOut`).
    static func response(writing value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: JSONOut.data(value, dates: .iso8601))))
    }

    /// A response whose body is JSON already written.
    static func response(json: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    /// Reads a JSON body of at most `limit` bytes; 415 if not JSON, 413 if too big,
    /// 400 naming the field for malformed JSON, a wrong type or a missing field.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        guard let contentType = request.headers[.contentType],
            contentType.lowercased().hasPrefix("application/json")
        else { throw APIError.unsupportedMediaType }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.payloadTooLarge(limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit)
        }
        // The hot bodies are read straight from the bytes; anything that reader is not sure
        // of is read again by Foundation, which decides and words the error.
        if let readable = T.self as? any JSONReadable.Type,
            let value = buffer.withUnsafeReadableBytes({ try? JSONIn.read(readable, from: $0) }) as? T
        {
            return value
        }
        let data = Data(buffer: buffer)
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            // Foundation calls a number that does not fit its field (4.5 for a whole number)
            // "not valid JSON"; a body that does parse gets the words for what is wrong.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, (try? JSONSerialization.jsonObject(with: data)) != nil {
                throw DocketError(
                    .badRequest, "a number in the body does not fit its field: whole numbers (rating, limit, capacity, padLength...) take no decimals")
            }
            throw badRequest(error)
        }
    }

    /// The values each enumerated type accepts, by the type's name as the decoder reports it.
    static let allowedValues: [String: [String]] = [
        "Priority": Priority.allCases.map(\.rawValue), "TicketSource": TicketSource.allCases.map(\.rawValue),
        "Role": Role.allCases.map(\.rawValue), "AgentRole": AgentRole.allCases.map(\.rawValue),
        "MessageKind": MessageKind.allCases.map(\.rawValue), "MessageSender": MessageSender.allCases.map(\.rawValue),
        "AuthorRole": AuthorRole.allCases.map(\.rawValue), "Purpose": ["invite", "reset"],
    ]

    static func badRequest(_ error: DecodingError) -> DocketError {
        func path(_ keys: [any CodingKey]) -> String { CodingPath.describe(keys) }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return DocketError(.badRequest, "\(field) is required", field: field)
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return DocketError(.badRequest, "\(field.isEmpty ? "body" : field) must be \(describe(type))", field: field.isEmpty ? nil : field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return DocketError(.badRequest, "\(field) must be \(describe(type)), not null", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty { return DocketError(.badRequest, "the body is not valid JSON") }
            // "Cannot initialize Priority from invalid String value critical": name the allowed values.
            let words = context.debugDescription.split(separator: " ")
            if let index = words.firstIndex(of: "initialize"), index + 1 < words.count,
                let allowed = allowedValues[String(words[index + 1])]
            {
                return DocketError(
                    .badRequest, "\(field) must be one of \(allowed.joined(separator: ", "))", field: field, details: ["allowed": allowed])
            }
            if context.debugDescription.contains("ISO 8601") {
                return DocketError(.badRequest, "\(field) must be an ISO 8601 date, e.g. 2026-11-30T15:00:00Z", field: field)
            }
            return DocketError(.badRequest, "\(field) has a value that cannot be read", field: field)
        @unknown default:
            return DocketError(.badRequest, "the body could not be read")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}
