import Foundation

/// Evaluations as plain calls, lent by `RuleEngine.withEvaluator` for the length of its body.
public protocol RuleEvaluator {
    /// What `RuleEngine.evaluate` answers, for the context `withEvaluator` was given.
    func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) -> [RuleOutcome]
}

extension RuleEngine {
    public func withEvaluator<T: Sendable>(for context: RuleContext, _ body: @escaping @Sendable (any RuleEvaluator) -> T) async -> T? {
        nil
    }
}
