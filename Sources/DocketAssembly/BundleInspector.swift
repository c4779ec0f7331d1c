import DocketCore
import DocketPacks
import DocketRules
import Foundation

/// Checks a pack bundle completely: the manifest decodes and validates, every Lua file compiles
/// in the sandbox, every handler the manifest names exists, every fixture passes. Used by
/// uploads, by the shipped packs at start-up and by `docket pack validate|test`.
public struct BundleInspector: PackInspector {
    public let library: [StandardModule]
    public let limits: RuleLimits

    /// `rulesRoot` nil: the standard library built into the binary.
    public init(rulesRoot: URL?, limits: RuleLimits) throws {
        library = try PackLoader.standardLibrary(rulesRoot: rulesRoot).map {
            StandardModule(name: $0.name, source: $0.source, path: $0.path)
        }
        self.limits = limits
    }

    public func inspect(_ bundle: PackBundle) async throws -> PackManifest {
        try await check(PackLoader.decode(bundle, location: "")).manifest
    }

    /// The problems of a decoded pack, file:line first; returns it when there are none.
    @discardableResult
    public func check(_ loaded: LoadedPack) async throws -> LoadedPack {
        let pack = RulesSetup.rulePack(loaded)
        let (library, limits) = (library, limits)
        var problems = try await LuaRuleEngine.offPool { LuaRuleEngine.problems(in: pack, standardLibrary: library, limits: limits) }
            .map { PackProblem.parse($0, defaultFile: loaded.location + "rules") }
        if problems.isEmpty {
            problems = await fixtureFailures(loaded)
        }
        guard problems.isEmpty else { throw PackRejection(problems) }
        return loaded
    }

    public func report(_ bundle: PackBundle) async -> PackCheckReport {
        let shape = bundle.shapeProblems()
        guard shape.isEmpty else { return PackCheckReport(valid: false, id: nil, version: nil, problems: shape, cases: []) }
        let loaded: LoadedPack
        do {
            loaded = try PackLoader.decode(bundle, location: "")
        } catch let rejection as PackRejection {
            return PackCheckReport(valid: false, id: nil, version: nil, problems: rejection.problems, cases: [])
        } catch {
            return PackCheckReport(valid: false, id: nil, version: nil, problems: [PackProblem(file: "pack.yaml", "\(error)")], cases: [])
        }
        let pack = RulesSetup.rulePack(loaded)
        let (library, limits) = (library, limits)
        let luaProblems = ((try? await LuaRuleEngine.offPool { LuaRuleEngine.problems(in: pack, standardLibrary: library, limits: limits) }) ?? [
            "the rules could not be checked"
        ]).map { PackProblem.parse($0, defaultFile: "rules") }
        var cases: [FixtureCaseResult] = []
        var problems = luaProblems
        if luaProblems.isEmpty {
            if let engine = try? await LuaRuleEngine.offPool({ try LuaRuleEngine(packs: [pack], standardLibrary: library, limits: limits, workers: 1) }) {
                for (file, fixtures) in loaded.fixtures.sorted(by: { $0.key < $1.key }) {
                    cases += await PackTester(engine: engine, pack: pack).results(fixtures, file: file).map { result in
                        var result = result
                        result.line = loaded.line(ofCase: result.name, in: file)
                        return result
                    }
                }
            } else {
                problems.append(PackProblem(file: "rules", "the rules do not load"))
            }
        }
        problems += cases.filter { !$0.passed }.map {
            PackProblem(file: $0.file, line: $0.line, "case \($0.index + 1) '\($0.name)': \($0.message ?? "failed")")
        }
        return PackCheckReport(valid: problems.isEmpty, id: loaded.manifest.id, version: loaded.manifest.version, problems: problems, cases: cases)
    }

    public func fixtureFailures(_ loaded: LoadedPack) async -> [PackProblem] {
        let pack = RulesSetup.rulePack(loaded)
        let (library, limits) = (library, limits)
        guard let engine = try? await LuaRuleEngine.offPool({ try LuaRuleEngine(packs: [pack], standardLibrary: library, limits: limits, workers: 1) }) else {
            return [PackProblem(file: loaded.location + "rules", "the rules do not load")]
        }
        var problems: [PackProblem] = []
        for (file, fixtures) in loaded.fixtures.sorted(by: { $0.key < $1.key }) {
            problems += await PackTester(engine: engine, pack: pack).run(fixtures, file: loaded.location + file).map {
                PackProblem(
                    file: $0.file, line: loaded.line(ofCase: $0.name, in: file), "case \($0.caseIndex + 1) '\($0.name)': \($0.message)")
            }
        }
        return problems
    }

    public func engine(for loaded: LoadedPack, workers: Int = 1) throws -> LuaRuleEngine {
        try LuaRuleEngine(packs: [RulesSetup.rulePack(loaded)], standardLibrary: library, limits: limits, workers: workers)
    }
}
