import Foundation

/// Evaluates a pack's rules. Implementations never touch storage or the network.
public protocol RuleEngine: Sendable {
    /// Runs every rule of the tenant's pack that handles `event.type`, in the pack's order,
    /// except those in `skipping` (rules fire at most once per event chain).
    /// Never throws: a failing rule is reported in its outcome.
    func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome]
    /// Loads and compiles a pack version so evaluations with it are ready; throws when it
    /// cannot be loaded (unknown version, a file that does not compile).
    func prepare(packId: String, version: String) async throws
    /// Runs `body` where the engine evaluates, with evaluations as plain calls: a chain of
    /// them then costs one hop to the engine's worker and back instead of one per event. Nil
    /// from an engine without such a place (its evaluations are only `evaluate`), or when the
    /// context's pack cannot be loaded (`evaluate` then reports why).
    func withEvaluator<T: Sendable>(for context: RuleContext, _ body: @escaping @Sendable (any RuleEvaluator) -> T) async -> T?
}
