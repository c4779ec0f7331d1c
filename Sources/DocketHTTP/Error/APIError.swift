import DocketCore
import HTTPTypes

/// An error of the HTTP exchange itself (the body's size or type, a status Hummingbird
/// answered), as opposed to the core's `DocketError`s. Rendered the same way:
/// `{"error":{"code","message"}}` with `status`.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    static func payloadTooLarge(_ limit: Int) -> APIError {
        APIError(status: .contentTooLarge, code: "payload_too_large", message: "the body is larger than \(limit) bytes")
    }

    static let unsupportedMediaType = APIError(
        status: .unsupportedMediaType, code: "unsupported_media_type", message: "the body must be application/json")

    /// A status some other layer answered, with the code the API uses for it.
    init(status: HTTPResponse.Status, message: String? = nil) {
        self.status = status
        self.message = message ?? status.reasonPhrase
        code =
            switch status.code {
            case 413: "payload_too_large"
            case 415: "unsupported_media_type"
            case 400: DocketError.Code.badRequest.rawValue
            case 401: DocketError.Code.unauthorized.rawValue
            case 403: DocketError.Code.forbidden.rawValue
            case 404: DocketError.Code.notFound.rawValue
            case 409: DocketError.Code.conflict.rawValue
            case 422: DocketError.Code.validation.rawValue
            case 426: "upgrade_required"
            // A 503 that is not the store's (those come as DocketError): the server is busy or stopping.
            case 503: "unavailable"
            default: status.code < 500 ? DocketError.Code.badRequest.rawValue : DocketError.Code.internalError.rawValue
            }
    }

    init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }
}
