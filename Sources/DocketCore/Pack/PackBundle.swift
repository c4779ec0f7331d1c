import Foundation

/// A pack as one JSON document: every file by its path inside the pack.
///
/// ```json
/// {"files": {"pack.yaml": "id: ...", "rules/triage.lua": "function on_ticket_created...", "tests/triage.yaml": "cases: ..."}}
/// ```
/// Paths are `pack.yaml`, `README.md`, `rules/<name>.lua` (sub-folders allowed) and `tests/<name>.yaml`.
public struct PackBundle: Codable, Sendable, Equatable {
    public var files: [String: String]

    public init(files: [String: String]) { self.files = files }

    public static let maxFiles = 200
    public static let maxFileBytes = 256 * 1024
    public static let maxTotalBytes = 2 * 1024 * 1024

    /// `rules/triage.lua` → source.
    public var ruleSources: [String: String] { files.filter { $0.key.hasPrefix("rules/") && $0.key.hasSuffix(".lua") } }
    /// `tests/triage.yaml` → text.
    public var fixtureFiles: [String: String] { files.filter { $0.key.hasPrefix("tests/") && $0.key.hasSuffix(".yaml") } }

    /// Problems with the bundle's shape (paths, sizes), before anything is parsed.
    public func shapeProblems() -> [PackProblem] {
        var problems: [PackProblem] = []
        if files.count > Self.maxFiles {
            problems.append(PackProblem(file: "(bundle)", "holds \(files.count) files; at most \(Self.maxFiles)"))
        }
        var total = 0
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            total += text.utf8.count
            if !Self.isAllowedPath(path) {
                problems.append(PackProblem(
                    file: path, "is not a pack file: use pack.yaml, README.md, rules/<name>.lua, tests/<name>.yaml or calendars/<name>.ics"))
            }
            if text.utf8.count > Self.maxFileBytes {
                problems.append(PackProblem(file: path, "is \(text.utf8.count) bytes; at most \(Self.maxFileBytes)"))
            }
        }
        if total > Self.maxTotalBytes {
            problems.append(PackProblem(file: "(bundle)", "holds \(total) bytes; at most \(Self.maxTotalBytes)"))
        }
        if files["pack.yaml"] == nil { problems.append(PackProblem(file: "pack.yaml", "is missing")) }
        return problems
    }

    static func isAllowedPath(_ path: String) -> Bool {
        if path == "pack.yaml" || path == "README.md" { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.count <= 4, path.utf8.count <= 200 else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
        for part in parts {
            guard !part.isEmpty, part != ".", part != "..", !part.hasPrefix("."), part.allSatisfy(allowed.contains) else { return false }
        }
        switch parts[0] {
        case "rules": return path.hasSuffix(".lua")
        case "tests": return parts.count == 2 && path.hasSuffix(".yaml")
        case "calendars": return parts.count == 2 && path.hasSuffix(".ics")
        default: return false
        }
    }

    /// A stable fingerprint of the content (FNV-1a 64 over sorted paths and texts), to tell
    /// a re-upload of the same files from a different pack under the same version.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            hash ^= 0xff
            hash = hash &* 0x100_0000_01b3
        }
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            mix(path)
            mix(text)
        }
        return String(hash, radix: 16).leftPadded(to: 16)
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

/// One thing wrong with an uploaded pack: the file, the line when known, and what is wrong.
public struct PackProblem: Codable, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }

    /// Splits a message that starts with `file:line:` (Lua's and Yams' form) into its parts.
    public static func parse(_ text: String, defaultFile: String) -> PackProblem {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, let line = Int(parts[1]), !parts[0].isEmpty, !parts[0].contains(" ") {
            return PackProblem(file: String(parts[0]), line: line, parts[2].trimmingCharacters(in: .whitespaces))
        }
        return PackProblem(file: defaultFile, text)
    }
}

/// A pack that cannot be stored or activated, with every problem found.
public struct PackRejection: Error, Sendable, CustomStringConvertible {
    public var problems: [PackProblem]

    public init(_ problems: [PackProblem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }

    public var docketError: DocketError {
        DocketError(
            .validation, "the pack has \(problems.count) problem\(problems.count == 1 ? "" : "s"): \(problems.first?.description ?? "")",
            field: "files", details: ["problems": problems.map(\.description)])
    }
}

/// Where a stored pack version came from.
public enum PackOrigin: String, Codable, Sendable {
    /// Installed from the server's packs folder (`IndustryPacks/`).
    case shipped
    /// Uploaded through `POST /api/v2/packs`.
    case upload
}

/// Facts about one stored version, without its files.
public struct PackVersionSummary: Codable, Sendable, Equatable {
    public var packId: String
    public var version: String
    public var name: String
    public var locale: String
    /// The tenant that uploaded it (visible only to that tenant); nil for platform packs.
    public var owner: String?
    public var origin: PackOrigin
    public var checksum: String
    public var ruleFiles: Int
    public var fixtureFiles: Int
    public var createdBy: String
    public var createdAt: Date

    public init(
        packId: String, version: String, name: String, locale: String, owner: String?, origin: PackOrigin, checksum: String,
        ruleFiles: Int, fixtureFiles: Int, createdBy: String, createdAt: Date
    ) {
        self.packId = packId
        self.version = version
        self.name = name
        self.locale = locale
        self.owner = owner
        self.origin = origin
        self.checksum = checksum
        self.ruleFiles = ruleFiles
        self.fixtureFiles = fixtureFiles
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    public var key: String { "\(packId)@\(version)" }
}

/// An immutable stored pack version: its summary, manifest and every file.
public struct PackVersion: Codable, Sendable, Equatable {
    public var summary: PackVersionSummary
    public var manifest: PackManifest
    public var bundle: PackBundle

    public init(manifest: PackManifest, bundle: PackBundle, owner: String?, origin: PackOrigin, createdBy: String, createdAt: Date) {
        self.manifest = manifest
        self.bundle = bundle
        summary = PackVersionSummary(
            packId: manifest.id, version: manifest.version, name: manifest.name, locale: manifest.locale, owner: owner,
            origin: origin, checksum: bundle.checksum, ruleFiles: bundle.ruleSources.count,
            fixtureFiles: bundle.fixtureFiles.count, createdBy: createdBy, createdAt: createdAt)
    }
}

/// Orders versions like `1.2.10` > `1.2.9` > `1.2`: numeric parts compare as numbers,
/// others as text.
public enum PackVersionOrder {
    public static func isNewer(_ a: String, than b: String) -> Bool {
        let left = a.split(whereSeparator: { $0 == "." || $0 == "-" })
        let right = b.split(whereSeparator: { $0 == "." || $0 == "-" })
        for index in 0..<max(left.count, right.count) {
            guard index < left.count else { return false }
            guard index < right.count else { return true }
            let (l, r) = (left[index], right[index])
            if let ln = Int(l), let rn = Int(r) {
                if ln != rn { return ln > rn }
            } else if l != r {
                return l > r
            }
        }
        return false
    }
}
