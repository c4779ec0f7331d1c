import Foundation

/// Customers and agents of a tenant.
public protocol PeopleStore: Sendable {
    /// Inserts a customer; `.conflict` if the id or phone number is taken in the tenant.
    func insertCustomer(_ customer: Customer) async throws
    func customer(tenantId: String, id: String) async throws -> Customer?
    /// The customer with this (normalised) phone number in the tenant.
    func customer(tenantId: String, phone: String) async throws -> Customer?
    /// The tenant's first customer (the earliest created) whose e-mail is `email`, compared
    /// without regard to case: how a mail's sender is matched to a customer.
    func customer(tenantId: String, email: String) async throws -> Customer?
    func listCustomers(tenantId: String, page: Int, limit: Int) async throws -> Page<Customer>
    /// Replaces the tenant's customer with the same id (its ticket count is the store's own);
    /// false when there is none.
    func replaceCustomer(_ customer: Customer) async throws -> Bool

    /// Inserts an agent; `.conflict` if the id or email is taken in the tenant.
    func insertAgent(_ agent: Agent) async throws
    func agent(tenantId: String, id: String) async throws -> Agent?
    /// Replaces the tenant's agent with the same id; false when there is none, `.conflict` when
    /// the new e-mail belongs to another agent of the tenant.
    func replaceAgent(_ agent: Agent) async throws -> Bool
    func listAgents(tenantId: String, page: Int, limit: Int) async throws -> Page<Agent>
}
