import DocketCore
import DocketHTTP
import DocketLive
import Foundation
import HummingbirdTesting
import Testing

@Suite("Live events: who may hear what")
struct LiveAccessTests {
    @Test func roomsAreAuthorisedOnSubscribe() async throws {
        let app = try await TestApp()
        try await app.live { client, port in
            let (admin, ana, customer) = try await app.people(client)
            var reply = try await client.call(.post, "/api/v2/customers", token: admin, json: ["id": "cust2", "phoneNumber": "+52 55 8765 4321"])
            #expect(reply.status == .created)
            let other = try await app.token(.customer, "cust2")
            let own = try await app.openTicket(client, token: customer)
            let theirs = try await app.openTicket(client, token: other)
            let acmeAgent = try await app.token(.agent, "ana", tenant: "acme")

            let cust = try await LiveClient.connect(port: port, token: customer)
            _ = try await cust.next("welcome")
            let staff = try await LiveClient.connect(port: port, token: ana)
            _ = try await staff.next("welcome")
            let acme = try await LiveClient.connect(port: port, token: acmeAgent)
            _ = try await acme.next("welcome")
            // (client, room, expected reply type or error code)
            let matrix: [(LiveClient, String, String)] = [
                (cust, "staff", "forbidden"),
                (cust, "queue:field", "forbidden"),
                (cust, "customer:cust2", "forbidden"),
                (cust, "ticket:\(theirs)", "not_found"),
                (cust, "ticket:NOPE-1", "not_found"),
                (cust, "customer:cust1", "subscribed"),
                (cust, "ticket:\(own)", "subscribed"),
                (cust, "lobby", "bad_request"),
                (staff, "staff", "subscribed"),
                (staff, "queue:field", "subscribed"),
                (staff, "customer:cust2", "subscribed"),
                (staff, "ticket:\(theirs)", "subscribed"),
                (acme, "ticket:\(own)", "not_found"),
                (acme, "staff", "subscribed"),
            ]
            for (index, (ws, room, expected)) in matrix.enumerated() {
                try await ws.send(["type": "subscribe", "room": room, "id": "r\(index)"])
                let answer = try await ws.reply("r\(index)")
                let got = answer["type"] as? String == "error" ? answer[data: "code"] as? String : answer["type"] as? String
                #expect(got == expected, "\(room) → \(answer)")
            }
            // A connection watches at most 200 rooms (every event is matched against them).
            let many = try await LiveClient.connect(port: port, token: ana)
            _ = try await many.next("welcome")
            try await many.send(["type": "subscribe", "data": ["rooms": (1...200).map { "queue:q\($0)" }], "id": "all"])
            #expect(try await many.reply("all")["type"] as? String == "subscribed")
            try await many.send(["type": "subscribe", "room": "queue:q1", "id": "again"])
            #expect(try await many.reply("again")["type"] as? String == "subscribed", "a room it watches already is no new one")
            try await many.send(["type": "subscribe", "room": "queue:q201", "id": "past"])
            let past = try await many.reply("past")
            #expect(past[data: "code"] as? String == "bad_request" && (past[data: "message"] as? String)?.contains("at most 200 rooms") == true, "\(past)")

            // A change in tenant default: its staff hear it, acme's staff and the other customer never do.
            let otherWS = try await LiveClient.connect(port: port, token: other, query: "?rooms=customer:cust2")
            _ = try await otherWS.next("subscribed")
            reply = try await client.call(.post, "/api/v2/tickets/\(own)/notes", token: ana, json: ["content": "revisar transformador", "isInternal": true])
            #expect(reply.status == .created || reply.status == .ok)
            reply = try await client.call(.post, "/api/v2/tickets/\(own)/notes", token: ana, json: ["content": "Mañana pasamos", "isInternal": false])
            let note = try await staff.next("ticket_note_added") { ($0[data: "note"] as? [String: Any])?["isInternal"] as? Bool == true }
            #expect((note[data: "note"] as? [String: Any])?["content"] as? String == "revisar transformador")
            let visible = try await cust.next("ticket_note_added")
            #expect((visible[data: "note"] as? [String: Any])?["content"] as? String == "Mañana pasamos")
            for ws in [cust, acme, otherWS] { try await ws.sync() }
            // The customer got the public note once (two rooms match, one frame) and never the internal one.
            #expect(cust.received("ticket_note_added").isEmpty)
            #expect(!cust.history().contains { "\($0)".contains("transformador") })
            #expect(!cust.history().contains { ($0["type"] as? String) == "rule_fired" })
            let leaked = (acme.history() + otherWS.history()).compactMap { $0["type"] as? String }.filter { $0.hasPrefix("ticket_") }
            #expect(leaked == [])

            // Unsubscribed: nothing more from that room.
            try await staff.send(["type": "unsubscribe", "room": "ticket:\(theirs)", "id": "u1"])
            _ = try await staff.reply("u1")
            for ws in [cust, staff, acme, otherWS] { await ws.close() }
        }
    }

    @Test func credentialsAreCheckedBeforeAndAfterTheUpgrade() async throws {
        let app = try await TestApp(live: LiveSettings(authTimeoutSeconds: 1))
        try await app.live { client, port in
            let (admin, _, customer) = try await app.people(client)
            // A bad header: no upgrade, and a plain GET explains why.
            await #expect(throws: LiveClientError.self) { _ = try await LiveClient.connect(port: port, token: "not-a-token") }
            var reply = try await client.call(.get, "/api/v2/ws", token: "not-a-token")
            #expect(reply.status == .unauthorized)
            reply = try await client.call(.get, "/api/v2/ws", token: customer)
            #expect(reply.status == .upgradeRequired)
            #expect(reply.errorCode == "upgrade_required")
            // An upgrade request with a bad credential is refused before the upgrade with the API's
            // 401 and its reason (the WebSocket library alone would answer an empty 400).
            let raw = try RawConnection(port: port)
            defer { raw.close() }
            raw.send("GET /api/v2/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer not-a-token\r\n\r\n")
            let (answer, closed) = await raw.untilClosed(within: 10)
            #expect(answer.hasPrefix("HTTP/1.1 401"), "\(answer)")
            #expect(answer.contains(#""code":"unauthorized""#), "\(answer)")
            #expect(!answer.contains("101 Switching Protocols"), "\(answer)")
            #expect(closed)
            // An API key that does not exist: the same.
            let key = try RawConnection(port: port)
            defer { key.close() }
            key.send("GET /api/v2/ws?x=1 HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Api-Key: dk_nope_nope\r\n\r\n")
            #expect(await key.untilClosed(within: 10).text.hasPrefix("HTTP/1.1 401"))
            // A frame before authenticating is refused and the connection closed with 4401.
            let early = try await LiveClient.connect(port: port, token: nil)
            try await early.send(["type": "subscribe", "room": "staff"])
            #expect(try await early.next("error")[data: "code"] as? String == "unauthorized")
            #expect(try await early.closed() == Int(LiveCloseCode.unauthorized.rawValue))
            // A bad token in the auth frame: the same.
            let wrong = try await LiveClient.connect(port: port, token: nil)
            try await wrong.send(["type": "auth", "data": ["token": "nope"]])
            #expect(try await wrong.closed() == Int(LiveCloseCode.unauthorized.rawValue))
            // Silence: closed when the auth timeout passes.
            let silent = try await LiveClient.connect(port: port, token: nil)
            #expect(try await silent.closed(timeout: .seconds(15)) == Int(LiveCloseCode.authTimeout.rawValue))
            // An assistant key reaches no live room.
            let bot = try await LiveClient.connect(port: port, token: try await app.assistantKey(client, admin: admin))
            #expect(try await bot.closed() == Int(LiveCloseCode.unauthorized.rawValue))
        }
    }

    @Test func limitsAreEnforced() async throws {
        var settings = LiveSettings(maxConnectionsPerTenant: 2, maxFrameBytes: 2048, typingPerTenSeconds: 3)
        // However slowly a loaded machine handles the five frames, they fall in one window.
        settings.typingWindow = .seconds(600)
        let app = try await TestApp(live: settings)
        try await app.live { client, port in
            let (_, ana, customer) = try await app.people(client)
            let ticketId = try await app.openTicket(client, token: customer)
            let first = try await LiveClient.connect(port: port, token: ana)
            _ = try await first.next("welcome")
            let second = try await LiveClient.connect(port: port, token: customer)
            _ = try await second.next("welcome")
            // The tenant's third connection is refused; another tenant is not affected.
            let third = try await LiveClient.connect(port: port, token: ana)
            #expect(try await third.closed() == Int(LiveCloseCode.tooManyConnections.rawValue))
            let acme = try await LiveClient.connect(port: port, token: try await app.token(.agent, "x", tenant: "acme"))
            _ = try await acme.next("welcome")
            await acme.close()
            // Typing is rate limited.
            var limited = 0
            for index in 0..<5 {
                try await second.send(["type": "typing", "id": "t\(index)", "data": ["ticketId": ticketId]])
            }
            try await second.sync()
            limited = second.received("error").filter { ($0[data: "message"] as? String)?.contains("typing is limited") == true }.count
            #expect(limited == 2)
            // A frame over the size limit closes the connection (1009, message too big).
            try await second.send(["type": "ping", "id": String(repeating: "x", count: 4096)])
            #expect(try await second.closed() == 1009)
            await first.close()
        }
    }

    @Test func idleClientsAreClosedAndPingsKeepOthersOpen() async throws {
        // 6 s idle: a busy client must stay open past it, however late a loaded machine (the
        // whole suite on two cores) answers; it failed at 3 s when the server lagged behind.
        let app = try await TestApp(live: LiveSettings(idleTimeoutSeconds: 6))
        try await app.live { client, port in
            let (_, ana, _) = try await app.people(client)
            let busy = try await LiveClient.connect(port: port, token: ana)
            let idle = try await LiveClient.connect(port: port, token: ana)
            _ = try await busy.next("welcome")
            _ = try await idle.next("welcome")
            for _ in 0..<20 {
                try await busy.sync()
                try await Task.sleep(for: .milliseconds(400))
            }
            #expect(try await idle.closed(timeout: .seconds(20)) == Int(LiveCloseCode.idle.rawValue))
            try await busy.sync()
            await busy.close()
        }
    }
}
