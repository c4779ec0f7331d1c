import CMongoc
import DocketCore

/// A libmongoc error as a typed value: its (domain, code) pair sorted into what the adapter
/// must react to. This file is the one place that knows libmongoc's numbers.
public struct MongoError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Unique index violation (server code 11000): the core's `.conflict`.
        case duplicateKey
        /// No server could be selected, or the network failed: "store unavailable" (503).
        case unavailable
        /// The server refused an operation it does not support (e.g. 67 CannotCreateIndex for text indexes).
        case unsupported
        /// A bad URI or option.
        case configuration
        /// A document that does not encode or decode.
        case codec
        case other
    }

    public var kind: Kind
    public var domain: UInt32
    public var code: UInt32
    public var message: String

    init(kind: Kind, code: UInt32, message: String, domain: UInt32 = 0) {
        self.kind = kind
        self.domain = domain
        self.code = code
        self.message = message
    }

    init(_ error: bson_error_t) {
        var copy = error
        let message = withUnsafeBytes(of: &copy.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        self.init(kind: Self.kind(domain: error.domain, code: error.code), code: error.code, message: message, domain: error.domain)
    }

    public var description: String { "mongo \(kind.rawValue) (domain \(domain), code \(code)): \(message)" }

    static let duplicateKeyCode: UInt32 = 11000
    static let cannotCreateIndexCode: UInt32 = 67

    static func kind(domain: UInt32, code: UInt32) -> Kind {
        if code == duplicateKeyCode { return .duplicateKey }
        switch domain {
        case MONGOC_ERROR_SERVER_SELECTION.rawValue, MONGOC_ERROR_STREAM.rawValue:
            return .unavailable
        case MONGOC_ERROR_CLIENT.rawValue where code == MONGOC_ERROR_CLIENT_AUTHENTICATE.rawValue:
            return .unavailable
        case MONGOC_ERROR_COMMAND.rawValue where code == MONGOC_ERROR_COMMAND_INVALID_ARG.rawValue:
            return .configuration
        case MONGOC_ERROR_SERVER.rawValue, MONGOC_ERROR_QUERY.rawValue, MONGOC_ERROR_WRITE_CONCERN.rawValue:
            // Server-side codes: 67 CannotCreateIndex, 115 CommandNotSupported, 59 CommandNotFound.
            if code == cannotCreateIndexCode || code == 115 || code == 59 { return .unsupported }
            // Primary stepped down / not writable primary / shutdown in progress: retry later.
            if [91, 189, 10107, 11600, 11602, 13435, 13436].contains(Int(code)) { return .unavailable }
            return .other
        default:
            return .other
        }
    }

    /// The core error the API answers with.
    var docketError: DocketError {
        switch kind {
        case .duplicateKey: DocketError(.conflict, "already exists (duplicate key)")
        case .unavailable: DocketError(.storeUnavailable, "mongodb: \(message)")
        default: DocketError(.internalError, "mongodb: \(message)")
        }
    }
}
