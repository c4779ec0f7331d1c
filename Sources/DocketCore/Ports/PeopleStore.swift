import Foundation

/// Customers and agents of a tenant.
public protocol PeopleStore: Sendable {
    /// Inserts a customer; `.conflict` if the id or phone number is taken in the tenant.
    func insertCustomer(_ customer: Customer) async throws
    func customer(tenantId: String, id: String) async throws -> Customer?
    /// The customer with this (normalised) phone number in the tenant.
    func customer(tenantId: String, phone: String) async throws -> Customer?
    func listCustomers(tenantId: String, page: Int, limit: Int) async throws -> Page<Customer>

    /// Inserts an agent; `.conflict` if the id or email is taken in the tenant.
    func insertAgent(_ agent: Agent) async throws
    func agent(tenantId: String, id: String) async throws -> Agent?
    func listAgents(tenantId: String, page: Int, limit: Int) async throws -> Page<Agent>
}
