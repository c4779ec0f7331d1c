import ArgumentParser
import DocketCore
import DocketPacks
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A pack author's round trip without a checkout: start from a shipped pack, push a folder to
/// a server (problems at file:line, as `validate` prints them), pull a stored version back.
extension PackCommand {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a new pack in DIR from a shipped one (built into docket), with its own id and version.")
        @Argument(help: "The new pack's folder (must not exist, or be empty).")
        var directory: String
        @Option(help: "The shipped pack to start from: \(PackLoader.builtInPacks.joined(separator: ", ")).")
        var from: String
        @Option(help: "The new pack's id (default: the folder's name).")
        var id: String?
        @Option(help: "The new pack's first version.")
        var version: String = "0.1.0"

        func run() async throws {
            guard let bundle = PackLoader.builtInPack(from) else {
                throw ValidationError("no shipped pack '\(from)'; there are: \(PackLoader.builtInPacks.joined(separator: ", "))")
            }
            let folder = URL(fileURLWithPath: directory).standardizedFileURL
            let id = id ?? folder.lastPathComponent
            guard id.range(of: #"^[a-z0-9][a-z0-9_-]{0,63}$"#, options: .regularExpression) != nil else {
                throw ValidationError("'\(id)' cannot be a pack id (lower-case letters, digits, - and _, up to 64); name one with --id")
            }
            try PackFolder.prepare(folder)
            var files = bundle.files
            files["pack.yaml"] = PackFolder.setting(["id": id, "version": "\"\(version)\""], in: files["pack.yaml"] ?? "")
            try PackFolder.write(files, to: folder)
            print("\(directory): \(id) \(version), from \(from) (\(files.count) files)")
            print("next: docket pack validate \(directory)")
        }
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload the pack in DIR to a server (POST /api/v2/packs); problems print as file:line.")
        @Argument(help: "The pack's folder.")
        var directory: String
        @OptionGroup var server: ServerAccess

        func run() async throws {
            let folder = URL(fileURLWithPath: directory).standardizedFileURL
            let bundle: PackBundle
            do {
                bundle = try PackLoader(root: folder.deletingLastPathComponent()).bundle(folder.lastPathComponent)
            } catch {
                error.problems.forEach { print($0) }
                throw ExitCode.failure
            }
            let body = try JSONEncoder().encode(["files": bundle.files])
            let (status, json) = try await server.call("POST", "/api/v2/packs", body: body)
            switch status {
            case 201:
                let version = json["version"] as? [String: Any] ?? [:]
                print("stored \(version["packId"] as? String ?? "?") \(version["version"] as? String ?? "?") (\(version["owner"] as? String ?? "shared"))")
            default:
                let error = json["error"] as? [String: Any] ?? [:]
                let shown = directory.hasSuffix("/") ? directory : directory + "/"
                if let problems = (error["details"] as? [String: Any])?["problems"] as? [String], !problems.isEmpty {
                    problems.forEach { print(shown + $0) }
                } else {
                    print("\(status): \(error["message"] as? String ?? "the server refused the pack")")
                }
                throw ExitCode.failure
            }
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a stored version's files into DIR for editing (GET /api/v2/packs/ID/versions/VERSION).")
        @Argument(help: "The pack's id.")
        var id: String
        @Argument(help: "The version.")
        var version: String
        @Argument(help: "The folder to write (must not exist, or be empty).")
        var directory: String
        @OptionGroup var server: ServerAccess

        func run() async throws {
            let folder = URL(fileURLWithPath: directory).standardizedFileURL
            try PackFolder.prepare(folder)
            let path = "/api/v2/packs/\(PackFolder.escape(id))/versions/\(PackFolder.escape(version))"
            let (status, json) = try await server.call("GET", path, body: nil)
            guard status == 200, let files = json["files"] as? [String: String] else {
                let error = json["error"] as? [String: Any] ?? [:]
                print("\(status): \(error["message"] as? String ?? "no such version")")
                throw ExitCode.failure
            }
            try PackFolder.write(files, to: folder)
            print("\(directory): \(id) \(version) (\(files.count) files)")
        }
    }
}

/// Where a server is and the credential to use.
struct ServerAccess: ParsableArguments {
    @Option(help: "The server's address, e.g. http://127.0.0.1:8080 (DOCKET_SERVER).")
    var server: String?
    @Option(help: "A bearer token of an admin (DOCKET_TOKEN; `docket token` makes one).")
    var token: String?

    func call(_ method: String, _ path: String, body: Data?) async throws -> (Int, [String: Any]) {
        let environment = ProcessInfo.processInfo.environment
        guard let base = server ?? environment["DOCKET_SERVER"], let url = URL(string: (base.hasSuffix("/") ? String(base.dropLast()) : base) + path) else {
            throw ValidationError("give the server's address with --server or DOCKET_SERVER")
        }
        guard let token = token ?? environment["DOCKET_TOKEN"], !token.isEmpty else {
            throw ValidationError("give an admin's token with --token or DOCKET_TOKEN")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw ValidationError("cannot reach \(base): \(error.localizedDescription)")
        }
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, json)
    }
}

enum PackFolder {
    /// Creates `folder`, refusing one that holds anything (nothing is overwritten).
    static func prepare(_ folder: URL) throws {
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        guard existing.isEmpty else { throw ValidationError("\(folder.path) is not empty; name a new folder") }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Writes each file under `folder`; a path that would leave it is refused.
    static func write(_ files: [String: String], to folder: URL) throws {
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            let target = folder.appendingPathComponent(path).standardizedFileURL
            guard target.path.hasPrefix(folder.path + "/"), !path.contains("..") else {
                throw ValidationError("refusing to write '\(path)' outside \(folder.path)")
            }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: target)
        }
    }

    /// `pack.yaml` with each top-level `key:` line set to its new value (comments and layout kept).
    static func setting(_ values: [String: String], in text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        for (key, value) in values {
            if let index = lines.firstIndex(where: { $0.hasPrefix("\(key):") }) {
                lines[index] = "\(key): \(value)"
            } else {
                lines.insert("\(key): \(value)", at: 0)
            }
        }
        return lines.joined(separator: "\n")
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }
}
