import DocketCore
import Foundation
import Yams

/// Reads industry packs from a folder such as `IndustryPacks/`.
public struct PackLoader: Sendable {
    /// Folder holding one sub-folder per pack.
    public var root: URL

    public init(root: URL) { self.root = root }

    /// Ids of the packs found under `root` (folders holding a `pack.yaml`), sorted.
    public func availablePacks() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: manifestURL(for: $0).path) }.sorted()
    }

    public func manifestURL(for packId: String) -> URL {
        root.appendingPathComponent(packId).appendingPathComponent("pack.yaml")
    }

    /// Loads and validates `<root>/<packId>/pack.yaml`.
    public func load(_ packId: String) throws(PackValidationError) -> PackManifest {
        let url = manifestURL(for: packId)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PackValidationError(file: url.path, problems: [FieldProblem("pack.yaml", "cannot be read: \(error.localizedDescription)")])
        }
        let manifest = try Self.decode(data, file: url.path)
        if manifest.id != packId {
            throw PackValidationError(file: url.path, problems: [FieldProblem("id", "'\(manifest.id)' must match its folder '\(packId)'")])
        }
        return manifest
    }

    /// Decodes and validates a manifest; every problem names `file` and the field.
    public static func decode(_ data: Data, file: String) throws(PackValidationError) -> PackManifest {
        guard let text = String(data: data, encoding: .utf8) else {
            throw PackValidationError(file: file, problems: [FieldProblem("pack.yaml", "is not UTF-8 text")])
        }
        let manifest: PackManifest
        do {
            manifest = try YAMLDecoder().decode(PackManifest.self, from: text)
        } catch let error as DecodingError {
            throw PackValidationError(file: file, problems: [Self.problem(error, yaml: text)])
        } catch {
            // Yams reports YAML syntax errors with their line and column.
            throw PackValidationError(file: file, problems: [FieldProblem("yaml", "\(error)")])
        }
        let unknown = StrictKeys.problems(PackManifest.self, yaml: text)
        guard unknown.isEmpty else {
            // "line 4: ..." as Yams writes it, so the line reaches file:line like its own errors.
            throw PackValidationError(file: file, problems: unknown.map { FieldProblem("yaml", ($0.line.map { "line \($0): " } ?? "") + $0.message) })
        }
        try manifest.validate(file: file)
        return manifest
    }

    /// `problem(_:)`, and for a missing key a present key of the same mapping that looks like a
    /// misspelling of it (`expct:` where `expect:` is required), with its line.
    static func problem(_ error: DecodingError, yaml text: String) -> FieldProblem {
        var found = problem(error)
        guard case .keyNotFound(let key, let context) = error,
            let hint = StrictKeys.misspelling(of: key.stringValue, at: context.codingPath, yaml: text)
        else { return found }
        found.message += "; '\(hint.key)' (line \(hint.line)) looks like a misspelling of it"
        return found
    }

    static func problem(_ error: DecodingError) -> FieldProblem {
        func path(_ keys: [any CodingKey]) -> String {
            let text = CodingPath.describe(keys)
            return text.isEmpty ? "(root)" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldProblem(path(context.codingPath + [key]), "is required")
        case .typeMismatch(let type, let context):
            return FieldProblem(path(context.codingPath), "expected \(type)")
        case .valueNotFound(let type, let context):
            return FieldProblem(path(context.codingPath), "expected \(type), found null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty, let underlying = context.underlyingError {
                // A YAML syntax error; Yams' message carries the line and column.
                return FieldProblem("yaml", "\(underlying)")
            }
            return FieldProblem(path(context.codingPath), context.debugDescription)
        @unknown default:
            return FieldProblem("(root)", "\(error)")
        }
    }
}
