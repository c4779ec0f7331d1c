import DocketCore
import Foundation
import Yams

/// A pack read from disk: its manifest, its Lua files and its fixtures.
public struct LoadedPack: Sendable {
    public var manifest: PackManifest
    /// `rules/triage.lua` → source.
    public var ruleSources: [String: String]
    /// `tests/triage.yaml` → decoded fixtures.
    public var fixtures: [String: RuleFixtureFile]
    /// The pack's folder, e.g. `IndustryPacks/luxfree-solar/`, for file names in errors.
    public var location: String
}

/// A module of the `Rules/` standard library.
public struct LibraryModule: Sendable {
    /// `docket.text`
    public var name: String
    /// `Rules/docket/text.lua`
    public var path: String
    public var source: String
}

extension PackLoader {
    /// Loads the manifest, every `rules/*.lua` and every `tests/*.yaml` of a pack.
    public func loadAll(_ packId: String) throws(PackValidationError) -> LoadedPack {
        let manifest = try load(packId)
        let folder = root.appendingPathComponent(packId)
        let location = "\(root.lastPathComponent)/\(packId)/"
        var sources: [String: String] = [:]
        for name in Self.files(in: folder.appendingPathComponent("rules"), suffix: ".lua") {
            let path = "rules/\(name)"
            guard let text = try? String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8) else {
                throw PackValidationError(file: location + path, problems: [FieldProblem("file", "cannot be read as UTF-8")])
            }
            sources[path] = text
        }
        for (index, rule) in (manifest.rules ?? []).enumerated() where sources[rule.file] == nil {
            throw PackValidationError(
                file: location + "pack.yaml", problems: [FieldProblem("rules[\(index)].file", "'\(rule.file)' does not exist")])
        }
        var fixtures: [String: RuleFixtureFile] = [:]
        for name in Self.files(in: folder.appendingPathComponent("tests"), suffix: ".yaml") {
            let path = "tests/\(name)"
            do {
                let text = try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
                fixtures[path] = try YAMLDecoder().decode(RuleFixtureFile.self, from: text)
            } catch let error as DecodingError {
                throw PackValidationError(file: location + path, problems: [Self.problem(error)])
            } catch {
                throw PackValidationError(file: location + path, problems: [FieldProblem("yaml", "\(error)")])
            }
        }
        return LoadedPack(manifest: manifest, ruleSources: sources, fixtures: fixtures, location: location)
    }

    /// The standard library under `rulesRoot` (`Rules/`): `docket/text.lua` is `docket.text`.
    public static func standardLibrary(rulesRoot: URL) throws -> [LibraryModule] {
        let folder = rulesRoot.appendingPathComponent("docket")
        return try files(in: folder, suffix: ".lua").map { name in
            LibraryModule(
                name: "docket." + name.dropLast(4), path: "\(rulesRoot.lastPathComponent)/docket/\(name)",
                source: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        }
    }

    /// The Lua tests of the standard library (`Rules/tests/*_test.lua`).
    public static func libraryTests(rulesRoot: URL) throws -> [LibraryModule] {
        let folder = rulesRoot.appendingPathComponent("tests")
        return try files(in: folder, suffix: ".lua").map { name in
            LibraryModule(
                name: "tests." + name.dropLast(4), path: "\(rulesRoot.lastPathComponent)/tests/\(name)",
                source: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        }
    }

    static func files(in folder: URL, suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }
}
