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
    /// `tests/triage.yaml` → its text, for line numbers in failures.
    public var fixtureSources: [String: String] = [:]
    /// The pack's folder, e.g. `IndustryPacks/luxfree-solar/`, for file names in errors.
    public var location: String

    /// The line of fixture case `name` in `file` (its `name:` line), when it can be found.
    public func line(ofCase name: String, in file: String) -> Int? {
        guard let text = fixtureSources[file] else { return nil }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let range = line.range(of: "name:") else { continue }
            let value = line[range.upperBound...].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if value == name { return index + 1 }
        }
        return nil
    }
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
    public func loadAll(_ packId: String) throws(PackRejection) -> LoadedPack {
        let location = "\(root.lastPathComponent)/\(packId)/"
        let loaded = try Self.decode(try bundle(packId), location: location)
        if loaded.manifest.id != packId {
            throw PackRejection([PackProblem(file: location + "pack.yaml", "id: '\(loaded.manifest.id)' must match its folder '\(packId)'")])
        }
        return loaded
    }

    /// Every file of a pack folder as a bundle: `pack.yaml`, `README.md`, `rules/**/*.lua`, `tests/*.yaml`.
    public func bundle(_ packId: String) throws(PackRejection) -> PackBundle {
        let folder = root.appendingPathComponent(packId)
        let location = "\(root.lastPathComponent)/\(packId)/"
        var paths = ["pack.yaml", "README.md"].filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        if let walker = FileManager.default.enumerator(atPath: folder.appendingPathComponent("rules").path) {
            while let name = walker.nextObject() as? String {
                if name.hasSuffix(".lua") { paths.append("rules/\(name)") }
            }
        }
        paths += Self.files(in: folder.appendingPathComponent("tests"), suffix: ".yaml").map { "tests/\($0)" }
        paths += Self.files(in: folder.appendingPathComponent("calendars"), suffix: ".ics").map { "calendars/\($0)" }
        var files: [String: String] = [:]
        for path in paths {
            guard let text = try? String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8) else {
                throw PackRejection([PackProblem(file: location + path, "cannot be read as UTF-8 text")])
            }
            files[path] = text
        }
        if files["pack.yaml"] == nil { throw PackRejection([PackProblem(file: location + "pack.yaml", "is missing")]) }
        return PackBundle(files: files)
    }

    /// Decodes a bundle: the manifest (validated), the Lua sources and the fixtures. Every
    /// problem names `location` + the file, and the line when the parser gives one.
    public static func decode(_ bundle: PackBundle, location: String) throws(PackRejection) -> LoadedPack {
        var problems = bundle.shapeProblems().map { PackProblem(file: location + $0.file, line: $0.line, $0.message) }
        guard problems.isEmpty else { throw PackRejection(problems) }
        var manifest: PackManifest
        do {
            manifest = try decode(Data(bundle.files["pack.yaml"]!.utf8), file: location + "pack.yaml")
        } catch {
            throw PackRejection(error.problems.map { problem(file: error.file, $0) })
        }
        // An iCalendar file of holidays joins the calendar's holiday list.
        if let path = manifest.sla.calendar?.holidayCalendar {
            if let text = bundle.files[path] {
                let dates = BusinessCalendar.holidays(fromICalendar: text)
                if dates.isEmpty { problems.append(PackProblem(file: location + path, "holds no VEVENT with a DTSTART date")) }
                let existing = manifest.sla.calendar?.holidays ?? []
                manifest.sla.calendar?.holidays = existing + dates
            } else {
                problems.append(PackProblem(file: location + "pack.yaml", "sla.calendar.holidayCalendar: '\(path)' is not a file of the pack"))
            }
        }
        let sources = bundle.ruleSources
        for (index, rule) in (manifest.rules ?? []).enumerated() where sources[rule.file] == nil {
            problems.append(PackProblem(file: location + "pack.yaml", "rules[\(index)].file: '\(rule.file)' does not exist"))
        }
        var fixtures: [String: RuleFixtureFile] = [:]
        for (path, text) in bundle.fixtureFiles.sorted(by: { $0.key < $1.key }) {
            do {
                fixtures[path] = try YAMLDecoder().decode(RuleFixtureFile.self, from: text)
                for unknown in StrictKeys.problems(RuleFixtureFile.self, yaml: text) {
                    problems.append(PackProblem(file: location + path, line: unknown.line, unknown.message))
                }
            } catch let error as DecodingError {
                problems.append(problem(file: location + path, Self.problem(error, yaml: text)))
            } catch {
                problems.append(problem(file: location + path, FieldProblem("yaml", "\(error)")))
            }
        }
        guard problems.isEmpty else { throw PackRejection(problems) }
        return LoadedPack(
            manifest: manifest, ruleSources: sources, fixtures: fixtures, fixtureSources: bundle.fixtureFiles, location: location)
    }

    /// A field problem as a file problem, with the line when Yams' message carries one
    /// (`... line 4 column 3 ...` or `4:3: error: ...`).
    static func problem(file: String, _ problem: FieldProblem) -> PackProblem {
        let line = yamlLine(problem.message)
        var message = problem.field == "yaml" ? problem.message : problem.description
        // "line 4: ..." (an unknown key) reads "file:4: ..." once the line is taken out.
        if let line, message.hasPrefix("line \(line): ") { message.removeFirst("line \(line): ".count) }
        return PackProblem(file: file, line: line, message)
    }

    static func yamlLine(_ message: String) -> Int? {
        if let range = message.range(of: "line ") {
            let digits = message[range.upperBound...].prefix { $0.isNumber }
            if let line = Int(digits) { return line }
        }
        let parts = message.split(separator: ":", maxSplits: 2)
        if parts.count == 3, let line = Int(parts[0].trimmingCharacters(in: .whitespaces)) { return line }
        return nil
    }

    /// The standard library under `rulesRoot` (`Rules/`): `docket/text.lua` is `docket.text`;
    /// without a folder, the copy built into the binary (so the CLI works from any folder).
    public static func standardLibrary(rulesRoot: URL?) throws -> [LibraryModule] {
        guard let rulesRoot else {
            return Embedded.rules.filter { $0.key.hasPrefix("docket/") && $0.key.hasSuffix(".lua") }.sorted { $0.key < $1.key }.map {
                LibraryModule(name: "docket." + $0.key.dropFirst("docket/".count).dropLast(4), path: "Rules/\($0.key)", source: $0.value)
            }
        }
        let folder = rulesRoot.appendingPathComponent("docket")
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw PackRejection([PackProblem(file: folder.path, "is not a folder of the Lua standard library (docket/*.lua)")])
        }
        return try files(in: folder, suffix: ".lua").map { name in
            LibraryModule(
                name: "docket." + name.dropLast(4), path: "\(rulesRoot.lastPathComponent)/docket/\(name)",
                source: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        }
    }

    /// The standard library's folder when `candidate` holds one, else nil (the built-in copy).
    public static func libraryFolder(_ candidate: URL) -> URL? {
        FileManager.default.fileExists(atPath: candidate.appendingPathComponent("docket").path) ? candidate : nil
    }

    /// The ids of the packs built into the binary.
    public static var builtInPacks: [String] {
        Set(Embedded.packs.keys.compactMap { $0.split(separator: "/").first.map(String.init) }).sorted()
    }

    /// A pack built into the binary, as the bundle its folder would give.
    public static func builtInPack(_ id: String) -> PackBundle? {
        let prefix = id + "/"
        var files: [String: String] = [:]
        for (path, text) in Embedded.packs where path.hasPrefix(prefix) { files[String(path.dropFirst(prefix.count))] = text }
        return files["pack.yaml"] == nil ? nil : PackBundle(files: files)
    }

    /// The built-in copy of `Rules/` and `IndustryPacks/` (for the test that keeps them equal to the folders).
    public static var builtInFiles: (rules: [String: String], packs: [String: String]) { (Embedded.rules, Embedded.packs) }

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
