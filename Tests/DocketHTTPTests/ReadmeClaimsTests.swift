import DocketAssembly
import DocketLive
import DocketTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// What the README names exists: every flag, environment variable, metric, route and close
/// code. Its examples run as a test of their own (scripts/readme_examples.py); this holds the
/// prose and the tables, where a name can drift unnoticed.
@Suite("What the README names exists")
struct ReadmeClaimsTests {
    static let root = packsRoot.deletingLastPathComponent()
    static let readme = (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    static func matches(_ pattern: String, in text: String, group: Int = 1) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: group), in: text).map { String(text[$0]) }
        }
    }

    /// The repository's own code, scripts and tests, as text (not the README).
    static let repository: String = {
        var text = ""
        for folder in ["Sources", "scripts", "Tests", "bench", "fuzz", ".ci", "Console"] {
            let walker = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = walker?.nextObject() as? URL {
                guard ["swift", "sh", "py", "js", "toml", "lua", "yaml", "c", "h", ""].contains(url.pathExtension),
                      url.lastPathComponent != "EmbeddedConsole.swift", url.lastPathComponent != "Embedded.swift",
                      let content = try? String(contentsOf: url, encoding: .utf8) else { continue }
                text += content
            }
        }
        return text
    }()

    @Test func everyEnvironmentVariableItNamesIsRead() {
        let names = Set(Self.matches(#"\b(DOCKET_[A-Z0-9_]*[A-Z0-9])\b"#, in: Self.readme))
        #expect(names.count >= 40)
        let unread = names.filter { !Self.repository.contains($0) }.sorted()
        #expect(unread.isEmpty, "the README names variables nothing reads: \(unread)")
    }

    /// Flags in inline code and on the command lines of its code blocks, each taken by a docket
    /// or docket-load command (from their own help) — but for the two the text shows as mistakes.
    @Test func everyFlagItNamesIsTakenBySomeCommand() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let load = DurabilityTests.binary.deletingLastPathComponent().appendingPathComponent("docket-load")
        try #require(FileManager.default.isExecutableFile(atPath: load.path), "build the docket-load product first")
        var known = Set(Configuration.keys.compactMap(\.flag).map { "--" + $0 })
        var commands: [(URL, [String])] = [(DurabilityTests.binary, []), (load, [])]
        var seen = 0
        while let (binary, path) = commands.popLast(), seen < 60 {
            seen += 1
            let help = try await DurabilityTests.cli(path + ["--help"], environment: [:], errors: true, binary: binary).output
            known.formUnion(Self.matches(#"(--[a-z][a-z0-9-]*)"#, in: help))
            // Subcommands: the lines under SUBCOMMANDS:, two spaces in, a name first.
            if let section = help.components(separatedBy: "SUBCOMMANDS:").dropFirst().first {
                for name in Self.matches(#"^  ([a-z][a-z-]*)(?: \(default\))?\s"#, in: section) where name != "help" {
                    commands.append((binary, path + [name]))
                }
            }
        }
        #expect(known.count > 60)
        let inline = Self.matches(#"`(--[a-z][a-z0-9-]*)"#, in: Self.readme)
        let commandLines = Self.matches(#"^\s*(?:[A-Z_]+=\S+ )*(?:\.build/(?:release|debug)/)?(?:docket|docket-load|\./scripts/serve\.sh)\b(.*)$"#, in: Self.readme)
        let onCommandLines = commandLines.flatMap { Self.matches(#"(?:^|\s)(--[a-z][a-z0-9-]*)"#, in: $0) }
        // Shown as mistakes: a misspelling docket corrects, and another tool's naming scheme.
        let illustrations: Set = ["--prot", "--http-port"]
        let unknown = Set(inline + onCommandLines).subtracting(known).subtracting(illustrations).sorted()
        #expect(unknown.isEmpty, "the README names flags no command takes: \(unknown)")
    }

    /// On the real server (the process installs the metrics system; a test process does not).
    @Test func everyMetricItNamesIsServed() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let (server, port) = try await DurabilityTests.serve(dataDir: try Scratch.directory("metrics"))
        defer {
            server.stopInBackground()
        }
        _ = try await DurabilityTests.request("GET", "http://127.0.0.1:\(port)/api/v2/tickets")
        let metrics = String(decoding: try await DurabilityTests.request("GET", "http://127.0.0.1:\(port)/metrics").1, as: UTF8.self)
        let names = Set(Self.matches(#"`((?:docket|hb|http_server)_[a-z_]+)"#, in: Self.readme))
        #expect(names.count >= 8)
        // Served now, or (a counter nothing has touched yet) registered by name in the code.
        let missing = names.filter { !metrics.contains($0) && !Self.repository.contains("\"\($0)\"") }.sorted()
        #expect(missing.isEmpty, "the README names metrics the server does not have: \(missing)")
    }

    /// Every row of the route tables is an operation of the API document, or (the few routes
    /// outside it) answers something other than 404.
    @Test func everyRouteItListsExists() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let document = try await client.call(.get, "/openapi.json")
            let paths = try #require(try document.json()["paths"] as? [String: [String: Any]])
            let rows = Self.matches(#"^\| (GET|POST|PUT|PATCH|DELETE) \| (.+?) \|"#, in: Self.readme, group: 0)
            #expect(rows.count >= 45)
            var missing: [String] = []
            for row in rows {
                let method = Self.matches(#"^\| ([A-Z]+) \|"#, in: row)[0].lowercased()
                for path in Self.matches(#"`(/[^`\s]*)`"#, in: row) {
                    let templated = path.replacingOccurrences(of: #":([A-Za-z]+)"#, with: "{$1}", options: .regularExpression)
                    if paths[templated]?[method] != nil { continue }
                    let status = try await client.call(HTTPRequest.Method(rawValue: method.uppercased())!, path).status
                    if status == .notFound || status == .methodNotAllowed { missing.append("\(method.uppercased()) \(path)") }
                }
            }
            #expect(missing.isEmpty, "the README lists routes the server does not have: \(missing)")
        }
    }

    /// The close codes the WebSocket section names are the ones the live layer sends.
    @Test func everyCloseCodeItNamesIsSent() throws {
        let sentence = try #require(Self.readme.components(separatedBy: "Close codes:").dropFirst().first?.components(separatedBy: ". Protocol").first)
        let named = Set(Self.matches(#"\b(4\d{3})\b"#, in: sentence).compactMap(UInt16.init))
        let sent = Set(LiveCloseCode.allCases.map(\.rawValue).filter { $0 >= 4000 })
        #expect(named == sent, "README: \(named.sorted()), LiveCloseCode: \(sent.sorted())")
        #expect(sentence.contains("1009") && sentence.contains("1001"))
    }
}
