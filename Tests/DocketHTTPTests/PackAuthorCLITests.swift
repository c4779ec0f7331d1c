import DocketPacks
import DocketTestSupport
import Foundation
import Testing

/// A pack author with the binary and no checkout: every command runs in a scratch folder with
/// no `Rules/` or `IndustryPacks/` anywhere near it.
@Suite("A pack author's CLI, outside a checkout", .serialized)
struct PackAuthorCLITests {
    static func docket(_ arguments: [String], in folder: URL, _ environment: [String: String?] = [:]) async throws -> (status: Int32, output: String) {
        try await DurabilityTests.cli(arguments, environment: environment, errors: true, in: folder)
    }

    @Test func initValidateAndTestFromAnyFolder() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let home = try Scratch.directory("author")
        var result = try await Self.docket(["pack", "init", "bistro", "--from", "restaurant"], in: home)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("bistro 0.1.0, from restaurant"))
        let manifest = try String(contentsOf: home.appendingPathComponent("bistro/pack.yaml"), encoding: .utf8)
        #expect(manifest.contains("\nid: bistro\n") && manifest.contains("\nversion: \"0.1.0\"\n"))
        result = try await Self.docket(["pack", "validate", "bistro"], in: home)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("bistro 0.1.0: valid"))
        result = try await Self.docket(["pack", "test", "bistro"], in: home)
        #expect(result.status == 0 && result.output.contains("fixtures passed"), "\(result.output)")

        // A typo is found at its line, as the author's editor wants it.
        try manifest.replacingOccurrences(of: "\nqueues:", with: "\nqueus:").write(
            to: home.appendingPathComponent("bistro/pack.yaml"), atomically: true, encoding: .utf8)
        result = try await Self.docket(["pack", "validate", "bistro"], in: home)
        #expect(result.status != 0)
        #expect(result.output.range(of: #"bistro/pack\.yaml:\d+: queus: unknown key; did you mean 'queues'\?"#, options: .regularExpression) != nil, "\(result.output)")

        result = try await Self.docket(["pack", "init", "bistro", "--from", "restaurant"], in: home)
        #expect(result.status != 0 && result.output.contains("is not empty"), "nothing is overwritten")
        result = try await Self.docket(["pack", "init", "other", "--from", "nothing"], in: home)
        #expect(result.status != 0 && result.output.contains("no shipped pack 'nothing'"), "\(result.output)")
    }

    @Test func pushPrintsProblemsAtFileAndLineAndPullWritesAVersionBack() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let home = try Scratch.directory("author-push")
        let dataDir = home.appendingPathComponent("data")
        let (server, port) = try await DurabilityTests.serve(dataDir: dataDir)
        defer {
            server.stopInBackground()
        }
        let token = try await DurabilityTests.token(dataDir: dataDir, role: "admin", subject: "boss")
        let access: [String: String?] = ["DOCKET_SERVER": "http://127.0.0.1:\(port)", "DOCKET_TOKEN": token]
        #expect(try await Self.docket(["pack", "init", "bistro", "--from", "restaurant"], in: home).status == 0)

        var result = try await Self.docket(["pack", "push", "bistro"], in: home, access)
        #expect(result.status == 0 && result.output.contains("stored bistro 0.1.0 (default)"), "\(result.output)")
        result = try await Self.docket(["pack", "push", "bistro"], in: home, access)
        #expect(result.status != 0 && result.output.contains("409: bistro 0.1.0 exists"), "\(result.output)")

        // A broken rule: the server's problem, at the author's path and line.
        let manifest = home.appendingPathComponent("bistro/pack.yaml")
        try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: "version: \"0.1.0\"", with: "version: \"0.1.1\"")
            .write(to: manifest, atomically: true, encoding: .utf8)
        try "function on_ticket_created( return {} end\n".write(
            to: home.appendingPathComponent("bistro/rules/triage.lua"), atomically: true, encoding: .utf8)
        result = try await Self.docket(["pack", "push", "bistro"], in: home, access)
        #expect(result.status != 0)
        #expect(result.output.hasPrefix("bistro/rules/triage.lua:1: "), "\(result.output)")

        result = try await Self.docket(["pack", "push", "bistro"], in: home, ["DOCKET_SERVER": "http://127.0.0.1:\(port)", "DOCKET_TOKEN": nil])
        #expect(result.status != 0 && result.output.contains("DOCKET_TOKEN"), "\(result.output)")

        result = try await Self.docket(["pack", "pull", "bistro", "0.1.0", "pulled"], in: home, access)
        #expect(result.status == 0, "\(result.output)")
        let original = try #require(PackLoader.builtInPack("restaurant"))
        let pulled = try String(contentsOf: home.appendingPathComponent("pulled/rules/triage.lua"), encoding: .utf8)
        #expect(pulled == original.files["rules/triage.lua"])
        result = try await Self.docket(["pack", "pull", "bistro", "9.9.9", "missing"], in: home, access)
        #expect(result.status != 0 && result.output.contains("404"), "\(result.output)")
    }
}
