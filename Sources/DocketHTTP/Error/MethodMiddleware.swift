import DocketCore
import HTTPTypes
import Hummingbird

/// A known path asked with a method it does not take answers 405 with `Allow` (the methods it
/// takes), before authentication and before any body is read; an unknown path goes on (404).
/// The paths and methods are the registry's endpoints, loaded once every route is registered.
struct MethodMiddleware: RouterMiddleware {
    typealias Context = DocketRequestContext

    /// Endpoint paths as segments (`nil` for a `:parameter`) with the methods each takes.
    final class Table: @unchecked Sendable {
        // Written once by `load`, when the routes are built, before the server starts; only read after.
        private var rows: [Int: [(segments: [Substring?], methods: Set<HTTPRequest.Method>)]] = [:]

        func load(_ endpoints: [Endpoint]) {
            var byPath: [String: Set<HTTPRequest.Method>] = [:]
            for endpoint in endpoints { byPath[endpoint.path, default: []].insert(endpoint.method) }
            rows = [:]
            for (path, methods) in byPath {
                let segments: [Substring?] = path.split(separator: "/").map { $0.hasPrefix(":") ? nil : $0 }
                rows[segments.count, default: []].append((segments, methods))
            }
        }

        /// The methods `path` takes: nil when no endpoint has that path. A literal segment
        /// wins over a parameter (`/tickets/stats` is not `/tickets/:id`).
        func methods(for path: String) -> Set<HTTPRequest.Method>? {
            let parts = path.split(separator: "/")
            guard let candidates = rows[parts.count] else { return nil }
            var best: (literals: Int, methods: Set<HTTPRequest.Method>)?
            for row in candidates {
                var literals = 0
                var matches = true
                for (pattern, part) in zip(row.segments, parts) {
                    if let pattern {
                        guard pattern == part else { matches = false; break }
                        literals += 1
                    }
                }
                if matches, literals > best?.literals ?? -1 { best = (literals, row.methods) }
                else if matches, literals == best?.literals { best?.methods.formUnion(row.methods) }
            }
            return best?.methods
        }
    }

    let table: Table

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/api/") || path == "/openapi.json" || path == "/health" || path == "/metrics" || path.hasPrefix("/socket.io"),
            let methods = table.methods(for: path)
        else { return try await next(request, context) }
        let method = request.method == .head ? HTTPRequest.Method.get : request.method
        guard !methods.contains(method) else { return try await next(request, context) }
        let allowed = methods.union(methods.contains(.get) ? [.head] : []).map(\.rawValue).sorted()
        var response = ErrorMiddleware<Context>.response(
            ErrorMiddleware<Context>.Body(error: .init(
                code: "method_not_allowed", message: "\(request.method.rawValue) is not allowed on \(path); allowed: \(allowed.joined(separator: ", "))")),
            status: .methodNotAllowed)
        response.headers[.allow] = allowed.joined(separator: ", ")
        return response
    }
}
