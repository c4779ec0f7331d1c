import DocketCore
import Foundation
import Synchronization

/// Tenants, pack versions, recorded rule events, people, API keys and tool calls.
extension MemoryTicketStore {
    // MARK: - Tenants, packs and recorded rule events

    public func tenant(id: String) async throws -> Tenant? {
        state.withLock { $0.tenants[id] }
    }

    public func insertTenant(_ tenant: Tenant) async throws {
        try state.withLock { state in
            guard state.tenants[tenant.id] == nil else { throw DocketError(.conflict, "tenant '\(tenant.id)' already exists") }
            state.tenants[tenant.id] = tenant
        }
    }

    public func updateTenant(_ tenant: Tenant, expectedVersion: Int, outbox: Outbox) async throws -> [LiveEvent]? {
        state.withLock { state in
            guard state.tenants[tenant.id]?.version == expectedVersion else { return nil }
            state.tenants[tenant.id] = tenant
            return state.write(outbox)
        }
    }

    public func listTenants(page: Int, limit: Int) async throws -> Page<Tenant> {
        let all = state.withLock { $0.tenants.values.sorted { $0.id < $1.id } }
        return Self.page(all, page: page, limit: limit)
    }

    public func insertPackVersion(_ version: PackVersion) async throws {
        try state.withLock { state in
            let key = "\(version.summary.packId)@\(version.summary.version)"
            guard state.packVersions[key] == nil else { throw DocketError(.conflict, "pack version \(key) already exists") }
            state.packVersions[key] = version
        }
    }

    public func packVersion(packId: String, version: String) async throws -> PackVersion? {
        state.withLock { $0.packVersions["\(packId)@\(version)"] }
    }

    public func packVersionSummaries() async throws -> [PackVersionSummary] {
        state.withLock { state in
            state.packVersions.values.map(\.summary).sorted { ($0.packId, $0.createdAt) < ($1.packId, $1.createdAt) }
        }
    }

    public func recentRuleEvents(tenantId: String, limit: Int) async throws -> [RecordedRuleEvent] {
        state.withLock { state in Array((state.ruleEvents[tenantId] ?? []).reversed().prefix(limit)) }
    }

    public func ticketRuleEvents(tenantId: String, ticketId: String, limit: Int) async throws -> [RecordedRuleEvent] {
        state.withLock { state in Array((state.ruleEvents[tenantId] ?? []).reversed().lazy.filter { $0.ticketId == ticketId }.prefix(limit)) }
    }

    // MARK: - People

    public func insertCustomer(_ customer: Customer) async throws {
        try state.withLock { state in
            let existing = state.customers[customer.tenantId] ?? [:]
            guard existing[customer.id] == nil else { throw DocketError(.conflict, "customer '\(customer.id)' already exists") }
            if let phone = customer.phoneNumber, existing.values.contains(where: { $0.phoneNumber == phone }) {
                throw DocketError(.conflict, "phone number \(phone) already belongs to a customer")
            }
            state.customers[customer.tenantId, default: [:]][customer.id] = customer
        }
    }

    public func replaceCustomer(_ customer: Customer) async throws -> Bool {
        try state.withLock { state in
            guard let old = state.customers[customer.tenantId]?[customer.id] else { return false }
            if let phone = customer.phoneNumber, state.customers[customer.tenantId]?.values.contains(where: { $0.id != customer.id && $0.phoneNumber == phone }) == true {
                throw DocketError(.conflict, "phone number \(phone) already belongs to a customer")
            }
            var replaced = customer
            replaced.statistics = old.statistics
            state.customers[customer.tenantId]?[customer.id] = replaced
            return true
        }
    }

    public func customer(tenantId: String, id: String) async throws -> Customer? {
        state.withLock { $0.customers[tenantId]?[id] }
    }

    public func customer(tenantId: String, phone: String) async throws -> Customer? {
        state.withLock { $0.customers[tenantId]?.values.first { $0.phoneNumber == phone } }
    }

    public func customer(tenantId: String, email: String) async throws -> Customer? {
        let key = email.lowercased()
        return state.withLock { state in
            (state.customers[tenantId]?.values.filter { $0.email?.lowercased() == key } ?? [])
                .min { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func listCustomers(tenantId: String, page: Int, limit: Int) async throws -> Page<Customer> {
        let all = state.withLock { state in
            (state.customers[tenantId] ?? [:]).values.sorted { ($1.createdAt, $0.id) < ($0.createdAt, $1.id) }
        }
        return Self.page(all, page: page, limit: limit)
    }

    public func insertAgent(_ agent: Agent) async throws {
        try state.withLock { state in
            let existing = state.agents[agent.tenantId] ?? [:]
            guard existing[agent.id] == nil else { throw DocketError(.conflict, "agent '\(agent.id)' already exists") }
            if let email = agent.email?.lowercased(), existing.values.contains(where: { $0.email?.lowercased() == email }) {
                throw DocketError(.conflict, "e-mail \(email) already belongs to an agent")
            }
            state.agents[agent.tenantId, default: [:]][agent.id] = agent
        }
    }

    public func agent(tenantId: String, id: String) async throws -> Agent? {
        state.withLock { $0.agents[tenantId]?[id] }
    }

    public func replaceAgent(_ agent: Agent) async throws -> Bool {
        try state.withLock { state in
            let existing = state.agents[agent.tenantId] ?? [:]
            guard existing[agent.id] != nil else { return false }
            if let email = agent.email?.lowercased(), existing.values.contains(where: { $0.id != agent.id && $0.email?.lowercased() == email }) {
                throw DocketError(.conflict, "e-mail \(email) already belongs to an agent")
            }
            state.agents[agent.tenantId, default: [:]][agent.id] = agent
            return true
        }
    }

    public func listAgents(tenantId: String, page: Int, limit: Int) async throws -> Page<Agent> {
        let all = state.withLock { state in
            (state.agents[tenantId] ?? [:]).values.sorted { ($1.createdAt, $0.id) < ($0.createdAt, $1.id) }
        }
        return Self.page(all, page: page, limit: limit)
    }

    // MARK: - API keys and tool calls

    public func insertApiKey(_ key: ApiKey) async throws {
        try state.withLock { state in
            guard state.apiKeys[key.id] == nil else { throw DocketError(.conflict, "API key '\(key.id)' already exists") }
            state.apiKeys[key.id] = key
        }
    }

    public func apiKey(id: String) async throws -> ApiKey? {
        state.withLock { $0.apiKeys[id] }
    }

    public func listApiKeys(tenantId: String) async throws -> [ApiKey] {
        state.withLock { state in
            state.apiKeys.values.filter { $0.tenantId == tenantId }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func revokeApiKey(tenantId: String, id: String, by: String, at: Date) async throws -> Bool {
        state.withLock { state in
            guard var key = state.apiKeys[id], key.tenantId == tenantId, key.revokedAt == nil else { return false }
            key.revokedAt = at
            key.revokedBy = by
            state.apiKeys[id] = key
            return true
        }
    }

    public func claimToolCall(tenantId: String, callId: String, at: Date) async throws -> ToolCallRecord? {
        state.withLock { state in
            let key = TicketKey(tenantId: tenantId, ticketId: callId)
            if let existing = state.toolCalls[key] { return existing }
            state.toolCalls[key] = ToolCallRecord(tenantId: tenantId, callId: callId, output: nil, createdAt: at)
            return nil
        }
    }

    public func completeToolCall(tenantId: String, callId: String, output: String) async throws {
        state.withLock { $0.toolCalls[TicketKey(tenantId: tenantId, ticketId: callId)]?.output = output }
    }

    public func toolCall(tenantId: String, callId: String) async throws -> ToolCallRecord? {
        state.withLock { $0.toolCalls[TicketKey(tenantId: tenantId, ticketId: callId)] }
    }

    static func page<Item>(_ all: [Item], page: Int, limit: Int) -> Page<Item> {
        let start = min(max(page - 1, 0) * limit, all.count)
        return Page(items: Array(all[start..<min(start + limit, all.count)]), page: page, limit: limit, total: all.count)
    }
}
