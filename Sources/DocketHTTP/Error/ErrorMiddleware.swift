import DocketCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1

/// Turns every error into `{"error":{"code","message"}}` with the right status.
/// Errors it does not know are logged at error level and answered 500 without internals.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as DocketError {
            if error.code == .internalError || error.code == .storeUnavailable {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            return Self.response(error)
        } catch let error as APIError {
            return Self.response(error)
        } catch let error as HTTPError {
            return Self.response(APIError(status: error.status, message: error.body))
        } catch let error as HTTPParserError {
            // The client sent broken HTTP, or went away (or was cut off as too slow) mid-body.
            context.logger.debug("request stream broken", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return Self.response(DocketError(.badRequest, error == .invalidEOFState ? "the request ended before its body was complete" : "malformed HTTP: \(error)"))
        } catch let error as any HTTPResponseError {
            return Self.response(APIError(status: error.status))
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return Self.response(DocketError(.internalError, "internal error"))
        }
    }

    static func status(for code: DocketError.Code) -> HTTPResponse.Status {
        switch code {
        case .badRequest: .badRequest
        case .validation: .unprocessableContent
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict, .invalidTransition, .alreadyClaimed: .conflict
        case .storeUnavailable: .serviceUnavailable
        case .tooManyRequests: .tooManyRequests
        case .internalError: .internalServerError
        }
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
            var details: [String: [String]]?
        }
        var error: Detail
    }

    static func response(_ error: DocketError) -> Response {
        var response = response(
            Body(error: .init(code: error.code.rawValue, message: error.message, field: error.field, details: error.details.isEmpty ? nil : error.details)),
            status: status(for: error.code))
        if let wait = error.details["retryAfter"]?.first { response.headers[.retryAfter] = wait }
        return response
    }

    static func response(_ error: APIError) -> Response {
        response(Body(error: .init(code: error.code, message: error.message)), status: error.status)
    }

    static func response(_ body: Body, status: HTTPResponse.Status) -> Response {
        let data = (try? APICoding.encoder.encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":"internal error"}}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if status == .serviceUnavailable { headers[.retryAfter] = "5" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
