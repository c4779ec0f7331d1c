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
    /// `online` (the default), `away` or `offline`: routing strategies pick among agents online.
    public var presence: PresenceStatus?
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
    /// What happens next on a virtual clock: each step moves it on, fires the timers the case's
    /// `schedule` actions set that came due (as `ticket.timer` events), and expects their actions.
    public var then: [FixtureStep]?
}

/// A step of a fixture case's virtual clock.
public struct FixtureStep: Codable, Sendable {
    /// How far the clock moves: `30m`, `2h`, `1d12h`.
    public var advance: String
    /// The ticket's status and assignee from this step on, as if staff had changed them.
    public var status: String?
    public var assignedAgent: String?
    /// The actions of every timer that fired in this step, in firing order (`[]`: none fired,
    /// or none proposed anything).
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
        case .assign(let agent, let strategy, let presence):
            if let agent { out["agent"] = agent }
            if let strategy { out["strategy"] = strategy }
            if let presence { out["presence"] = presence }
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
        case .webhook(let endpoint, let event):
            out["endpoint"] = endpoint
            if let event { out["event"] = event }
        case .schedule(let name, let after, let business, let keep):
            out["name"] = name
            out["after"] = after
            if business { out["business"] = "true" }
            if keep { out["keep"] = "true" }
        case .cancelTimer(let name): out["name"] = name
        case .sendMail(let template): out["template"] = template
        }
        return out
    }
}

/// One fixture case run against a pack's rules: what it expected and what the rules proposed.
public struct FixtureCaseResult: Codable, Sendable, Equatable {
    public var file: String
    /// The line of the case in its file, when known.
    public var line: Int?
    /// From 0, in file order.
    public var index: Int
    public var name: String
    public var passed: Bool
    public var expected: [[String: String]]
    /// Nil when the case could not run (unknown event, a rule that failed).
    public var actual: [[String: String]]?
    public var message: String?

    public init(
        file: String, line: Int? = nil, index: Int, name: String, passed: Bool, expected: [[String: String]], actual: [[String: String]]?,
        message: String?
    ) {
        self.file = file
        self.line = line
        self.index = index
        self.name = name
        self.passed = passed
        self.expected = expected
        self.actual = actual
        self.message = message
    }
}

/// A pack checked without being stored: the problems at their file and line, and every
/// fixture case (run only when the manifest and the Lua are sound).
public struct PackCheckReport: Codable, Sendable, Equatable {
    public var valid: Bool
    public var id: String?
    public var version: String?
    public var problems: [PackProblem]
    public var cases: [FixtureCaseResult]

    public init(valid: Bool, id: String?, version: String?, problems: [PackProblem], cases: [FixtureCaseResult]) {
        self.valid = valid
        self.id = id
        self.version = version
        self.problems = problems
        self.cases = cases
    }
}
