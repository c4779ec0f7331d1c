import DocketAssembly
import DocketTestSupport
import Foundation
import Testing

/// The configuration is read once, flag before environment before default, and the README's
/// table lists exactly the keys the code reads.
@Suite("Configuration")
struct ConfigurationTests {
    /// The README's configuration table, by key: flag (without `--`), variable, the default
    /// cell's first quoted word, and the accepted range.
    static func readmeRows() throws -> [String: (flag: String?, env: String, fallback: String?, accepted: String)] {
        let readme = try String(contentsOf: packsRoot.deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Configuration").dropFirst().first?.components(separatedBy: "\n## ").first)
        var rows: [String: (flag: String?, env: String, fallback: String?, accepted: String)] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5, cells[0].hasPrefix("`"), cells[2].hasPrefix("`DOCKET_") else { continue }
            let unquote = { (text: String) in text.trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
            let fallback = cells[3].hasPrefix("`") ? cells[3].split(separator: "`").first.map(String.init) : nil
            rows[unquote(cells[0])] = (
                cells[1] == "—" ? nil : unquote(cells[1]).replacingOccurrences(of: "--", with: ""), unquote(cells[2]), fallback,
                unquote(cells[cells.count - 1])
            )
        }
        return rows
    }

    @Test func theReadmeTableListsEveryKeyWithItsFlagAndVariable() throws {
        let rows = try Self.readmeRows()
        #expect(Set(rows.keys) == Set(Configuration.keys.map(\.name)))
        for key in Configuration.keys {
            #expect(rows[key.name]?.flag == key.flag, "\(key.name)")
            #expect(rows[key.name]?.env == key.environment, "\(key.name)")
            // What a setting accepts is in the table, as the code checks it.
            #expect(rows[key.name]?.accepted == (key.range.map { "\($0.lowerBound)...\($0.upperBound)" } ?? "—"), "\(key.name)")
        }
    }

    @Test func aFlagBeatsTheEnvironmentWhichBeatsTheDefault() throws {
        var configuration = try Configuration(flags: [:], environment: [:])
        #expect(configuration.http.port == 8080)
        #expect(configuration.store == .sqlite(durability: .normal, groupWait: .microseconds(4000), cacheMegabytes: 32))
        #expect(try Configuration(flags: ["store.sqlite.cacheMegabytes": "256"], environment: ["DOCKET_SQLITE_CACHE_MB": "64"]).store
            == .sqlite(durability: .normal, groupWait: .microseconds(4000), cacheMegabytes: 256))
        #expect(configuration.rulesDirectory?.lastPathComponent == "Rules", "a checkout: Rules next to the packs")
        configuration = try Configuration(flags: [:], environment: ["DOCKET_PORT": "9000", "DOCKET_MONGO_URI": "mongodb://db/x"])
        #expect(configuration.http.port == 9000)
        #expect(configuration.store == .mongo(uri: "mongodb://db/x", writeConcern: .majority, poolSize: 8))
        configuration = try Configuration(flags: ["http.port": "9100"], environment: ["DOCKET_PORT": "9000"])
        #expect(configuration.http.port == 9100)
        #expect(configuration.shutdownGrace == .seconds(10))
    }

    @Test func valuesOutOfRangeNameTheirKey() {
        let cases: [([String: String], [String: String], String)] = [
            (["http.port": "99999"], [:], "http.port (--port) must be between 0 and 65535"),
            ([:], ["DOCKET_EVENTS_RETENTION": "5"], "events.retention (DOCKET_EVENTS_RETENTION) must be between 100"),
            ([:], ["DOCKET_WS_QUEUE_LIMIT": "many"], "ws.queueLimit (DOCKET_WS_QUEUE_LIMIT) must be an integer, got 'many'"),
            (["store.sqlite.durability": "maybe"], [:], "store.sqlite.durability must be normal or full"),
            ([:], ["DOCKET_JWT_SECRET": "short"], "at least 32 bytes"),
            (["log.level": "loud"], [:], "log.level must be"),
            ([:], ["DOCKET_SQLITE_CACHE_MB": "0"], "store.sqlite.cacheMegabytes (DOCKET_SQLITE_CACHE_MB) must be between 1 and 4096"),
        ]
        for (flags, environment, expected) in cases {
            #expect {
                _ = try Configuration(flags: flags, environment: environment)
            } throws: { error in
                "\(error)".contains(expected)
            }
        }
    }

    /// Every flag the README documents is one `docket serve` takes: the real binary, every
    /// documented flag at once (at its documented default, or a sample where there is none),
    /// with --check-config, which reads the settings as a start does and prints where each came from.
    @Test func everyDocumentedFlagIsAcceptedByServe() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let samples = [
            "store.mongo.uri": "mongodb://127.0.0.1:1/docket", "rules.libraryDir": packsRoot.deletingLastPathComponent().appendingPathComponent("Rules").path,
            "console.dir": packsRoot.deletingLastPathComponent().appendingPathComponent("Console").path, "packs.dir": packsRoot.path,
            "http.portFile": "/tmp/docket-port", "mail.port": "2424", "mail.portFile": "/tmp/docket-mail-port",
            "mail.relayCAFile": "/etc/ssl/certs/ca-certificates.crt", "mail.heloName": "docket.luxfree.example",
        ]
        var arguments = ["serve", "--check-config"]
        var expected: [String: String] = [:]
        for (name, row) in try Self.readmeRows() {
            guard let flag = row.flag else { continue }
            let value = try #require(samples[name] ?? row.fallback, "\(name): the README gives no default to try")
            arguments += ["--\(flag)", value]
            expected[name] = "\(name) = \(value)  (--\(flag))"
        }
        #expect(expected.count >= 35)
        let result = try await DurabilityTests.cli(arguments, environment: [:], errors: true, in: try Scratch.directory("check-config"))
        #expect(result.status == 0, "\(result.output)")
        let lines = Set(result.output.split(separator: "\n").map(String.init))
        for (name, line) in expected { #expect(lines.contains(line), "\(name): \(result.output)") }
    }

    /// A store setting out of range or unknown is refused whichever store is used.
    @Test func bothStoresSettingsAreCheckedWhicheverIsUsed() throws {
        let scratch = try Scratch.directory("both-stores").path
        for (key, value) in [("store.mongo.poolSize", "0"), ("store.mongo.writeConcern", "some"), ("store.sqlite.cacheMegabytes", "0")] {
            for mongo in [false, true] {
                var flags = ["store.dataDir": scratch, "packs.dir": packsRoot.path, key: value]
                if mongo { flags["store.mongo.uri"] = "mongodb://127.0.0.1:1/x" }
                #expect(throws: SetupError.self, "\(key)=\(value), mongo: \(mongo)") { _ = try Configuration(flags: flags) }
            }
        }
    }

    @Test func commandLineSettingsAreReadFromTheOneDeclaration() throws {
        let flags = try Configuration.flags(
            from: ["--port", "9000", "--sqlite-cache-mb=64", "--data-dir", "/tmp/d"], scopes: [.store, .server], command: "serve")
        #expect(flags == ["http.port": "9000", "store.sqlite.cacheMegabytes": "64", "store.dataDir": "/tmp/d"])
        let refusals: [([String], [ConfigurationKey.Scope], String)] = [
            (["--sqlite-cache-megabytes", "8"], [.store, .server], "unknown option '--sqlite-cache-megabytes'; did you mean '--sqlite-cache-mb'?"),
            (["--port", "9000"], [.store], "'--port' (http.port) is a setting of docket serve only"),
            (["--port"], [.store, .server], "'--port' needs a value"),
            (["--port", "1", "--port=2"], [.store, .server], "'--port' is given twice"),
            (["9000"], [.store, .server], "unexpected argument '9000'"),
        ]
        for (arguments, scopes, message) in refusals {
            #expect {
                _ = try Configuration.flags(from: arguments, scopes: scopes, command: "test")
            } throws: { error in
                "\(error)".contains(message)
            }
        }
        // Every key with a flag has help, and no two keys share a flag or a variable.
        #expect(Configuration.keys.allSatisfy { !$0.help.isEmpty })
        #expect(Set(Configuration.keys.compactMap(\.flag)).count == Configuration.keys.compactMap(\.flag).count)
        #expect(Set(Configuration.keys.map(\.environment)).count == Configuration.keys.count)
    }
}
