import DocketCore
import DocketHTTP
import Foundation
import HummingbirdTesting
import Testing

extension TestApp {
    /// Runs `body` against the app listening on a real port (WebSocket clients need TCP).
    func live(_ body: @Sendable (any TestClientProtocol, Int) async throws -> Void) async throws {
        try await app.test(.live) { client in try await body(client, try #require(client.port)) }
    }

    /// ana and cust1 (from `people`) plus a second agent, ben.
    func chatPeople(_ client: any TestClientProtocol) async throws -> (admin: String, ana: String, ben: String, customer: String) {
        let (admin, ana, customer) = try await people(client)
        let reply = try await client.call(.post, "/api/v2/agents", token: admin, json: ["id": "ben", "name": "Ben Ruiz", "email": "ben@default.mx"])
        #expect(reply.status == .created)
        return (admin, ana, try await token(.agent, "ben"), customer)
    }
}

@Suite("Chat flow over REST and WebSocket")
struct LiveFlowTests {
    @Test func aCustomerMessageBecomesATicketThatOneAgentClaimsAndBothSidesTalk() async throws {
        let app = try await TestApp()
        try await app.live { client, port in
            let (_, ana, ben, customer) = try await app.chatPeople(client)
            // Two staff clients (header and auth-frame authentication) and the customer.
            let anaWS = try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff")
            _ = try await anaWS.next("welcome")
            _ = try await anaWS.next("subscribed")
            let benWS = try await LiveClient.connect(port: port, token: nil)
            try await benWS.send(["type": "auth", "data": ["token": ben]])
            let welcome = try await benWS.next("welcome")
            #expect(welcome[data: "subject"] as? String == "ben")
            try await benWS.send(["type": "subscribe", "room": "staff", "id": "s1"])
            _ = try await benWS.next("subscribed") { ($0["id"] as? String) == "s1" }
            let custWS = try await LiveClient.connect(port: port, token: customer, query: "?rooms=customer:cust1")
            _ = try await custWS.next("subscribed")

            // The customer writes; a ticket opens from the message and both agents see it pending.
            var reply = try await client.call(
                .post, "/api/v2/messages", token: customer, json: ["content": "La luminaria de mi calle no enciende\nDesde ayer en la noche"])
            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
            let body = try reply.json()
            #expect(body["created"] as? Bool == true)
            let ticketId = try #require((body["ticket"] as? [String: Any])?["ticketId"] as? String)
            #expect((body["ticket"] as? [String: Any])?["subject"] as? String == "La luminaria de mi calle no enciende")
            for ws in [anaWS, benWS] {
                let pending = try await ws.next("new_pending_ticket")
                #expect(pending[ticket: "ticketId"] as? String == ticketId)
                #expect(pending[ticket: "unreadStaff"] as? Int == 1)
                #expect((pending["id"] as? Int ?? 0) > 0)
            }
            _ = try await custWS.next("ticket_created")
            let first = try await custWS.next("new_message")
            #expect((first[data: "message"] as? [String: Any])?["seq"] as? Int == 1)
            reply = try await client.call(.get, "/api/v2/tickets/pending", token: ana)
            #expect((try reply.json()["tickets"] as? [[String: Any]])?.map { $0["ticketId"] as? String } == [ticketId])

            // A second message goes into the same open ticket.
            reply = try await client.call(.post, "/api/v2/messages", token: customer, json: ["content": "Es la de la esquina"])
            #expect(reply.status == .ok)
            #expect(try reply.json()["created"] as? Bool == false)
            #expect(reply.ticket?["ticketId"] as? String == ticketId)

            // Both claim at once (REST and WebSocket): one wins, the other hears who.
            async let byAna = client.call(.post, "/api/v2/tickets/\(ticketId)/claim", token: ana)
            try await benWS.send(["type": "claim", "id": "c1", "data": ["ticketId": ticketId]])
            let anaReply = try await byAna
            let benReply = try await benWS.reply("c1")
            let anaWon = anaReply.status == .ok
            let benWon = benReply["type"] as? String == "claimed"
            #expect(anaWon != benWon, "exactly one claim wins: ana \(anaReply.status), ben \(benReply)")
            let (winner, winnerWS, loserWS, winnerId) = anaWon ? (ana, anaWS, benWS, "ana") : (ben, benWS, anaWS, "ben")
            if anaWon {
                #expect(benReply[data: "code"] as? String == "already_claimed")
                #expect((benReply[data: "message"] as? String)?.contains("Ana López") == true)
            } else {
                #expect(anaReply.errorCode == "already_claimed")
                #expect(String(decoding: anaReply.body, as: UTF8.self).contains("Ben Ruiz"))
            }
            let claimed = try await loserWS.next("ticket_claimed")
            #expect(claimed[data: "agentId"] as? String == winnerId)
            #expect(claimed[ticket: "ticketId"] as? String == ticketId)
            _ = try await custWS.next("ticket_claimed")
            reply = try await client.call(.get, "/api/v2/tickets/pending", token: ana)
            #expect((try reply.json()["tickets"] as? [[String: Any]])?.isEmpty == true)
            reply = try await client.call(.get, "/api/v2/tickets/mine", token: winner)
            #expect((try reply.json()["tickets"] as? [[String: Any]])?.map { $0["ticketId"] as? String } == [ticketId])

            // Messages both ways, with unread counters on each side.
            try await winnerWS.send(["type": "subscribe", "room": "ticket:\(ticketId)", "id": "s2"])
            _ = try await winnerWS.reply("s2")
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/messages", token: winner, json: ["content": "Vamos en camino"])
            #expect(reply.status == .created)
            let chat = try #require(reply.ticket?["chat"] as? [String: Any])
            #expect(chat["unreadStaff"] as? Int == 2)
            #expect(chat["unreadCustomer"] as? Int == 1)
            let fromStaff = try await custWS.next("new_message") { ($0[data: "message"] as? [String: Any])?["senderType"] as? String == "staff" }
            #expect((fromStaff[data: "message"] as? [String: Any])?["content"] as? String == "Vamos en camino")
            try await custWS.send(["type": "message", "id": "m1", "data": ["ticketId": ticketId, "content": "Gracias"]])
            let sent = try await custWS.reply("m1")
            #expect(sent["type"] as? String == "message_sent")
            let customerLine = try await winnerWS.next("new_message") { ($0[data: "message"] as? [String: Any])?["content"] as? String == "Gracias" }
            #expect(customerLine[ticket: "unreadStaff"] as? Int == 3)

            // The agent reads: the customer's messages are marked read and the counter resets.
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/read", token: winner)
            #expect(reply.status == .ok)
            #expect(try reply.json()["marked"] as? Int == 3)
            #expect((reply.ticket?["chat"] as? [String: Any])?["unreadStaff"] as? Int == 0)
            let read = try await custWS.next("messages_read")
            #expect(read[data: "reader"] as? String == "staff")
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/read", token: customer)
            #expect(try reply.json()["marked"] as? Int == 2, "the staff reply and the claim notice")

            // Typing reaches the other participant only, never the sender or the staff room.
            try await custWS.send(["type": "typing", "data": ["ticketId": ticketId]])
            let typing = try await winnerWS.next("typing")
            #expect(typing[data: "senderType"] as? String == "customer")
            #expect(typing["id"] is NSNull)
            try await custWS.send(["type": "stop_typing", "data": ["ticketId": ticketId]])
            _ = try await winnerWS.next("stop_typing")
            try await loserWS.sync()
            try await custWS.sync()
            #expect(loserWS.received("typing").isEmpty)
            #expect(custWS.received("typing").isEmpty)

            // Resolved: everyone hears it; the conversation records the claim and the resolution.
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/resolve", token: winner, json: ["resolutionNotes": "Se cambió el foco"])
            #expect(reply.status == .ok)
            for ws in [anaWS, benWS, custWS] { _ = try await ws.next("ticket_resolved") }
            reply = try await client.call(.get, "/api/v2/tickets/\(ticketId)/messages?limit=3", token: customer)
            let page1 = try reply.json()
            let firstPage = try #require(page1["messages"] as? [[String: Any]])
            #expect(firstPage.map { $0["seq"] as? Int } == [1, 2, 3])
            let cursor = try #require(page1["nextCursor"] as? String)
            reply = try await client.call(.get, "/api/v2/tickets/\(ticketId)/messages?after=\(cursor)", token: customer)
            let rest = try #require(try reply.json()["messages"] as? [[String: Any]])
            #expect(try reply.json()["nextCursor"] == nil)
            let all = firstPage + rest
            #expect(all.map { $0["seq"] as? Int } == Array(1...all.count).map { Optional($0) })
            #expect(all.map { $0["senderType"] as? String } == ["customer", "customer", "system", "staff", "customer", "system"])
            #expect(all[0]["isRead"] as? Bool == true)
            #expect(all[2]["type"] as? String == "system")
            reply = try await client.call(.get, "/api/v2/tickets/\(ticketId)", token: winner)
            let sessions = try #require((reply.ticket?["chat"] as? [String: Any])?["servedBy"] as? [[String: Any]])
            #expect(sessions.count == 1)
            #expect(sessions[0]["agentId"] as? String == winnerId)
            #expect(sessions[0]["reason"] as? String == "claimed")
            #expect(sessions[0]["active"] as? Bool == false)
            #expect(sessions[0]["endedAt"] != nil)

            for ws in [anaWS, benWS, custWS] { await ws.close() }
        }
    }

    @Test func aTransferEndsOneSessionAndStartsTheNext() async throws {
        let app = try await TestApp()
        try await app.live { client, port in
            let (_, ana, _, customer) = try await app.chatPeople(client)
            var reply = try await client.call(.post, "/api/v2/messages", token: customer, json: ["content": "Sin luz en el parque"])
            let ticketId = try #require(reply.ticket?["ticketId"] as? String)
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/claim", token: ana)
            #expect(reply.status == .ok)
            let watcher = try await LiveClient.connect(port: port, token: ana, query: "?rooms=ticket:\(ticketId)")
            _ = try await watcher.next("subscribed")
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/transfer", token: ana, json: ["toAgentId": "ben", "reason": "turno de noche"])
            #expect(reply.status == .ok)
            let assigned = try await watcher.next("ticket_assigned")
            #expect(assigned[data: "agentId"] as? String == "ben")
            #expect(assigned[data: "previousAgent"] as? String == "ana")
            let notice = try await watcher.next("new_message")
            #expect((notice[data: "message"] as? [String: Any])?["content"] as? String == "Transferido de Ana López a Ben Ruiz")
            let sessions = try #require((reply.ticket?["chat"] as? [String: Any])?["servedBy"] as? [[String: Any]])
            #expect(sessions.map { $0["agentId"] as? String } == ["ana", "ben"])
            #expect(sessions.map { $0["active"] as? Bool } == [false, true])
            #expect(sessions[1]["reason"] as? String == "transferred")
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/transfer", token: ana, json: ["toAgentId": "ben"])
            #expect(reply.status == .conflict)
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/transfer", token: customer, json: ["toAgentId": "ana"])
            #expect(reply.status == .forbidden)
            // An escalation back to ana: staff hear it, and the session follows.
            reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/escalate", token: ana, json: ["reason": "poste dañado", "toAgentId": "ana"])
            #expect(reply.status == .ok)
            let escalated = try await watcher.next("ticket_escalated")
            #expect(escalated[data: "reason"] as? String == "poste dañado")
            let sessionsAfter = try #require((reply.ticket?["chat"] as? [String: Any])?["servedBy"] as? [[String: Any]])
            #expect(sessionsAfter.last?["reason"] as? String == "escalated")
            await watcher.close()
        }
    }
}
