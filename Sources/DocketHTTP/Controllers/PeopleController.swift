import DocketCore
import Hummingbird

/// `/api/v2/customers` and `/api/v2/agents`.
struct PeopleController: Sendable {
    let services: DocketServices
    let limits: HTTPLimits

    static let pageQuery: [Endpoint.QueryParameter] = [
        .page(),
        .limit(),
    ]

    func register(_ routes: RouteRegistry) {

        routes.add(Endpoint(
            method: .post, path: "/api/v2/customers", summary: "Register a customer (phone number unique per tenant)",
            tag: "Customers", access: "agent, admin", body: "NewCustomer", success: (201, "CustomerEnvelope"),
            errors: [400, 403, 409, 413, 415, 422]), use: createCustomer)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/customers", summary: "List customers, newest first", tag: "Customers",
            access: "agent, admin", query: Self.pageQuery, success: (200, "CustomerList"), errors: [400, 403]), use: listCustomers)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/customers/:id", summary: "A customer with ticket statistics", tag: "Customers",
            access: "agent, admin, or that customer", success: (200, "CustomerEnvelope"), errors: [404]), use: customer)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/agents", summary: "Register an agent (email unique per tenant)", tag: "Agents",
            access: "admin", body: "NewAgent", success: (201, "AgentEnvelope"), errors: [400, 403, 409, 413, 415, 422]), use: createAgent)

        routes.add(Endpoint(
            method: .patch, path: "/api/v2/agents/:id",
            summary: "Change an agent: name, e-mail, role, skills, capacity, picture, active (false deactivates: sessions end, no routing, no assignment)",
            tag: "Agents", access: "admin", body: "AgentPatch", success: (200, "AgentEnvelope"), errors: [400, 403, 404, 409, 413, 415, 422]), use: updateAgent)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/agents", summary: "List agents, newest first", tag: "Agents",
            access: "agent, admin", query: Self.pageQuery, success: (200, "AgentList"), errors: [400, 403]), use: listAgents)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/agents/:id", summary: "An agent", tag: "Agents", access: "agent, admin",
            success: (200, "AgentEnvelope"), errors: [403, 404]), use: agent)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/presence",
            summary: "Agents' presence: online (a session open), away (they said so) or offline; admins see everyone's, an agent their own",
            tag: "Agents", access: "agent, admin", success: (200, "PresenceList"), errors: [403]), use: presence)

        routes.add(Endpoint(
            method: .put, path: "/api/v2/presence/me",
            summary: "Say you are away (routing skips you) or back online; kept across sessions until you change it",
            tag: "Agents", access: "agent, admin", body: "PresenceChoice", success: (200, "PresenceEnvelope"),
            errors: [400, 403, 413, 415, 422]), use: choosePresence)
    }

    // MARK: - Handlers

    @Sendable func createCustomer(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let input = try await APICoding.decode(NewCustomer.self, from: request, limit: limits.maxBodyBytes)
        let customer = try await services.tenants.createCustomer(try context.requirePrincipal(), input)
        return try APICoding.response(CustomerEnvelope(customer: customer), status: .created)
    }

    @Sendable func listCustomers(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let reader = QueryReader(request)
        let page = try await services.tenants.listCustomers(
            try context.requirePrincipal(), page: try reader.int("page", default: 1), limit: try reader.int("limit", default: 20))
        return try APICoding.response(CustomerListEnvelope(customers: page.items, pagination: Pagination(page)))
    }

    @Sendable func customer(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let customer = try await services.tenants.customer(try context.requirePrincipal(), try context.pathParameter("id"))
        return try APICoding.response(CustomerEnvelope(customer: customer))
    }

    @Sendable func createAgent(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let input = try await APICoding.decode(NewAgent.self, from: request, limit: limits.maxBodyBytes)
        let agent = try await services.tenants.createAgent(try context.requirePrincipal(), input)
        return try APICoding.response(AgentEnvelope(agent: agent), status: .created)
    }

    @Sendable func updateAgent(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard principal.role.isAdmin else { throw DocketError.forbidden("this operation is for admins") }
        let input = try await APICoding.decode(AgentPatch.self, from: request, limit: limits.maxBodyBytes)
        let agent = try await services.tenants.updateAgent(principal, try context.pathParameter("id"), input)
        return try APICoding.response(AgentEnvelope(agent: agent))
    }

    @Sendable func listAgents(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let reader = QueryReader(request)
        let page = try await services.tenants.listAgents(
            try context.requirePrincipal(), page: try reader.int("page", default: 1), limit: try reader.int("limit", default: 20))
        return try APICoding.response(AgentListEnvelope(agents: page.items, pagination: Pagination(page)))
    }

    @Sendable func presence(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try APICoding.response(PresenceListEnvelope(presence: try await services.presence.list(try context.requirePrincipal())))
    }

    @Sendable func choosePresence(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard principal.hasPresence else {
            throw DocketError.forbidden("only the workspace's agents and admins have a presence")
        }
        let choice = try await APICoding.decode(PresenceChoice.self, from: request, limit: limits.maxBodyBytes)
        guard choice.status != .offline else {
            throw DocketError.invalid("status", "say 'away' or 'online'; you are offline when no session of yours is open")
        }
        let view = try await services.presence.setAway(principal, away: choice.status == .away)
        return try APICoding.response(PresenceEnvelope(presence: view))
    }

    @Sendable func agent(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let agent = try await services.tenants.agent(try context.requirePrincipal(), try context.pathParameter("id"))
        return try APICoding.response(AgentEnvelope(agent: agent))
    }
}
