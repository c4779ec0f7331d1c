import DocketCore
import Foundation
import HummingbirdTesting
import Testing

@Suite("Checking a pack without storing it")
struct PackCheckAPITests {
    @Test func aCheckReportsEveryCaseAndEveryProblemAtItsLineAndStoresNothing() async throws {
        let app = try await TestApp(installShippedPacks: true)
        try await app.test { client in
            let admin = try await app.token(.admin, "boss")
            let good = try packFiles("restaurant") { replace(&$0, "pack.yaml", "id: restaurant", "id: bistro") }
            var reply = try await client.call(.post, "/api/v2/packs/check", token: admin, json: good)
            #expect(reply.status == .ok)
            var report = try reply.json()
            #expect(report["valid"] as? Bool == true)
            #expect(report["id"] as? String == "bistro")
            let cases = try #require(report["cases"] as? [[String: Any]])
            #expect(!cases.isEmpty && cases.allSatisfy { $0["passed"] as? Bool == true })
            #expect(cases.allSatisfy { ($0["line"] as? Int ?? 0) > 0 && $0["expected"] is [Any] && $0["actual"] is [Any] })

            // A fixture that expects something else: failed, with both sides, at its line.
            let wrong = try packFiles("restaurant") { files in
                replace(&files, "pack.yaml", "id: restaurant", "id: bistro")
                let text = files["tests/triage.yaml"] ?? ""
                let range = try! #require(text.range(of: "{ type: set_priority, priority: urgent }"))
                files["tests/triage.yaml"] = text.replacingCharacters(in: range, with: "{ type: set_priority, priority: low }")
            }
            report = try await client.call(.post, "/api/v2/packs/check", token: admin, json: wrong).json()
            #expect(report["valid"] as? Bool == false)
            let failed = try #require((report["cases"] as? [[String: Any]])?.first { $0["passed"] as? Bool == false })
            #expect((failed["expected"] as? [[String: String]])?.contains { $0["priority"] == "low" } == true)
            #expect((failed["actual"] as? [[String: String]])?.contains { $0["priority"] == "urgent" } == true)
            #expect(((report["problems"] as? [[String: Any]]) ?? []).contains { ($0["file"] as? String)?.hasPrefix("tests/") == true && $0["line"] is Int })

            // A Lua syntax error: one problem at the file and line Lua names; no fixture runs.
            let broken = try packFiles("restaurant") { files in
                replace(&files, "pack.yaml", "id: restaurant", "id: bistro")
                let path = try! #require(files.keys.sorted().first { $0.hasPrefix("rules/") })
                files[path] = "local x = {\n" + files[path]!
            }
            report = try await client.call(.post, "/api/v2/packs/check", token: admin, json: broken).json()
            let problems = try #require(report["problems"] as? [[String: Any]])
            #expect(report["valid"] as? Bool == false && (report["cases"] as? [Any])?.isEmpty == true)
            #expect(problems.contains { ($0["file"] as? String)?.hasPrefix("rules/") == true && ($0["line"] as? Int ?? 0) > 0 })
            // One line each, once: no sandbox stack trace, no repeat through the files that require it.
            #expect(problems.allSatisfy { !(($0["message"] as? String) ?? "").contains("stack traceback") })
            let described = problems.map { "\($0["file"] ?? ""):\($0["line"] ?? ""):\($0["message"] ?? "")" }
            #expect(Set(described).count == described.count)

            // A syntax error in the module every rule file requires is reported once, at its line.
            let sharedModule = try packFiles("restaurant") { files in
                replace(&files, "pack.yaml", "id: restaurant", "id: bistro")
                replace(&files, "rules/words.lua", #""anaphyla","#, #""anaphyla""#)
            }
            let shared = try #require(try await client.call(.post, "/api/v2/packs/check", token: admin, json: sharedModule).json()["problems"] as? [[String: Any]])
            #expect(shared.count == 1, "\(shared)")
            #expect(shared.first?["file"] as? String == "rules/words.lua" && shared.first?["line"] as? Int == 3)

            // Nothing was stored; an agent may not check; the role is decided before the body.
            let listed = try await client.call(.get, "/api/v2/packs", token: admin).json()["packs"] as? [[String: Any]]
            #expect(listed?.contains { $0["id"] as? String == "bistro" } == false)
            reply = try await client.call(.post, "/api/v2/packs/check", token: try await app.token(.agent, "ana"), raw: "not json")
            #expect(reply.status == .forbidden)
        }
    }
}
