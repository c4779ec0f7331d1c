import Foundation

/// A pack's `tests/*.yaml`: cases of an event in and the actions expected out.
public struct RuleFixtureFile: Codable, Sendable {
    public struct Defaults: Codable, Sendable {
        public var now: String?
        public var agents: [FixtureAgent]?
        public var customer: FixtureCustomer?
    }

    public var defaults: Defaults?
    public var cases: [RuleFixture]
}

public struct FixtureAgent: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var skills: [String]?
    public var capacity: Int?
    public var openTickets: Int?
}

public struct FixtureCustomer: Codable, Sendable, Equatable {
    public var tier: String?
    public var totalTickets: Int?
}

public struct FixtureTicket: Codable, Sendable, Equatable {
    public var subject: String
    public var description: String
    public var category: String?
    public var priority: Priority?
    public var status: String?
    public var source: TicketSource?
    public var tags: [String]?
    public var queue: String?
    public var assignedAgent: String?
    public var fields: [String: String]?
}

public struct RuleFixture: Codable, Sendable {
    public var name: String
    public var event: String
    /// ISO 8601; the file's default when absent.
    public var now: String?
    public var agents: [FixtureAgent]?
    public var customer: FixtureCustomer?
    public var ticket: FixtureTicket
    public var details: [String: String]?
    /// Actions as flat maps: `{type: set_priority, priority: urgent}`.
    public var expect: [[String: String]]
}

extension RuleAction {
    /// The action as a flat map, the shape fixtures and simulations compare.
    public var fields: [String: String] {
        var out = ["type": name]
        switch self {
        case .setPriority(let p): out["priority"] = p.rawValue
        case .setCategory(let c): out["category"] = c
        case .addTag(let t), .removeTag(let t): out["tag"] = t
        case .routeToQueue(let q): out["queue"] = q
        case .assign(let agent, let strategy):
            if let agent { out["agent"] = agent }
            if let strategy { out["strategy"] = strategy }
        case .setSLAPolicy(let p): out["policy"] = p
        case .escalate(let to, let reason):
            if let to { out["to"] = to }
            out["reason"] = reason
        case .setStatus(let s, let reason):
            out["status"] = s
            if let reason { out["reason"] = reason }
        case .addInternalNote(let text): out["text"] = text
        case .notify(let target, let message):
            out["target"] = target
            out["message"] = message
        }
        return out
    }
}
