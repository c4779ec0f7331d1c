import DocketAssembly
import Foundation
import Testing

/// The configuration is read once, flag before environment before default, and the README's
/// table lists exactly the keys the code reads.
@Suite("Configuration")
struct ConfigurationTests {
    @Test func theReadmeTableListsEveryKeyWithItsFlagAndVariable() throws {
        let readme = try String(contentsOf: packsRoot.deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Configuration").dropFirst().first?.components(separatedBy: "\n## ").first)
        var rows: [String: (flag: String?, env: String, accepted: String)] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5, cells[0].hasPrefix("`"), cells[2].hasPrefix("`DOCKET_") else { continue }
            let unquote = { (text: String) in text.trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
            rows[unquote(cells[0])] = (
                cells[1] == "—" ? nil : unquote(cells[1]).replacingOccurrences(of: "--", with: ""), unquote(cells[2]), unquote(cells[cells.count - 1])
            )
        }
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
}
