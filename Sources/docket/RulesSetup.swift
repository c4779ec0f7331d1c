import DocketCore
import DocketPacks
import DocketRules
import Foundation
import Logging
import Metrics

/// Builds the rules engine from the packs folder and the `Rules/` standard library.
enum RulesSetup {
    static func rulePack(_ loaded: LoadedPack) -> RulePack {
        RulePack(manifest: loaded.manifest, sources: loaded.ruleSources, location: loaded.location)
    }

    /// Loads every pack, compiles its rules and runs its fixtures. A pack that fails is left out
    /// (and logged); `required` must load and pass, or start-up fails.
    static func engine(packs loader: PackLoader, rulesRoot: URL, limits: RuleLimits, required: String, logger: Logger) async throws
        -> (LuaRuleEngine, [String: LoadedPack])
    {
        let library = try PackLoader.standardLibrary(rulesRoot: rulesRoot).map {
            StandardModule(name: $0.name, source: $0.source, path: $0.path)
        }
        var good: [String: LoadedPack] = [:]
        for packId in loader.availablePacks() {
            do {
                let loaded = try loader.loadAll(packId)
                let pack = rulePack(loaded)
                let probe = try LuaRuleEngine(packs: [pack], standardLibrary: library, limits: limits, workers: 1)
                var failures: [String] = []
                var cases = 0
                for (file, fixtures) in loaded.fixtures.sorted(by: { $0.key < $1.key }) {
                    cases += fixtures.cases.count
                    failures += await PackTester(engine: probe, pack: pack).run(fixtures, file: loaded.location + file).map(\.description)
                }
                guard failures.isEmpty else { throw SetupError(failures.joined(separator: "\n")) }
                good[packId] = loaded
                logger.info(
                    "pack loaded",
                    metadata: [
                        "pack.id": "\(packId)", "pack.version": "\(loaded.manifest.version)",
                        "rules": "\(loaded.manifest.rules?.count ?? 0)", "fixtures": "\(cases)",
                    ])
            } catch {
                if packId == required { throw SetupError("pack \(packId) cannot be used:\n\(error)") }
                logger.error("pack left out", metadata: ["pack.id": "\(packId)", "error": "\(error)"])
            }
        }
        let engine = try LuaRuleEngine(packs: good.values.map(rulePack), standardLibrary: library, limits: limits)
        return (engine, good)
    }

    /// Counts every rule outcome in /metrics and logs failures.
    static func observer(logger: Logger) -> @Sendable (RuleOutcome) -> Void {
        let evaluated = Counter(label: "docket_rule_evaluations_total")
        let failed = Counter(label: "docket_rule_failures_total")
        let duration = Timer(label: "docket_rule_duration_seconds")
        return { outcome in
            evaluated.increment()
            duration.recordMicroseconds(outcome.durationMicros)
            if let error = outcome.error {
                failed.increment()
                logger.warning("rule failed", metadata: ["rule.name": "\(outcome.rule)", "error": "\(error)"])
            }
        }
    }
}
