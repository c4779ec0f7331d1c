import Foundation

extension TenantService {
    public func createCustomer(_ principal: Principal, _ input: NewCustomer) async throws -> Customer {
        try Self.requireStaff(principal)
        _ = try await tenant(for: principal)
        let phone = try Check.phone(input.phoneNumber)
        let email = try Check.optionalText(input.email, field: "email", max: 254)
        if let email, !email.contains("@") { throw DocketError.invalid("email", "must be an email address") }
        guard phone != nil || email != nil else {
            throw DocketError.invalid("phoneNumber", "a customer needs a phone number or an email")
        }
        if let tier = input.tier, !Identifier.isValid(tier) || tier.count > 32 {
            throw DocketError.invalid("tier", "must be 1-32 lowercase letters, digits, - or _")
        }
        var customer = Customer(
            id: try Check.identifier(input.id, field: "id") ?? IdentifierGenerator.make(), tenantId: principal.tenantId,
            phoneNumber: phone,
            firstName: try Check.optionalText(input.firstName, field: "firstName", max: 100),
            lastName: try Check.optionalText(input.lastName, field: "lastName", max: 100),
            email: email, createdAt: clock.now())
        customer.tier = input.tier
        customer.avatarUrl = try Check.url(input.avatarUrl, field: "avatarUrl")
        try await stores.people.insertCustomer(customer)
        return customer
    }

    public func customer(_ principal: Principal, _ id: String) async throws -> Customer {
        _ = try await tenant(for: principal)
        guard principal.isStaff || principal.subject == id,
            let customer = try await stores.people.customer(tenantId: principal.tenantId, id: id)
        else { throw DocketError.notFound("customer", id) }
        return customer
    }

    public func listCustomers(_ principal: Principal, page: Int, limit: Int) async throws -> Page<Customer> {
        try Self.requireStaff(principal)
        _ = try await tenant(for: principal)
        try Self.checkPage(page: page, limit: limit)
        return try await stores.people.listCustomers(tenantId: principal.tenantId, page: page, limit: limit)
    }

    public func createAgent(_ principal: Principal, _ input: NewAgent) async throws -> Agent {
        try Self.requireAdmin(principal)
        _ = try await tenant(for: principal)
        let email = try Self.agentEmail(input.email)
        let capacity = try Self.agentCapacity(input.capacity ?? 10)
        let skills = try Self.agentSkills(input.skills ?? [])
        var agent = Agent(
            id: try Check.identifier(input.id, field: "id") ?? IdentifierGenerator.make(), tenantId: principal.tenantId,
            name: try Check.text(input.name, field: "name", max: 100), email: email, role: input.role ?? .agent,
            skills: skills, capacity: capacity, createdAt: clock.now())
        agent.avatarUrl = try Check.url(input.avatarUrl, field: "avatarUrl")
        try await stores.people.insertAgent(agent)
        agentDirectory.forget(agent.tenantId)
        return agent
    }

    /// Changes an agent (admins): name, e-mail, role, skills, capacity, picture, and whether it
    /// is active. Deactivating ends the agent's console sessions; routing stops offering it
    /// at once (the agent cache is dropped) and assignments to it are refused.
    public func updateAgent(_ principal: Principal, _ id: String, _ patch: AgentPatch) async throws -> Agent {
        try Self.requireAdmin(principal)
        _ = try await tenant(for: principal)
        guard var agent = try await stores.people.agent(tenantId: principal.tenantId, id: id) else { throw DocketError.notFound("agent", id) }
        if let name = patch.name { agent.name = try Check.text(name, field: "name", max: 100) }
        if patch.email != nil { agent.email = try Self.agentEmail(patch.email) }
        if let role = patch.role { agent.role = role }
        if let skills = patch.skills { agent.skills = try Self.agentSkills(skills) }
        if let capacity = patch.capacity { agent.capacity = try Self.agentCapacity(capacity) }
        if patch.avatarUrl != nil { agent.avatarUrl = try Check.url(patch.avatarUrl, field: "avatarUrl") }
        if let active = patch.active { agent.active = active }
        guard try await stores.people.replaceAgent(agent) else { throw DocketError.notFound("agent", id) }
        agentDirectory.forget(agent.tenantId)
        if !agent.isActive { _ = try await stores.accounts.endSessions(tenantId: agent.tenantId, subject: agent.id, at: clock.now()) }
        return agent
    }

    static func agentEmail(_ value: String?) throws -> String? {
        let email = try Check.optionalText(value, field: "email", max: 254)
        if let email, !email.contains("@") { throw DocketError.invalid("email", "must be an email address") }
        return email
    }

    static func agentCapacity(_ capacity: Int) throws -> Int {
        guard (1...1000).contains(capacity) else { throw DocketError.invalid("capacity", "must be between 1 and 1000") }
        return capacity
    }

    static func agentSkills(_ skills: [String]) throws -> [String] {
        guard skills.count <= 50 else { throw DocketError.invalid("skills", "at most 50 skills") }
        return try skills.enumerated().map { index, skill in try Check.text(skill, field: "skills[\(index)]", max: 50).lowercased() }
    }

    public func agent(_ principal: Principal, _ id: String) async throws -> Agent {
        try Self.requireStaff(principal)
        _ = try await tenant(for: principal)
        guard let agent = try await stores.people.agent(tenantId: principal.tenantId, id: id) else {
            throw DocketError.notFound("agent", id)
        }
        return agent
    }

    public func listAgents(_ principal: Principal, page: Int, limit: Int) async throws -> Page<Agent> {
        try Self.requireStaff(principal)
        _ = try await tenant(for: principal)
        try Self.checkPage(page: page, limit: limit)
        return try await stores.people.listAgents(tenantId: principal.tenantId, page: page, limit: limit)
    }
}

extension UseCase {
    static func checkPage(page: Int, limit: Int) throws {
        guard (1...TicketQuery.maxLimit).contains(limit) else {
            throw DocketError(.badRequest, "limit must be between 1 and \(TicketQuery.maxLimit)", field: "limit")
        }
        guard (1...1_000_000).contains(page) else {
            throw DocketError(.badRequest, "page must be between 1 and 1000000", field: "page")
        }
    }
}
