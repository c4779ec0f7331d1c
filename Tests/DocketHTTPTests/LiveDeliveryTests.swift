import DocketCore
import DocketHTTP
import DocketTestSupport
import DocketLive
import Foundation
import HummingbirdTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Live events: replay, back-pressure, rules")
struct LiveDeliveryTests {
    @Test func aClientThatReconnectsWithSinceMissesNothing() async throws {
        let app = try await TestApp()
        try await app.live { client, port in
            let (_, ana, customer) = try await app.people(client)
            let first = try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff")
            _ = try await first.next("subscribed")
            let ticketId = try await app.openTicket(client, token: customer)
            let seen = try await first.next("ticket_created")
            let lastSeen = try #require(seen["id"] as? Int)
            try await first.sync()
            let before = first.history().compactMap { $0["id"] as? Int }.max() ?? lastSeen
            await first.close()

            // Offline: three changes.
            try await client.succeed(.post, "/api/v2/tickets/\(ticketId)/notes", token: ana, json: ["content": "interno", "isInternal": true])
            try await client.succeed(.post, "/api/v2/tickets/\(ticketId)/claim", token: ana)
            let second = try await app.openTicket(client, token: customer, subject: "Poste caído")

            let back = try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff&since=\(before)")
            let ack = try await back.next("subscribed")
            let replayed = try #require(ack[data: "replayed"] as? Int)
            let latest = try #require(ack[data: "latestId"] as? Int)
            _ = try await back.next("ticket_note_added")
            _ = try await back.next("ticket_claimed")
            let created = try await back.next("ticket_created")
            #expect(created[ticket: "ticketId"] as? String == second)
            // Then live again, in order and without duplicates.
            try await client.succeed(.post, "/api/v2/tickets/\(second)/claim", token: ana)
            _ = try await back.next("ticket_claimed") { $0[ticket: "ticketId"] as? String == second }
            try await back.sync()
            // Exactly the staff room's events between the last one seen and the subscription were replayed.
            #expect(replayed == back.history().compactMap { $0["id"] as? Int }.filter { $0 > before && $0 <= latest }.count)
            #expect(replayed >= 3)
            let ids = back.history().compactMap { $0["id"] as? Int }
            #expect(ids == ids.sorted())
            #expect(Set(ids).count == ids.count)
            #expect(ids.allSatisfy { $0 > before })
            // A customer replaying gets only what is theirs to see.
            let cust = try await LiveClient.connect(port: port, token: customer, query: "?rooms=customer:cust1&since=0")
            _ = try await cust.next("subscribed")
            try await cust.sync()
            let types = Set(cust.history().compactMap { $0["type"] as? String })
            #expect(types.contains("ticket_created"))
            #expect(!types.contains("rule_fired"))
            #expect(!cust.history().contains { "\($0)".contains("interno") })
            await back.close()
            await cust.close()
        }
    }

    @Test func aClientThatMissedFiveThousandEventsGetsThemAllInOrderOnceAsFastAsItReads() async throws {
        // A queue of 64 frames: the replay of 5,000 can only go through page by page, each
        // queued as the client drains the previous ones.
        let app = try await TestApp(live: LiveSettings(queueLimit: 64))
        try await app.live { client, port in
            let (_, ana, customer) = try await app.people(client)
            _ = try await app.openTicket(client, token: customer)
            let before = try #require(try await app.store.liveEventBounds(tenantId: "default")).latest
            let missed = 5_000
            for chunk in stride(from: 0, to: missed, by: 500) {
                let events = (chunk..<chunk + 500).map {
                    LiveEvent(tenantId: "default", type: .ticketUpdated, ticketId: "T-\($0)", audience: .staff, data: #"{"n":\#($0)}"#, at: Date())
                }
                _ = try await app.store.appendLiveEvents(events, retain: 10_000)
            }
            let started = ContinuousClock.now
            let ws = try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff&since=\(before)")
            let ack = try await ws.next("subscribed", timeout: .seconds(120))
            #expect(ack[data: "replayed"] as? Int == missed)
            #expect(ws.received("resync").isEmpty)
            // Live again after the replay: the next event comes once, after all of it.
            let ticketId = try await app.openTicket(client, token: customer, subject: "Después del replay")
            _ = try await ws.next("ticket_created") { $0[ticket: "ticketId"] as? String == ticketId }
            let ids = ws.history().compactMap { $0["id"] as? Int }
            #expect(Array(ids.prefix(missed)) == Array(before + 1...before + missed), "every missed event, in order")
            #expect(Set(ids).count == ids.count, "none twice")
            #expect(ids.allSatisfy { $0 > before })
            print("replayed \(missed) events through a 64-frame queue in \(ContinuousClock.now - started)")
            await ws.close()
        }
    }

    @Test func aReplayingClientThatStopsReadingIsDroppedAndTheServerKeepsNothingForIt() async throws {
        let app = try await TestApp(live: LiveSettings(queueLimit: 64, closeGraceSeconds: 2))
        try await app.live { client, port in
            let (_, ana, customer) = try await app.people(client)
            _ = try await app.openTicket(client, token: customer)
            let before = try #require(try await app.store.liveEventBounds(tenantId: "default")).latest
            let filler = String(repeating: "x", count: 2_000)
            let events = (0..<3_000).map {
                LiveEvent(tenantId: "default", type: .ticketUpdated, ticketId: "T-\($0)", audience: .staff, data: #"{"pad":"\#(filler)"}"#, at: Date())
            }
            _ = try await app.store.appendLiveEvents(events, retain: 10_000)
            // Upgrades, asks for all 3,000 (6 MB), then never reads a byte.
            // Its blocking upgrade on a thread of its own: on the cooperative pool it holds one of
            // the two threads the server under test needs to answer it.
            let stuck = try await onAThread { try RawSocket(port: port, path: "/api/v2/ws?rooms=staff&since=\(before)", token: ana) }
            try await Self.waitFor { app.hub.connectionCount == 1 }
            try await Self.waitFor({ app.hub.connectionCount == 0 }, timeout: .seconds(30))
            // Meanwhile a reading client replays everything.
            let reader = try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff&since=\(before)")
            let ack = try await reader.next("subscribed", timeout: .seconds(60))
            #expect(ack[data: "replayed"] as? Int == 3_000)
            _ = stuck
            await reader.close()
        }
    }

    @Test func aClientAskingFromBeyondTheRetentionWindowIsToldToResync() async throws {
        let app = try await TestApp(retainedEvents: 100)
        try await app.live { client, port in
            let (_, ana, customer) = try await app.people(client)
            for index in 0..<60 { _ = try await app.openTicket(client, token: customer, subject: "Luminaria \(index)") }
            let bounds = try #require(try await app.store.liveEventBounds(tenantId: "default"))
            #expect(bounds.oldest > 1)
            #expect(bounds.latest - bounds.oldest < 100 + 64)
            let ws = try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff&since=1")
            let resync = try await ws.next("resync")
            #expect(resync[data: "latestId"] as? Int == bounds.latest)
            _ = try await ws.next("subscribed")
            // From inside the window, a plain replay.
            let inside = try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff&since=\(bounds.latest - 5)")
            let ack = try await inside.next("subscribed")
            #expect(ack[data: "replayed"] as? Int == 5)
            #expect(inside.received("resync").isEmpty)
            await ws.close()
            await inside.close()
        }
    }

    @Test func aClientThatStopsReadingIsDroppedWhileOthersKeepReceiving() async throws {
        // A long grace: on a loaded machine the 400 posts and the readers' checks can take longer
        // than the default 10 s, after which the server cuts a client that never took its close.
        let app = try await TestApp(live: LiveSettings(queueLimit: 32, closeGraceSeconds: 120))
        try await app.live { client, port in
            let (_, ana, customer) = try await app.people(client)
            let ticketId = try await app.openTicket(client, token: customer)
            let readers = [
                try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff"),
                try await LiveClient.connect(port: port, token: customer, query: "?rooms=ticket:\(ticketId)"),
            ]
            for reader in readers { _ = try await reader.next("subscribed") }
            // Its blocking connect and upgrade on a thread of their own, not the cooperative pool's.
            let stuck = try await onAThread { try RawSocket(port: port, path: "/api/v2/ws?rooms=staff", token: ana) }
            try await Self.waitFor { app.hub.connectionCount == 3 }
            let count = 400
            try await Self.postLongMessages(count, on: ticketId, as: ana, client)
            for reader in readers {
                _ = try await reader.next("new_message", timeout: .seconds(20)) {
                    (($0[data: "message"] as? [String: Any])?["content"] as? String)?.hasPrefix("\(count - 1) ") == true
                }
                #expect(reader.received("new_message").count == count - 1)
            }
            // The stuck client, reading at last, finds the close frame that says why.
            let close = try await onAThread { try stuck.readUntilClose(timeout: 15) }
            #expect(close == Int(LiveCloseCode.tooSlow.rawValue))
            stuck.answerClose()
            try await Self.waitFor { app.hub.connectionCount == 2 }
            for reader in readers { await reader.close() }
        }
    }

    @Test func aClientThatStopsReadingForAWhileGetsEveryEventInOrderThenLiveOnesAgain() async throws {
        // Broadcasts are written straight from the event loop while the client's socket takes
        // them; once it does not, the connection's writer task takes over the queue and waits on
        // the socket, and hands it back when it caught up. Nothing is lost or reordered on the way.
        let app = try await TestApp(live: LiveSettings(queueLimit: 1000, closeGraceSeconds: 120))
        try await app.live { client, port in
            let (_, ana, customer) = try await app.people(client)
            let ticketId = try await app.openTicket(client, token: customer)
            let slow = try await onAThread { try RawSocket(port: port, path: "/api/v2/ws?rooms=staff", token: ana) }
            try await Self.waitFor { app.hub.connectionCount == 1 }
            // ~3 MB for a client with a 4 KiB receive buffer: far more than the sockets hold.
            let count = 400
            try await Self.postLongMessages(count, on: ticketId, as: ana, client)
            let backlog = try await onAThread { try slow.readTexts(timeout: 30) { $0.contains("\"\(count - 1) Reporte") } }
            let indexes = backlog.compactMap { text -> Int? in
                guard text.contains("\"type\":\"new_message\""), let range = text.range(of: "\"content\":\"") else { return nil }
                return Int(text[range.upperBound...].prefix { $0.isNumber })
            }
            #expect(indexes == Array(0..<count))
            // Caught up: the next broadcast comes straight again.
            try await client.succeed(.post, "/api/v2/tickets/\(ticketId)/messages", token: ana, json: ["content": "después"])
            let after = try await onAThread { try slow.readTexts(timeout: 30) { $0.contains("después") } }
            #expect(after.contains { $0.contains("después") })
            #expect(app.hub.connectionCount == 1)
        }
    }

    /// `count` messages of ~7.6 KB each, numbered from 0 at the start of their content.
    static func postLongMessages(_ count: Int, on ticketId: String, as token: String, _ client: some TestClientProtocol) async throws {
        let filler = String(repeating: "Reporte detallado de la falla eléctrica. ", count: 190)
        for index in 0..<count {
            let reply = try await client.call(.post, "/api/v2/tickets/\(ticketId)/messages", token: token, json: ["content": "\(index) \(filler)"])
            #expect(reply.status == .created)
        }
    }

    static func waitFor(_ condition: @Sendable () -> Bool, timeout: Duration = LiveClient.patience) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw LiveClientError("condition not met within \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func ruleNotificationsPacksAndRuleFiringsAreAnnounced() async throws {
        let notify = """
            function on_ticket_created(event, ctx)
              return {
                { type = "notify", target = "agent:ana", message = "Revisa " .. event.ticket.subject },
                { type = "notify", target = "customer", message = "Recibimos tu reporte" },
              }
            end
            """
        let app = try await TestApp(ruleOverrides: ["rules/triage.lua": notify], installShippedPacks: true)
        try await app.live { client, port in
            let (admin, ana, customer) = try await app.people(client)
            let ben = try await app.chatPeople(client: client, admin: admin)
            let anaWS = try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff")
            let benWS = try await LiveClient.connect(port: port, token: ben, query: "?rooms=staff")
            let custWS = try await LiveClient.connect(port: port, token: customer, query: "?rooms=customer:cust1")
            for ws in [anaWS, benWS, custWS] { _ = try await ws.next("subscribed") }
            _ = try await app.openTicket(client, token: customer, subject: "Foco fundido")
            let toAna = try await anaWS.next("notification") { ($0[data: "target"] as? String) == "agent:ana" }
            #expect(toAna[data: "message"] as? String == "Revisa Foco fundido")
            let fired = try await anaWS.next("rule_fired")
            #expect(((fired[data: "entry"] as? [String: Any])?["applied"] as? [String])?.contains("notify(agent:ana)") == true)
            let toCustomer = try await custWS.next("notification")
            #expect(toCustomer[data: "message"] as? String == "Recibimos tu reporte")
            try await benWS.sync()
            #expect(!benWS.received("notification").contains { ($0[data: "target"] as? String) == "agent:ana" })
            try await custWS.sync()
            #expect(custWS.received("notification").isEmpty)
            #expect(custWS.received("rule_fired").isEmpty)

            // A pack switch reaches the staff room.
            let reply = try await client.call(
                .put, "/api/v2/tenants/default/pack", token: admin, json: ["pack": "restaurant", "version": "1.2.0"])
            #expect(reply.status == .ok, "\(String(decoding: reply.body, as: UTF8.self))")
            let activated = try await anaWS.next("pack_activated")
            #expect(activated[data: "packId"] as? String == "restaurant")
            try await custWS.sync()
            #expect(custWS.received("pack_activated").isEmpty)
            for ws in [anaWS, benWS, custWS] { await ws.close() }
        }
    }
}

extension LiveDeliveryTests {
    @Test func slaWarningsAndBreachesReachStaffOnly() async throws {
        let app = try await TestApp()
        try await app.live { client, port in
            let (_, ana, customer) = try await app.people(client)
            let ticketId = try await app.openTicket(client, token: customer, extra: ["priority": "urgent"])
            let staff = try await LiveClient.connect(port: port, token: ana, query: "?rooms=staff")
            let cust = try await LiveClient.connect(port: port, token: customer, query: "?rooms=customer:cust1")
            for ws in [staff, cust] { _ = try await ws.next("subscribed") }
            app.clock.advance(by: 3 * 86_400)
            // The running server's SLA scheduler may fire them first; either way staff hear them.
            _ = try await app.services.tickets.fireDueTimers()
            let warning = try await staff.next("sla_warning")
            #expect(warning[ticket: "ticketId"] as? String == ticketId)
            let breach = try await staff.next("sla_breached")
            #expect(breach[data: "target"] as? String != nil)
            try await cust.sync()
            #expect(cust.received("sla_warning").isEmpty)
            #expect(cust.received("sla_breached").isEmpty)
            await staff.close()
            await cust.close()
        }
    }
}

extension TestApp {
    /// A second agent (ben) next to `people`'s ana; returns ben's token.
    func chatPeople(client: any TestClientProtocol, admin: String) async throws -> String {
        let reply = try await client.call(.post, "/api/v2/agents", token: admin, json: ["id": "ben", "name": "Ben Ruiz", "email": "ben@default.mx"])
        #expect(reply.status == .created)
        return try await token(.agent, "ben")
    }
}

/// A WebSocket client on a bare socket with a tiny receive buffer, that reads only when told:
/// the slow consumer the server must drop.
final class RawSocket: @unchecked Sendable {
    let fd: Int32

    init(port: Int, path: String, token: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LiveClientError("socket() failed") }
        var size: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw LiveClientError("connect() failed") }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer \(token)\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        // Generous: the whole suite runs at once on two cores, and the upgrade waits its turn.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Read only the response head (101), then stop reading.
        var head = [UInt8]()
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard recv(fd, &byte, 1, 0) == 1 else { throw LiveClientError("no upgrade response") }
            head.append(byte)
        }
        guard String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101") else { throw LiveClientError("upgrade refused") }
    }

    deinit { close(fd) }

    /// Answers the server's close frame (a masked, empty close frame).
    func answerClose() {
        let frame: [UInt8] = [0x88, 0x80, 1, 2, 3, 4]
        _ = frame.withUnsafeBytes { send(fd, $0.baseAddress, frame.count, 0) }
    }

    /// Reads frames until a close frame (its code) or the end of the stream (nil).
    func readUntilClose(timeout: Int) throws -> Int? {
        var code: Int?
        try readFrames(timeout: timeout) { opcode, payload in
            guard opcode == 0x8 else { return false }
            let bytes = Array(payload)
            code = bytes.count >= 2 ? Int(bytes[0]) << 8 | Int(bytes[1]) : 1005
            return true
        }
        return code
    }

    /// The text frames read until one of them satisfies `last` (included); throws if the stream
    /// ends or closes first.
    func readTexts(timeout: Int, until last: (String) -> Bool) throws -> [String] {
        var texts: [String] = []
        var found = false
        try readFrames(timeout: timeout) { opcode, payload in
            if opcode == 0x8 { return true }
            guard opcode == 0x1 else { return false }
            texts.append(String(decoding: payload, as: UTF8.self))
            found = last(texts[texts.count - 1])
            return found
        }
        guard found else { throw LiveClientError("the stream ended after \(texts.count) text frames") }
        return texts
    }

    /// Reads whole frames (the server's are unmasked and unfragmented) and hands each to `take`
    /// until it returns true, or the stream ends.
    private func readFrames(timeout: Int, take: (_ opcode: UInt8, _ payload: ArraySlice<UInt8>) -> Bool) throws {
        var timeoutValue = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeoutValue, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Parse what we have.
            while buffer.count >= 2 {
                let opcode = buffer[0] & 0x0f
                var length = Int(buffer[1] & 0x7f)
                var offset = 2
                if length == 126 {
                    guard buffer.count >= 4 else { break }
                    length = Int(buffer[2]) << 8 | Int(buffer[3])
                    offset = 4
                } else if length == 127 {
                    guard buffer.count >= 10 else { break }
                    length = (2..<10).reduce(0) { $0 << 8 | Int(buffer[$1]) }
                    offset = 10
                }
                guard buffer.count >= offset + length else { break }
                if take(opcode, buffer[offset..<(offset + length)]) { return }
                buffer.removeFirst(offset + length)
            }
            let read = recv(fd, &chunk, chunk.count, 0)
            if read <= 0 { return }
            buffer += chunk[0..<read]
        }
    }
}
