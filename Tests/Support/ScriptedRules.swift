import DocketCore

/// A rules engine that answers each event type with fixed actions (one rule per type): the
/// services' tests need rules that decide, not Lua.
public struct ScriptedRules: RuleEngine {
    public var actions: [RuleEventType: [RuleAction]]

    public init(actions: [RuleEventType: [RuleAction]]) { self.actions = actions }

    public func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome] {
        let rule = "scripted:\(event.type.rawValue)"
        guard let actions = actions[event.type], !skipping.contains(rule) else { return [] }
        return [RuleOutcome(rule: rule, actions: actions, error: nil, durationMicros: 1)]
    }

    public func prepare(packId: String, version: String) async throws {}
}
