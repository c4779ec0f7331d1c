import DocketCore
import DocketTestSupport
import Foundation
import HummingbirdTesting
import Testing

/// Errors name the field and what is allowed, in the API's words: nothing from SQLite or
/// Swift's decoder reaches a client (issue 20, item 8).
@Suite("Errors in the API's words")
struct ErrorWordsTests {
    @Test func conflictsEnumsAndNumbersAreSaidInTheAPIsWords() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            // A taken e-mail: the field, no SQLite.
            var reply = try await client.call(.post, "/api/v2/agents", token: admin, json: ["id": "ana2", "name": "Otra Ana", "email": "ana@default.mx"])
            #expect(reply.status == .conflict)
            var text = String(decoding: reply.body, as: UTF8.self)
            #expect(!text.contains("UNIQUE") && !text.contains("constraint") && !text.contains("agents."))
            #expect(((try reply.json()["error"] as? [String: Any])?["field"] as? String) == "email")
            reply = try await client.call(.post, "/api/v2/customers", token: admin, json: ["phoneNumber": "+52 55 1234 5678", "firstName": "Dup"])
            #expect(reply.status == .conflict)
            #expect(((try reply.json()["error"] as? [String: Any])?["field"] as? String) == "phoneNumber")
            // An unknown enum value: the allowed ones, not Swift's words.
            reply = try await client.call(.post, "/api/v2/tickets", token: customer, json: ["subject": "x", "description": "y", "priority": "critical"])
            #expect(reply.status == .badRequest)
            text = String(decoding: reply.body, as: UTF8.self)
            #expect(text.contains("priority must be one of low, medium, high, urgent"), "\(text)")
            #expect(!text.contains("Cannot initialize"))
            // A decimal where a whole number goes: not "invalid JSON".
            let ticketId = try await app.openTicket(client, token: customer)
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/feedback", token: customer, json: ["rating": 4.5])
            #expect(reply.status == .badRequest)
            text = String(decoding: reply.body, as: UTF8.self)
            #expect(!text.contains("not valid JSON") && text.contains("whole numbers"), "\(text)")
            // Real garbage still says so.
            reply = try await client.call(.post, "/api/v2/tickets", token: agent, raw: "{not json")
            #expect(String(decoding: reply.body, as: UTF8.self).contains("not valid JSON"))
        }
    }
}

@Suite("Configuration round trips and addressable ticket IDs")
struct RoundTripTests {
    /// A filter on the pack's vocabulary that can never match is a mistake, said the same way
    /// for each: 400 naming the parameter and what it allows. Inactive categories still filter.
    @Test func unknownStatusPriorityAndCategoryFiltersAreRefusedAlike() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (_, agent, _) = try await app.people(client)
            for (name, value) in [("status", "bogus"), ("priority", "bogus"), ("category", "bogus")] {
                let reply = try await client.call(.get, "/api/v2/tickets?\(name)=\(value)", token: agent)
                #expect(reply.status == .badRequest, "\(name)")
                #expect((try reply.json()["error"] as? [String: Any])?["field"] as? String == name)
            }
            let category = try await client.call(.get, "/api/v2/tickets?category=bogus", token: agent)
            let allowed = ((try category.json()["error"] as? [String: Any])?["details"] as? [String: Any])?["allowed"] as? [String]
            #expect(allowed?.contains("light_malfunction") == true)
            #expect(try await client.call(.get, "/api/v2/tickets?category=billing", token: agent).status == .ok)
        }
    }

    @Test func whatAGetAnswersAPutTakesBack() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let admin = try await app.token(.admin, "boss")
            for (path, key) in [("ticket-id-format", "format"), ("business-hours", "calendar"), ("terminology", "terminology"), ("assistant", "config")] {
                let read = try await client.call(.get, "/api/v2/config/\(path)", token: admin)
                let body = try read.json()
                // Wrapped, as GET answered…
                let wrapped = try await client.call(.put, "/api/v2/config/\(path)", token: admin, json: body)
                #expect(wrapped.status == .ok, "\(path) wrapped: \(String(decoding: wrapped.body, as: UTF8.self))")
                // …or bare, as before.
                let bare = try await client.call(.put, "/api/v2/config/\(path)", token: admin, json: try #require(body[key]))
                #expect(bare.status == .ok, "\(path) bare: \(String(decoding: bare.body, as: UTF8.self))")
            }
        }
    }

    @Test func aTicketWhoseIdHasASlashIsReachableWithTheSlashEncoded() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let (admin, agent, customer) = try await app.people(client)
            let format = ["prefix": "SOL", "separator": "/", "includeYear": false, "padLength": 4, "resetYearly": false] as [String: Any]
            try await client.succeed(.put, "/api/v2/config/ticket-id-format", token: admin, json: format)
            let ticketId = try await app.openTicket(client, token: customer)
            #expect(ticketId.contains("/"))
            let encoded = try #require(ticketId.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let reply = try await client.call(.get, "/api/v2/tickets/\(encoded)", token: agent)
            #expect(reply.status == .ok)
            #expect(reply.ticket?["ticketId"] as? String == ticketId)
            try await client.succeed(.post, "/api/v2/tickets/\(encoded)/claim", token: agent)
        }
    }
}

@Suite("One phone number, one customer")
struct PhoneNumberTests {
    @Test func aNumberWrittenWithoutPlusOrWithZeroZeroIsTheSameCustomer() async throws {
        let app = try await TestApp()
        try await app.test { client in
            let admin = try await app.token(.admin, "boss")
            let reply = try await client.call(.post, "/api/v2/customers", token: admin, json: ["phoneNumber": "525512345678", "firstName": "Luz"])
            #expect(reply.status == .created)
            #expect((try reply.json()["customer"] as? [String: Any])?["phoneNumber"] as? String == "+525512345678")
            for same in ["+52 55 1234 5678", "0052 55 1234-5678"] {
                let again = try await client.call(.post, "/api/v2/customers", token: admin, json: ["phoneNumber": same, "firstName": "Luz"])
                #expect(again.status == .conflict, "\(same) is the same number")
            }
            // A short local number stays as written.
            let local = try await client.call(.post, "/api/v2/customers", token: admin, json: ["phoneNumber": "5512 3456", "firstName": "Sol"])
            #expect((try local.json()["customer"] as? [String: Any])?["phoneNumber"] as? String == "55123456")
        }
    }
}

@Suite("The CLI never makes what it should only read")
struct CLIReadOnlyTests {
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await DurabilityTests.cli(arguments, environment: ["DOCKET_JWT_SECRET": nil], errors: true)
    }

    @Test func tokenAndSimulateRefuseADataDirectoryThatIsNotThere() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DurabilityTests.binary.path), "build the docket product first")
        let missing = try Scratch.directory("cli").appendingPathComponent("not-there")
        var (status, output) = try await Self.run(["token", "--tenant", "default", "--role", "admin", "--subject", "x", "--data-dir", missing.path])
        #expect(status != 0)
        #expect(output.contains("no token signing key"))
        (status, output) = try await Self.run([
            "pack", "simulate", packsRoot.appendingPathComponent("restaurant").path, "--tenant", "default", "--data-dir", missing.path,
        ])
        #expect(status != 0)
        #expect(output.contains("no database at"))
        #expect(!FileManager.default.fileExists(atPath: missing.path), "nothing was created")
    }
}
