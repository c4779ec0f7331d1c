import DocketCore
import Foundation
import Hummingbird

/// Typed access to query parameters; a malformed value is a 400 naming the parameter.
struct QueryReader {
    let parameters: Parameters

    init(_ request: Request) { parameters = request.uri.queryParameters }

    func string(_ name: String) -> String? {
        guard let value = parameters.get(name), !value.isEmpty else { return nil }
        return value
    }

    /// Repeated or comma-separated values: `status=new,open` or `status=new&status=open`.
    func list(_ name: String) -> [String] {
        parameters.getAll(name).flatMap { $0.split(separator: ",").map { $0.trimmingWhitespace() } }
            .filter { !$0.isEmpty }
    }

    /// An integer; absent is the default, but present and empty is not a number (the document
    /// says integer, and an empty string is none).
    func int(_ name: String, default value: Int) throws -> Int {
        guard let text = parameters.get(name) else { return value }
        guard let number = Int(text) else { throw DocketError(.badRequest, "\(name) must be an integer", field: name) }
        return number
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = parameters.get(name) else { return nil }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw DocketError(.badRequest, "\(name) must be true or false", field: name)
        }
    }

    func date(_ name: String) throws -> Date? {
        guard let text = string(name) else { return nil }
        guard let date = APICoding.parseDate(text) else {
            throw DocketError(.badRequest, "\(name) must be an ISO 8601 date or date-time", field: name)
        }
        return date
    }

    /// One of a fixed set of values; anything else is a 400 that lists them (`details.allowed`).
    func value<T: RawRepresentable & CaseIterable>(_ name: String, as type: T.Type) throws -> T? where T.RawValue == String {
        guard let text = string(name) else { return nil }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue)
            throw DocketError(
                .badRequest, "\(name) has no value '\(text.prefix(64))'; one of \(allowed.joined(separator: ", "))", field: name,
                details: ["allowed": allowed])
        }
        return value
    }
}
