import DocketCore
import DocketPacks
import DocketTestSupport
import Foundation
import HummingbirdTesting
import Testing

/// The files of a shipped pack, changed by `edit`, as an upload body.
func packFiles(_ packId: String, edit: (inout [String: String]) -> Void = { _ in }) throws -> [String: Any] {
    var files = try PackLoader(root: packsRoot).bundle(packId).files
    edit(&files)
    return ["files": files]
}

/// luxfree-solar 1.4.0: electrical danger routed to billing instead of the electrical queue.
func billingCandidate() throws -> [String: Any] {
    try packFiles("luxfree-solar") { files in
        replace(&files, "pack.yaml", "version: \"1.3.0\"", "version: \"1.4.0\"")
        replace(&files, "rules/triage.lua", "queue = \"electrical\"", "queue = \"billing\"")
        replace(&files, "tests/triage.yaml", "queue: electrical", "queue: billing")
    }
}

/// Replaces `old` with `new` in one file, failing the test when `old` is not there.
func replace(_ files: inout [String: String], _ path: String, _ old: String, _ new: String) {
    let text = files[path] ?? ""
    #expect(text.contains(old), "\(path) does not contain \(old)")
    files[path] = text.replacingOccurrences(of: old, with: new)
}

@Suite("Pack versions and tenants through the API")
struct PackAPITests {
    @Test func uploadsAreValidatedStoredImmutableAndPrivateToTheTenant() async throws {
        let app = try await TestApp(installShippedPacks: true)
        try await app.test { client in
            let admin = try await app.token(.admin, "boss")
            let acmeAdmin = try await app.token(.admin, "root", tenant: "acme")
            let agent = try await app.token(.agent, "ana")

            let bistro = try packFiles("restaurant") { files in
                replace(&files, "pack.yaml", "id: restaurant", "id: bistro")
            }
            var reply = try await client.call(.post, "/api/v2/packs", token: agent, json: bistro)
            #expect(reply.status == .forbidden)
            reply = try await client.call(.post, "/api/v2/packs", token: admin, json: bistro)
            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
            let summary = try #require(try reply.json()["version"] as? [String: Any])
            #expect(summary["packId"] as? String == "bistro")
            #expect(summary["owner"] as? String == "default")
            #expect(summary["origin"] as? String == "upload")
            #expect(summary["ruleFiles"] as? Int == 5)

            // The same version again is a conflict: versions are immutable.
            reply = try await client.call(.post, "/api/v2/packs", token: admin, json: bistro)
            #expect(reply.status == .conflict)
            // Another tenant cannot see it, nor take its id.
            reply = try await client.call(.get, "/api/v2/packs/bistro/versions", token: acmeAdmin)
            #expect(reply.status == .notFound)
            reply = try await client.call(.post, "/api/v2/packs", token: acmeAdmin, json: bistro)
            #expect(reply.status == .conflict)

            reply = try await client.call(.get, "/api/v2/packs", token: admin)
            let packs = try #require(try reply.json()["packs"] as? [[String: Any]])
            #expect(packs.map { $0["id"] as? String } == ["bistro", "ecommerce-vi", "healthcare", "luxfree-solar", "restaurant"])
            reply = try await client.call(.get, "/api/v2/packs", token: acmeAdmin)
            #expect((try reply.json()["packs"] as? [[String: Any]])?.count == 4)

            reply = try await client.call(.get, "/api/v2/packs/bistro/versions/1.2.0", token: admin)
            #expect(reply.status == .ok)
            let files = try #require(try reply.json()["files"] as? [String: String])
            #expect(files["rules/triage.lua"]?.contains("on_ticket_created") == true)
            #expect(files["pack.yaml"]?.contains("id: bistro") == true)
        }
    }

    @Test func aBadUploadNamesEveryFileAndLineAndChangesNothing() async throws {
        let app = try await TestApp(installShippedPacks: true)
        try await app.test { client in
            let platform = try await app.token(.platform, "ops")
            let before = try await client.call(.get, "/api/v2/packs/restaurant/versions", token: platform).body

            let broken = try packFiles("restaurant") { files in
                replace(&files, "pack.yaml", "version: \"1.2.0\"", "version: \"1.3.0\"")
                // Line 3 of words.lua no longer compiles, and a fixture file is not YAML.
                var words = files["rules/words.lua"]!.components(separatedBy: "\n")
                words[2] = "    \"allergy\", \"allergic\" \"anaphyla\","
                files["rules/words.lua"] = words.joined(separator: "\n")
                files["tests/broken.yaml"] = "cases:\n  - name: [unclosed\n"
                files["../escape.lua"] = "x"
            }
            var reply = try await client.call(.post, "/api/v2/packs", token: platform, json: broken)
            #expect(reply.status == .unprocessableContent)
            var problems = try #require(((try reply.json()["error"] as? [String: Any])?["details"] as? [String: Any])?["problems"] as? [String])
            #expect(problems.contains { $0.hasPrefix("../escape.lua: is not a pack file") }, "\(problems)")

            let syntax = try packFiles("restaurant") { files in
                replace(&files, "pack.yaml", "version: \"1.2.0\"", "version: \"1.3.0\"")
                var words = files["rules/words.lua"]!.components(separatedBy: "\n")
                words[2] = "    \"allergy\", \"allergic\" \"anaphyla\","
                files["rules/words.lua"] = words.joined(separator: "\n")
                files["tests/broken.yaml"] = "cases:\n  - name: [unclosed\n"
            }
            reply = try await client.call(.post, "/api/v2/packs", token: platform, json: syntax)
            #expect(reply.status == .unprocessableContent)
            problems = try #require(((try reply.json()["error"] as? [String: Any])?["details"] as? [String: Any])?["problems"] as? [String])
            #expect(problems.contains { $0.hasPrefix("tests/broken.yaml:") }, "\(problems)")

            let lua = try packFiles("restaurant") { files in
                replace(&files, "pack.yaml", "version: \"1.2.0\"", "version: \"1.3.0\"")
                var words = files["rules/words.lua"]!.components(separatedBy: "\n")
                words[2] = "    \"allergy\", \"allergic\" \"anaphyla\","
                files["rules/words.lua"] = words.joined(separator: "\n")
            }
            reply = try await client.call(.post, "/api/v2/packs", token: platform, json: lua)
            #expect(reply.status == .unprocessableContent)
            problems = try #require(((try reply.json()["error"] as? [String: Any])?["details"] as? [String: Any])?["problems"] as? [String])
            #expect(problems.contains { $0.hasPrefix("rules/words.lua:3:") }, "\(problems)")

            // A fixture that no longer passes names its file and the line of the case.
            let failing = try packFiles("restaurant") { files in
                replace(&files, "pack.yaml", "version: \"1.2.0\"", "version: \"1.3.0\"")
                replace(&files, "rules/triage.lua", "priority = \"urgent\"", "priority = \"high\"")
            }
            reply = try await client.call(.post, "/api/v2/packs", token: platform, json: failing)
            #expect(reply.status == .unprocessableContent)
            problems = try #require(((try reply.json()["error"] as? [String: Any])?["details"] as? [String: Any])?["problems"] as? [String])
            let fixtureText = try PackLoader(root: packsRoot).bundle("restaurant").files["tests/triage.yaml"]!
            let line = fixtureText.components(separatedBy: "\n").firstIndex { $0.contains("name: an allergic reaction") }! + 1
            #expect(problems.contains { $0.hasPrefix("tests/triage.yaml:\(line): case 1 ") }, "\(problems)")

            // A handler the manifest names but the file does not define.
            let missing = try packFiles("restaurant") { files in
                replace(&files, "pack.yaml", "version: \"1.2.0\"", "version: \"1.3.0\"")
                replace(&files, "rules/escalation.lua", "function on_note_added(", "function on_note_addd(")
            }
            reply = try await client.call(.post, "/api/v2/packs", token: platform, json: missing)
            problems = try #require(((try reply.json()["error"] as? [String: Any])?["details"] as? [String: Any])?["problems"] as? [String])
            #expect(problems.contains { $0.contains("rules/escalation.lua:1: defines no function on_note_added") }, "\(problems)")

            reply = try await client.call(.post, "/api/v2/packs", token: platform, raw: "{\"files\": 3}")
            #expect(reply.status == .badRequest)
            #expect(try await client.call(.get, "/api/v2/packs/restaurant/versions", token: platform).body == before)
        }
    }

    @Test func tenantsAreCreatedAndSwitchedByTheRightAdmins() async throws {
        let app = try await TestApp(installShippedPacks: true)
        try await app.test { client in
            let platform = try await app.token(.platform, "ops")
            let admin = try await app.token(.admin, "boss")
            let acmeAdmin = try await app.token(.admin, "root", tenant: "acme")

            var reply = try await client.call(.post, "/api/v2/tenants", token: admin, json: ["id": "bistro", "name": "Bistro", "pack": "restaurant"])
            #expect(reply.status == .forbidden)
            reply = try await client.call(.post, "/api/v2/tenants", token: platform, json: ["id": "bistro", "name": "Bistro", "pack": "restaurant"])
            #expect(reply.status == .created)
            var tenant = try #require(try reply.json()["tenant"] as? [String: Any])
            #expect((tenant["pack"] as? [String: Any])?["version"] as? String == "1.2.0")
            #expect(tenant["packPinned"] as? Bool == false)
            reply = try await client.call(.post, "/api/v2/tenants", token: platform, json: ["id": "bistro", "name": "Again", "pack": "restaurant"])
            #expect(reply.status == .conflict)
            reply = try await client.call(.post, "/api/v2/tenants", token: platform, json: ["id": "Bad Id", "name": "x", "pack": "restaurant"])
            #expect(reply.status == .unprocessableContent)
            reply = try await client.call(.post, "/api/v2/tenants", token: platform, json: ["id": "ghost", "name": "x", "pack": "nope"])
            #expect(reply.status == .notFound)

            // The new tenant works at once, with the restaurant's ID format and rules.
            let bistroAdmin = try await app.token(.admin, "chef", tenant: "bistro")
            reply = try await client.call(.post, "/api/v2/customers", token: bistroAdmin, json: ["id": "guest1", "firstName": "Ann", "email": "ann@example.com"])
            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
            let guest = try await app.token(.customer, "guest1", tenant: "bistro")
            reply = try await client.call(.post, "/api/v2/tickets", token: guest, json: [
                "subject": "Allergic reaction", "description": "My son had an allergic reaction to the sauce",
            ])
            #expect(reply.status == .created)
            #expect((reply.ticket?["ticketId"] as? String)?.hasPrefix("RST-2026-") == true)
            #expect(reply.ticket?["priority"] as? String == "urgent")

            // Only the tenant's own admins (and platform admins) see and switch it.
            #expect(try await client.call(.get, "/api/v2/tenants/bistro", token: acmeAdmin).status == .forbidden)
            #expect(try await client.call(.get, "/api/v2/tenants/bistro", token: bistroAdmin).status == .ok)
            #expect(try await client.call(.get, "/api/v2/tenants", token: bistroAdmin).status == .forbidden)
            reply = try await client.call(.get, "/api/v2/tenants", token: platform)
            #expect((try reply.json()["tenants"] as? [[String: Any]])?.map { $0["id"] as? String } == ["acme", "bistro", "default"])
            reply = try await client.call(.put, "/api/v2/tenants/bistro/pack", token: acmeAdmin, json: ["pack": "luxfree-solar"])
            #expect(reply.status == .forbidden)

            reply = try await client.call(.put, "/api/v2/tenants/bistro/pack", token: bistroAdmin, json: ["pack": "luxfree-solar", "version": "1.3.0"])
            #expect(reply.status == .ok)
            tenant = try #require(try reply.json()["tenant"] as? [String: Any])
            #expect((tenant["pack"] as? [String: Any])?["id"] as? String == "luxfree-solar")
            #expect(tenant["packPinned"] as? Bool == true)
            let history = try #require(tenant["packHistory"] as? [[String: Any]])
            #expect(history.map { $0["reason"] as? String } == ["created", "activated"])
            #expect(history.last?["previous"] as? String == "restaurant@1.2.0")

            // No restart: the next ticket uses the new pack.
            reply = try await client.call(.post, "/api/v2/tickets", token: guest, json: [
                "subject": "Salen chispas", "description": "Hay chispas y olor a quemado", "category": "other",
            ])
            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
            #expect((reply.ticket?["ticketId"] as? String)?.hasPrefix("LUX-2026-") == true)
            #expect(reply.ticket?["queue"] as? String == "electrical")

            reply = try await client.call(.put, "/api/v2/tenants/bistro/pack", token: bistroAdmin, json: ["pack": "luxfree-solar", "version": "9.9.9"])
            #expect(reply.status == .notFound)
        }
    }

    @Test func rollbackToAnEarlierVersionAndSimulateACandidate() async throws {
        // 10:00 in Mexico City: office hours.
        let app = try await TestApp(clock: ManualClock(Date(timeIntervalSince1970: 1_795_017_600)), installShippedPacks: true)
        try await app.test { client in
            let (admin, _, customer) = try await app.people(client)
            let platform = try await app.token(.platform, "ops")
            for subject in ["Salen chispas del poste", "Luminaria apagada", "Hay un cortocircuito"] {
                _ = try await app.openTicket(client, token: customer, subject: subject, extra: ["description": subject, "category": "other"])
            }
            // 1.4.0 sends electrical danger to billing instead of the electrical queue.
            var reply = try await client.call(.post, "/api/v2/packs", token: platform, json: try billingCandidate())
            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")

            let countBefore = try await client.call(.get, "/api/v2/tickets?limit=100", token: admin).json()["pagination"] as? [String: Any]
            reply = try await client.call(.post, "/api/v2/packs/luxfree-solar/versions/1.4.0/simulate", token: admin, json: ["limit": 10])
            #expect(reply.status == .ok, "\(String(decoding: reply.body, as: UTF8.self))")
            let report = try reply.json()
            #expect(report["activeVersion"] as? String == "luxfree-solar@1.3.0")
            #expect(report["candidateVersion"] as? String == "luxfree-solar@1.4.0")
            #expect(report["events"] as? Int == 3)
            #expect(report["changed"] as? Int == 2)
            let results = try #require(report["results"] as? [[String: Any]])
            #expect(results.first?["onlyActive"] as? [String] == ["route_to_queue(electrical)"])
            #expect(results.first?["onlyCandidate"] as? [String] == ["route_to_queue(billing)"])
            #expect(results[1]["changed"] as? Bool == false)
            // Nothing was written.
            #expect(try await client.call(.get, "/api/v2/tickets?limit=100", token: admin).json()["pagination"] as? [String: Any] as NSDictionary? == countBefore as NSDictionary?)
            reply = try await client.call(.post, "/api/v2/packs/luxfree-solar/versions/1.4.0/simulate", token: admin, json: ["limit": 501])
            #expect(reply.status == .badRequest)
            reply = try await client.call(.post, "/api/v2/packs/luxfree-solar/versions/1.4.0/simulate", token: admin, json: ["tenant": "acme"])
            #expect(reply.status == .forbidden)

            // Activate 1.4.0, then roll back to 1.3.0.
            reply = try await client.call(.put, "/api/v2/tenants/default/pack", token: admin, json: ["pack": "luxfree-solar"])
            #expect((try reply.json()["tenant"] as? [String: Any]).flatMap { ($0["pack"] as? [String: Any])?["version"] as? String } == "1.4.0")
            var id = try await app.openTicket(client, token: customer, subject: "Chispas", extra: ["description": "chispas", "category": "other"])
            #expect(try await client.call(.get, "/api/v2/tickets/\(id)", token: admin).ticket?["queue"] as? String == "billing")
            reply = try await client.call(.put, "/api/v2/tenants/default/pack", token: admin, json: ["pack": "luxfree-solar", "version": "1.3.0"])
            let history = try #require((try reply.json()["tenant"] as? [String: Any])?["packHistory"] as? [[String: Any]])
            #expect(history.last?["reason"] as? String == "rollback")
            id = try await app.openTicket(client, token: customer, subject: "Chispas", extra: ["description": "chispas", "category": "other"])
            #expect(try await client.call(.get, "/api/v2/tickets/\(id)", token: admin).ticket?["queue"] as? String == "electrical")
        }
    }

    @Test func liveActivationUnderConcurrentLoadUsesExactlyOneVersionPerRequest() async throws {
        let app = try await TestApp(installShippedPacks: true)
        try await app.test { client in
            let (admin, _, customer) = try await app.people(client)
            let created = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var ids: [String] = []
                        for index in 0..<25 {
                            let reply = try await client.call(.post, "/api/v2/tickets", token: customer, json: [
                                "subject": "Allergic reaction \(worker)-\(index)",
                                "description": "Chispas y olor a quemado; my son had an allergic reaction", "category": "other",
                            ])
                            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
                            if let id = reply.ticket?["ticketId"] as? String { ids.append(id) }
                        }
                        return ids
                    }
                }
                group.addTask {
                    for round in 0..<10 {
                        let pack = round % 2 == 0 ? "restaurant" : "luxfree-solar"
                        let reply = try await client.call(.put, "/api/v2/tenants/default/pack", token: admin, json: ["pack": pack])
                        #expect(reply.status == .ok, "\(String(decoding: reply.body, as: UTF8.self))")
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    return []
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(created.count == 200)
            var seen = Set<String>()
            for id in created {
                let reply = try await client.call(.get, "/api/v2/tickets/\(id)/rule-audit", token: admin)
                let audit = try #require(try reply.json()["audit"] as? [[String: Any]])
                let packs = Set(audit.map { "\($0["packId"] ?? "")@\($0["packVersion"] ?? "")" })
                #expect(packs.count == 1, "\(id) was evaluated by \(packs)")
                let pack = try #require(packs.first)
                seen.insert(pack)
                // The ID format came from the same version as the rules.
                #expect(id.hasPrefix(pack.hasPrefix("restaurant") ? "RST-" : "LUX-"), "\(id) with \(pack)")
            }
            #expect(seen.count == 2, "both versions served some requests: \(seen)")
        }
    }
}

@Suite("Vietnamese shop pack through the API")
struct EcommercePackTests {
    @Test func vipAndLateParcelsAreRaisedAndRefundsGoToFinance() async throws {
        // 2026-11-18 03:00 UTC: 10:00 in Ho Chi Minh City.
        let app = try await TestApp(clock: ManualClock(Date(timeIntervalSince1970: 1_795_014_000)), installShippedPacks: true)
        try await app.test { client in
            let platform = try await app.token(.platform, "ops")
            var reply = try await client.call(.post, "/api/v2/tenants", token: platform, json: ["id": "senviet", "name": "Sen Việt", "pack": "ecommerce-vi"])
            #expect(reply.status == .created)
            let admin = try await app.token(.admin, "quanly", tenant: "senviet")
            for (id, skills, name) in [("hoa", ["finance"], "Hoa"), ("minh", ["finance"], "Minh")] {
                reply = try await client.call(.post, "/api/v2/agents", token: admin, json: ["id": id, "name": name, "skills": skills])
                #expect(reply.status == .created)
            }
            await app.online(["hoa", "minh"], tenant: "senviet")
            reply = try await client.call(.post, "/api/v2/customers", token: admin, json: ["id": "vip1", "phoneNumber": "+84 90 123 4567", "tier": "vip"])
            #expect(reply.status == .created)
            #expect(try await client.call(.post, "/api/v2/customers", token: admin, json: ["id": "x", "phoneNumber": "+84 90 000 0000", "tier": "V I P"]).status == .unprocessableContent)
            let vip = try await app.token(.customer, "vip1", tenant: "senviet")

            reply = try await client.call(.post, "/api/v2/tickets", token: vip, json: [
                "subject": "Chưa nhận được hàng", "description": "Hẹn giao ngày 15 mà vẫn chưa nhận được hàng",
                "fields": ["orderId": "SV-88213", "promisedDate": "2026-11-15"],
            ])
            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
            var ticket = try #require(reply.ticket)
            #expect(ticket["ticketId"] as? String == "HT-000001")
            #expect(ticket["priority"] as? String == "urgent")  // late (high), then VIP (one more)
            #expect(ticket["tags"] as? [String] == ["tre_hen_giao", "vip"])
            #expect((ticket["fields"] as? [String: String])?["orderId"] == "SV-88213")

            reply = try await client.call(.post, "/api/v2/tickets", token: vip, json: [
                "subject": "Hoàn tiền", "description": "Tôi đã trả hàng, xin hoàn tiền",
            ])
            ticket = try #require(reply.ticket)
            #expect(ticket["ticketId"] as? String == "HT-000002")
            #expect(ticket["queue"] as? String == "finance")
            #expect(ticket["category"] as? String == "return_refund")
            #expect(ticket["assignedAgent"] as? String == "hoa")  // both have 0 open: ties break by id
            reply = try await client.call(.post, "/api/v2/tickets", token: vip, json: ["subject": "hoan tien", "description": "doi tra"])
            #expect(reply.ticket?["assignedAgent"] as? String == "minh")  // now the least loaded

            reply = try await client.call(.post, "/api/v2/tickets", token: vip, json: [
                "subject": "x", "description": "y", "fields": ["bad key!": "v"],
            ])
            #expect(reply.status == .unprocessableContent)
        }
    }
}
