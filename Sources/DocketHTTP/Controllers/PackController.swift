import DocketCore
import Foundation
import Hummingbird

/// `/api/v2/packs` and `/api/v2/tenants`: pack versions, tenants and live pack activation.
/// Tenant admins manage their own tenant and its private packs; platform admins manage all.
struct PackController: Sendable {
    let services: DocketServices
    let limits: HTTPLimits

    /// Largest pack upload: the bundle's own limit on its files plus room for JSON escaping.
    static let maxUploadBytes = PackBundle.maxTotalBytes + PackBundle.maxTotalBytes / 2

    func register(_ routes: RouteRegistry) {

        routes.add(Endpoint(
            method: .post, path: "/api/v2/packs",
            summary: "Upload a pack as a new immutable version ({\"files\": {path: text}}); validated completely first",
            tag: "Packs", access: "admin (tenant admins' packs are private to their tenant)", body: "PackBundle",
            success: (201, "PackVersionEnvelope"), errors: [400, 403, 409, 413, 415, 422]), use: upload)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/packs/check",
            summary: "Check a pack as an upload would, storing nothing: every problem at its file and line, every fixture case with expected and actual actions",
            tag: "Packs", access: "admin", body: "PackBundle", success: (200, "PackCheckReport"), errors: [400, 403, 413, 415]), use: check)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/packs", summary: "Packs the caller may use, with their versions", tag: "Packs",
            access: "admin", success: (200, "PackList"), errors: [403]), use: listPacks)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/packs/:id/versions", summary: "Versions of a pack, newest first", tag: "Packs",
            access: "admin", success: (200, "PackVersionList"), errors: [403, 404]), use: versions)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/packs/:id/versions/:version", summary: "One version with its files", tag: "Packs",
            access: "admin", success: (200, "PackVersionDetail"), errors: [403, 404]), use: version)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/packs/:id/versions/:version/simulate",
            summary: "Replay a tenant's latest recorded events through this version and compare with what the active version applied (writes nothing)",
            tag: "Packs", access: "admin of the tenant, platform admin", body: "SimulateRequest", success: (200, "SimulationReport"),
            errors: [400, 403, 404, 413, 415, 422]), use: simulate)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/tenants", summary: "Create a tenant on a pack (the newest version unless one is named)",
            tag: "Tenants", access: "platform admin", body: "NewTenant", success: (201, "TenantEnvelope"),
            errors: [400, 403, 404, 409, 413, 415, 422]), use: createTenant)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/tenants", summary: "Every tenant", tag: "Tenants", access: "platform admin",
            query: PeopleController.pageQuery, success: (200, "TenantList"), errors: [400, 403]), use: listTenants)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/tenants/:id", summary: "A tenant, its active pack version and its pack history", tag: "Tenants",
            access: "admin of the tenant, platform admin", success: (200, "TenantEnvelope"), errors: [403, 404]), use: tenant)

        routes.add(Endpoint(
            method: .put, path: "/api/v2/tenants/:id/pack",
            summary: "Activate a pack or an earlier version (rollback) live; evaluations in flight finish on the old version",
            tag: "Tenants", access: "admin of the tenant, platform admin", body: "PackSelection", success: (200, "TenantEnvelope"),
            errors: [400, 403, 404, 409, 413, 415, 422]), use: switchPack)

        routes.add(Endpoint(
            method: .put, path: "/api/v2/tenants/:id/pack/rollout",
            summary: "Start a staged rollout of a pack version: shadow (evaluated beside the active version, never applied) or canary (decides for a share of tickets), ended by itself when it crosses the rollback limits; one per tenant at a time",
            tag: "Tenants", access: "admin of the tenant, platform admin", body: "RolloutRequest", success: (201, "RolloutEnvelope"),
            errors: [400, 403, 404, 409, 413, 415, 422]), use: startRollout)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/tenants/:id/pack/rollout",
            summary: "The tenant's latest rollout, running or ended, with its live comparison of the two versions ({} when it never had one)",
            tag: "Tenants", access: "admin of the tenant, platform admin", success: (200, "LatestRolloutEnvelope"), errors: [403, 404]), use: rollout)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/tenants/:id/pack/rollout/promote",
            summary: "Make the running rollout's candidate the active version (as PUT /tenants/:id/pack does)",
            tag: "Tenants", access: "admin of the tenant, platform admin", success: (200, "TenantEnvelope"), errors: [403, 404, 409, 422]),
            use: promoteRollout)

        routes.add(Endpoint(
            method: .delete, path: "/api/v2/tenants/:id/pack/rollout",
            summary: "Abort the running rollout: the active version decides everything again; tickets the candidate decided keep what was applied",
            tag: "Tenants", access: "admin of the tenant, platform admin", success: (200, "RolloutEnvelope"), errors: [403, 404]),
            use: abortRollout)
    }

    // MARK: - Handlers

    @Sendable func upload(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let bundle = try await APICoding.decode(PackBundle.self, from: request, limit: Self.maxUploadBytes)
        let summary = try await services.tenants.uploadPack(try context.requirePrincipal(), bundle)
        return try APICoding.response(PackVersionEnvelope(version: summary), status: .created)
    }

    @Sendable func check(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard principal.role.isAdmin else { throw DocketError.forbidden("this operation is for admins") }
        let bundle = try await APICoding.decode(PackBundle.self, from: request, limit: Self.maxUploadBytes)
        return try APICoding.response(try await services.tenants.checkPack(principal, bundle))
    }

    @Sendable func listPacks(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try APICoding.response(PackList(packs: try await services.tenants.packs(try context.requirePrincipal())))
    }

    @Sendable func versions(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let versions = try await services.tenants.packVersions(try context.requirePrincipal(), try context.pathParameter("id"))
        return try APICoding.response(PackVersionList(versions: versions))
    }

    @Sendable func version(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let stored = try await services.tenants.packVersion(
            try context.requirePrincipal(), try context.pathParameter("id"), try context.pathParameter("version"))
        return try APICoding.response(PackVersionDetail(version: stored.summary, files: stored.bundle.files))
    }

    @Sendable func simulate(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await APICoding.decode(SimulateRequest.self, from: request, limit: limits.maxBodyBytes)
        let report = try await services.tenants.simulate(
            principal, packId: try context.pathParameter("id"), version: try context.pathParameter("version"),
            tenantId: body.tenant ?? principal.tenantId, limit: body.limit)
        return try APICoding.response(report)
    }

    @Sendable func createTenant(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(NewTenant.self, from: request, limit: limits.maxBodyBytes)
        let tenant = try await services.tenants.createTenant(try context.requirePrincipal(), body)
        return try APICoding.response(TenantEnvelope(tenant: TenantView(tenant)), status: .created)
    }

    @Sendable func listTenants(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let reader = QueryReader(request)
        let page = try reader.int("page", default: 1)
        let limit = try reader.int("limit", default: 20)
        let result = try await services.tenants.listTenants(try context.requirePrincipal(), page: page, limit: limit)
        return try APICoding.response(TenantList(tenants: result.items.map(TenantView.init), pagination: Pagination(result)))
    }

    @Sendable func tenant(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let tenant = try await services.tenants.tenantInfo(try context.requirePrincipal(), try context.pathParameter("id"))
        return try APICoding.response(TenantEnvelope(tenant: TenantView(tenant)))
    }

    @Sendable func switchPack(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(PackSelection.self, from: request, limit: limits.maxBodyBytes)
        let tenant = try await services.tenants.activatePack(
            try context.requirePrincipal(), tenantId: try context.pathParameter("id"), body)
        return try APICoding.response(TenantEnvelope(tenant: TenantView(tenant)))
    }

    /// The caller administers the tenant in the path, decided before a body is read.
    func administered(_ context: DocketRequestContext) throws -> (Principal, String) {
        let (principal, id) = (try context.requirePrincipal(), try context.pathParameter("id"))
        guard principal.administers(id) else { throw DocketError.forbidden("admins manage only their own tenant") }
        return (principal, id)
    }

    @Sendable func startRollout(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let (principal, id) = try administered(context)
        let body = try await APICoding.decode(RolloutRequest.self, from: request, limit: limits.maxBodyBytes)
        let rollout = try await services.tenants.startRollout(principal, tenantId: id, body)
        return try APICoding.response(RolloutEnvelope(rollout: rollout), status: .created)
    }

    @Sendable func rollout(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let (principal, id) = try administered(context)
        return try APICoding.response(LatestRolloutEnvelope(rollout: try await services.tenants.rollout(principal, tenantId: id)))
    }

    @Sendable func promoteRollout(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let (principal, id) = try administered(context)
        return try APICoding.response(TenantEnvelope(tenant: TenantView(try await services.tenants.promoteRollout(principal, tenantId: id))))
    }

    @Sendable func abortRollout(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let (principal, id) = try administered(context)
        return try APICoding.response(RolloutEnvelope(rollout: try await services.tenants.abortRollout(principal, tenantId: id)))
    }
}

struct PackVersionEnvelope: Codable, Sendable { var version: PackVersionSummary }
struct PackList: Codable, Sendable { var packs: [PackListing] }
struct PackVersionList: Codable, Sendable { var versions: [PackVersionSummary] }
struct PackVersionDetail: Codable, Sendable {
    var version: PackVersionSummary
    var files: [String: String]
}
struct SimulateRequest: Codable, Sendable {
    /// The tenant whose events are replayed (default: the caller's).
    var tenant: String?
    var limit: Int?
}

/// A tenant as the API shows it: the active pack by id and version, not the whole manifest.
struct TenantView: Codable, Sendable {
    struct PackRef: Codable, Sendable {
        var id: String
        var version: String
        var name: String
        var locale: String
    }

    var id: String
    var name: String
    var pack: PackRef
    var packPinned: Bool
    var packHistory: [PackActivation]
    /// The staged rollout running now.
    var rollout: RolloutView?
    var overridden: [String]
    var createdAt: Date
    var updatedAt: Date

    init(_ tenant: Tenant) {
        id = tenant.id
        name = tenant.name
        pack = PackRef(id: tenant.pack.id, version: tenant.pack.version, name: tenant.pack.name, locale: tenant.pack.locale)
        packPinned = tenant.packPinned ?? false
        packHistory = tenant.packHistory ?? []
        rollout = tenant.rollout.map {
            RolloutView(id: $0.id, mode: $0.mode, percent: $0.percent, packId: $0.candidate.id, version: $0.candidate.version, startedAt: $0.startedAt)
        }
        overridden = AllConfigurations(tenant).overridden
        createdAt = tenant.createdAt
        updatedAt = tenant.updatedAt
    }
}
struct RolloutView: Codable, Sendable {
    var id: String
    var mode: RolloutMode
    var percent: Double?
    var packId: String
    var version: String
    var startedAt: Date
}
struct TenantEnvelope: Codable, Sendable { var tenant: TenantView }
struct RolloutEnvelope: Codable, Sendable { var rollout: PackRollout }
/// `{}` when the tenant never had a rollout (nil is left out).
struct LatestRolloutEnvelope: Codable, Sendable { var rollout: PackRollout? }
struct TenantList: Codable, Sendable {
    var tenants: [TenantView]
    var pagination: Pagination
}
