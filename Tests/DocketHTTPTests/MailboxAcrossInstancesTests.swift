import DocketCore
import DocketPacks
import DocketTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Three instances on one MongoDB, each running its mailbox fetch: the lease in the mailbox's
/// state lets one fetch at a time, so every mail is handed on once (the figures count each
/// once) and each customer's mails stay in their order.
@Suite("IMAP mailbox across instances on MongoDB")
struct MailboxAcrossInstancesTests {
    @Test(.enabled(if: TestStores.runsMongo)) func threeInstancesFetchOneMailboxAndHandEachMailOnOnce() async throws {
        let dovecot = try await DovecotInstance(users: ["soporte": "s3cret"])
        defer { dovecot.stopNow() }
        let customers = 6
        let thread = 4
        var mails: [[String: String]] = []
        for index in 0..<thread {
            for customer in 0..<customers {
                var mail = ["From": "c\(customer)@example.mx", "To": "soporte@luxfree.example", "Subject": "Medidor \(customer)", "text": "[\(customer)/\(index)]"]
                mail["Message-ID"] = "<m.\(customer).\(index)@example.mx>"
                if index > 0 { mail["In-Reply-To"] = "<m.\(customer).\(index - 1)@example.mx>" }
                mails.append(mail)
            }
        }
        try await dovecot.append(mails, user: "soporte")

        let uri = try TestStores.requireMongoURI()
        let shared = try #require(LiveMongoTests.withDatabase(uri, "docket_imap_\(UUID().uuidString.prefix(8).lowercased())"))
        let a = try await MongoInstance(uri: shared, name: "imap-a")
        let b = try await MongoInstance(uri: shared, name: "imap-b")
        let c = try await MongoInstance(uri: shared, name: "imap-c")
        let pack = try PackLoader(root: packsRoot).loadAll("luxfree-solar").manifest
        _ = try await a.services.tenants.provisionTenant(id: "default", name: "LUXFREE", pack: pack)
        let boss = Principal(tenantId: "default", role: .admin, subject: "boss")
        let admin = try await a.system.tokens.issue(boss, ttl: 600)
        _ = try await a.services.tenants.setMail(
            boss,
            TenantMail(
                addresses: ["soporte@luxfree.example"],
                mailboxes: [MailMailbox(id: "buzon", host: "127.0.0.1", port: dovecot.port, security: .none, username: "soporte", password: "s3cret", pollSeconds: 5)]))

        try await a.app.test(.live) { clientA in
            try await b.app.test(.live) { _ in
                try await c.app.test(.live) { _ in
                    var contents: [[String]] = []
                    var figures: [String: Any] = [:]
                    let deadline = ContinuousClock.now + .seconds(120)
                    while true {
                        contents = []
                        let listed = try await clientA.call(.get, "/api/v2/tickets?source=email&limit=100", token: admin).json()
                        for ticket in listed["tickets"] as? [[String: Any]] ?? [] {
                            let id = try #require(ticket["ticketId"] as? String)
                            let messages = try await clientA.call(.get, "/api/v2/tickets/\(id)/messages?limit=100", token: admin).json()
                            contents.append((messages["messages"] as? [[String: Any]] ?? []).compactMap { $0["content"] as? String })
                        }
                        figures = (try await clientA.call(.get, "/api/v2/config/mail", token: admin).json()["mailboxes"] as? [[String: Any]])?.first ?? [:]
                        if contents.joined().count >= customers * thread, figures["lastUid"] as? Int == customers * thread { break }
                        guard ContinuousClock.now < deadline else {
                            Issue.record("not every mail was fetched within 120 s: \(contents), \(figures), \(dovecot.log())")
                            return
                        }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    #expect(contents.count == customers, "one ticket per customer")
                    for ticket in contents {
                        let owner = try #require(ticket.first?.dropFirst().split(separator: "/").first)
                        #expect(ticket == (0..<thread).map { "[\(owner)/\($0)]" }, "each mail once, in order")
                    }
                    #expect(figures["fetched"] as? Int == customers * thread, "one instance at a time handed each mail on: \(figures)")
                }
            }
        }
        #expect(try await dovecot.flags(user: "soporte").values.allSatisfy { $0.contains("\\Seen") })
    }
}
