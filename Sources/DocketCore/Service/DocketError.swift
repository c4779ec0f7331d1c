import Foundation

/// An error the core reports to its callers; adapters map it to transport statuses.
public struct DocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The request is malformed (bad JSON, wrong type, missing field, bad query).
        case badRequest = "bad_request"
        /// Well-formed but not acceptable (unknown category, too long...).
        case validation = "validation_failed"
        case unauthorized
        case forbidden
        case notFound = "not_found"
        case conflict
        case invalidTransition = "invalid_transition"
        case alreadyClaimed = "already_claimed"
        case storeUnavailable = "store_unavailable"
        /// Too many attempts (failed sign-ins); `details.retryAfter` holds the seconds to wait.
        case tooManyRequests = "too_many_requests"
        case internalError = "internal_error"
    }

    public var code: Code
    public var message: String
    /// The offending input field, when there is one.
    public var field: String?
    /// Extra machine-readable facts, e.g. the allowed transitions.
    public var details: [String: [String]]

    public init(_ code: Code, _ message: String, field: String? = nil, details: [String: [String]] = [:]) {
        self.code = code
        self.message = message
        self.field = field
        self.details = details
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func notFound(_ what: String, _ id: String) -> DocketError {
        DocketError(.notFound, "\(what) '\(id)' not found")
    }

    public static func invalid(_ field: String, _ message: String) -> DocketError {
        DocketError(.validation, "\(field): \(message)", field: field)
    }

    public static func forbidden(_ message: String) -> DocketError { DocketError(.forbidden, message) }
}
