import DocketCore
import Foundation
import Hummingbird
import Prometheus

struct HealthBody: Codable, Sendable {
    struct Store: Codable, Sendable {
        var kind: String
        var status: String
        var detail: String?
    }
    var status: String
    var version: String
    var store: Store
}

/// `/health`, `/metrics` and `/openapi.json`: no token needed.
struct SystemController: Sendable {
    let services: DocketServices
    let metrics: PrometheusCollectorRegistry
    let version: String
    let storeKind: String

    func register(_ routes: RouteRegistry) {
        let services = services
        let metrics = metrics
        let version = version
        let storeKind = storeKind

        routes.add(Endpoint(
            method: .get, path: "/health", summary: "Liveness and store status (503 while the store is unavailable)",
            tag: "System", access: "anyone", success: (200, "Health"), errors: [503], secured: false)
        ) { request, context in
            do {
                try await services.core.stores.health.ping()
                return try APICoding.response(HealthBody(
                    status: "ok", version: version, store: .init(kind: storeKind, status: "ok", detail: nil)))
            } catch {
                context.logger.warning("store ping failed", metadata: ["error": "\(error)"])
                return try APICoding.response(
                    HealthBody(status: "degraded", version: version, store: .init(kind: storeKind, status: "unavailable", detail: "\(error)")),
                    status: .serviceUnavailable)
            }
        }

        routes.add(Endpoint(
            method: .get, path: "/metrics", summary: "Prometheus metrics in the text exposition format", tag: "System",
            access: "anyone", success: (200, nil), secured: false)
        ) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    }

    /// Registers `/openapi.json` last, describing every route including itself.
    func registerDocument(_ routes: RouteRegistry) throws {
        let endpoint = Endpoint(
            method: .get, path: "/openapi.json", summary: "This OpenAPI 3.1 document", tag: "System", access: "anyone",
            success: (200, nil), secured: false)
        let data = try OpenAPIDocument.json(endpoints: routes.endpoints + [endpoint], version: version)
        routes.add(endpoint) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
