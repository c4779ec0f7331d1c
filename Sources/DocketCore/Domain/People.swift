import Foundation

/// Who is making a request, as proven by a bearer token.
public enum Role: String, Codable, Sendable, CaseIterable {
    /// `platform` administers every tenant and the shared packs; inside its own tenant it is an admin.
    /// `assistant` is an integration (an AI assistant) acting for customers it identifies by phone
    /// number; it holds API keys, never tokens, and reaches only `/api/v2/assistant`.
    /// `supervisor` is an agent who also sees the whole team's reports (an agent sees their own).
    case platform, admin, agent, supervisor, customer, assistant

    /// Admins of a tenant and platform admins.
    public var isAdmin: Bool { self == .admin || self == .platform }

    /// Who sees every agent's figures in the reports: supervisors and admins.
    public var seesTeamFigures: Bool { self == .supervisor || isAdmin }

    /// The staff role of an agent record's role.
    public init(_ agentRole: AgentRole) {
        switch agentRole {
        case .agent: self = .agent
        case .supervisor: self = .supervisor
        case .admin: self = .admin
        }
    }
}

public struct Principal: Sendable, Equatable {
    public var tenantId: String
    public var role: Role
    /// Agent id for staff, customer id for customers.
    public var subject: String

    public init(tenantId: String, role: Role, subject: String) {
        self.tenantId = tenantId
        self.role = role
        self.subject = subject
    }

    public var isStaff: Bool { role == .agent || role == .supervisor || role == .admin || role == .platform }

    /// Whether the principal is one of the tenant's agents, who have a presence (agents,
    /// supervisors and admins; not platform admins, customers or assistant keys).
    public var hasPresence: Bool { role == .agent || role == .supervisor || role == .admin }

    /// May administer `tenantId`: its own admins, or a platform admin.
    public func administers(_ tenantId: String) -> Bool {
        role == .platform || (role == .admin && self.tenantId == tenantId)
    }
}

public struct CustomerStatistics: Codable, Sendable, Equatable {
    public var totalTickets: Int

    public init(totalTickets: Int = 0) { self.totalTickets = totalTickets }
}

public struct Customer: Codable, Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var phoneNumber: String?
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    /// A service tier such as `vip` that rules may read (`ctx.customer.tier`).
    public var tier: String?
    /// Picture shown next to the customer's messages.
    public var avatarUrl: String?
    public var statistics: CustomerStatistics
    public var createdAt: Date
    /// Mail to `email` came back for good (a bounce): mail out stops writing to it until the
    /// customer writes from it again.
    public var emailBounce: EmailBounce?

    public init(
        id: String, tenantId: String, phoneNumber: String?, firstName: String?, lastName: String?,
        email: String?, statistics: CustomerStatistics = .init(), createdAt: Date
    ) {
        self.id = id
        self.tenantId = tenantId
        self.phoneNumber = phoneNumber
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.statistics = statistics
        self.createdAt = createdAt
    }
}

/// When and why mail to a customer's address came back for good.
public struct EmailBounce: Codable, Sendable, Equatable {
    public var at: Date
    /// The enhanced status code the reporting server gave (`5.1.1`).
    public var status: String
    /// Its words (`Diagnostic-Code`), cut to 300 characters.
    public var reason: String?

    public init(at: Date, status: String, reason: String?) {
        self.at = at
        self.status = status
        self.reason = reason
    }
}

public enum AgentRole: String, Codable, Sendable, CaseIterable {
    case agent, supervisor, admin
}

public struct Agent: Codable, Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var name: String
    public var email: String?
    public var role: AgentRole
    public var skills: [String]
    /// Maximum open tickets this agent should hold at once.
    public var capacity: Int
    /// Picture shown next to the agent's messages.
    public var avatarUrl: String?
    /// False once an admin deactivated the agent: no sign-in, no routing, no assignment (nil: active).
    public var active: Bool?
    public var createdAt: Date

    public var isActive: Bool { active ?? true }

    public init(
        id: String, tenantId: String, name: String, email: String?, role: AgentRole, skills: [String],
        capacity: Int, createdAt: Date
    ) {
        self.id = id
        self.tenantId = tenantId
        self.name = name
        self.email = email
        self.role = role
        self.skills = skills
        self.capacity = capacity
        self.createdAt = createdAt
    }
}
