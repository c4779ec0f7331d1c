import DocketAssembly
import DocketCore
import DocketHTTP
import DocketMongo
import DocketPacks
import DocketTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

/// One `docket serve` instance as the composition root builds it, on a shared MongoDB.
struct MongoInstance: @unchecked Sendable {
    let system: DocketSystem
    let app: Application<RouterResponder<DocketRequestContext>>
    var services: DocketServices { system.services }

    init(uri: String, name: String, changeStream: Bool = true) async throws {
        var options = AssemblyOptions()
        options.mongoChangeStream = changeStream
        options.tenantCacheSeconds = 0
        options.installShippedPacks = false
        options.provisionDefaultTenant = false
        options.instanceName = name
        options.ruleWorkers = 1
        options.logger = Logger(label: name)
        (system, app) = try await buildApplication(try TestApp.configuration(["store.mongo.uri": uri, "store.mongo.poolSize": "4"]), options: options)
    }
}

@Suite("Live events across instances on MongoDB")
struct LiveMongoTests {
    @Test(.enabled(if: TestStores.runsMongo)) func aSubscriberOnOneInstanceHearsWhatAnotherDid() async throws {
        let uri = try TestStores.requireMongoURI()
        // Both instances on one fresh database: the URI's path names it.
        let database = "docket_live_\(UUID().uuidString.prefix(8).lowercased())"
        let shared = try #require(Self.withDatabase(uri, database))
        let a = try await MongoInstance(uri: shared, name: "instance-a")
        let b = try await MongoInstance(uri: shared, name: "instance-b")
        let tokens = a.system.tokens
        let pack = try PackLoader(root: packsRoot).loadAll("luxfree-solar").manifest
        _ = try await a.services.tenants.provisionTenant(id: "default", name: "LUXFREE", pack: pack)
        let admin = try await tokens.issue(Principal(tenantId: "default", role: .admin, subject: "boss"), ttl: 600)
        let ana = try await tokens.issue(Principal(tenantId: "default", role: .agent, subject: "ana"), ttl: 600)
        let customer = try await tokens.issue(Principal(tenantId: "default", role: .customer, subject: "cust1"), ttl: 600)

        try await a.app.test(.live) { clientA in
            try await b.app.test(.live) { clientB in
                let portA = try #require(clientA.port), portB = try #require(clientB.port)
                var reply = try await clientA.call(.post, "/api/v2/agents", token: admin, json: ["id": "ana", "name": "Ana López"])
                #expect(reply.status == .created)
                let onB = try await LiveClient.connect(port: portB, token: ana, query: "?rooms=staff")
                let onA = try await LiveClient.connect(port: portA, token: customer, query: "?rooms=customer:cust1")
                _ = try await onB.next("subscribed")
                _ = try await onA.next("subscribed")
                // No pause needed: B's relay delivers from the id its client was told at welcome.

                // The customer writes through A; ana, connected to B, sees the pending ticket.
                reply = try await clientA.call(.post, "/api/v2/messages", token: customer, json: ["content": "Se fue la luz en la colonia"])
                #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
                let ticketId = try #require(reply.ticket?["ticketId"] as? String)
                let pending = try await onB.next("new_pending_ticket", timeout: .seconds(20))
                #expect(pending[ticket: "ticketId"] as? String == ticketId)

                // ana claims and answers through B; the customer, connected to A, hears both.
                reply = try await clientB.call(.post, "/api/v2/tickets/\(ticketId)/claim", token: ana)
                #expect(reply.status == .ok)
                reply = try await clientB.call(.post, "/api/v2/tickets/\(ticketId)/messages", token: ana, json: ["content": "Ya vamos"])
                #expect(reply.status == .created)
                let claimed = try await onA.next("ticket_claimed", timeout: .seconds(20))
                #expect(claimed[data: "agentId"] as? String == "ana")
                _ = try await onA.next("new_message", timeout: .seconds(20)) {
                    (($0[data: "message"] as? [String: Any])?["content"] as? String) == "Ya vamos"
                }
                // Each event arrives once, in id order, whichever instance made it.
                try await onA.sync()
                try await onB.sync()
                for ws in [onA, onB] {
                    let ids = ws.history().compactMap { $0["id"] as? Int }
                    #expect(ids == ids.sorted())
                    #expect(Set(ids).count == ids.count)
                }
                // A client reconnecting to B replays what A stored.
                let replay = try await LiveClient.connect(port: portB, token: ana, query: "?rooms=staff&since=0")
                let ack = try await replay.next("subscribed")
                let replayed = try #require(ack[data: "replayed"] as? Int)
                let latest = try #require(ack[data: "latestId"] as? Int)
                _ = try await replay.next("new_pending_ticket")
                try await replay.sync()
                // Everything the staff room stored up to the subscription, once each, in order.
                let replayedIds = replay.history().compactMap { $0["id"] as? Int }.filter { $0 <= latest }
                #expect(replayed == replayedIds.count)
                #expect(replayedIds == replayedIds.sorted() && Set(replayedIds).count == replayedIds.count)
                #expect(replayed >= 4)
                for ws in [onA, onB, replay] { await ws.close() }
            }
        }
        try await a.system.close()
        try await b.system.close()
    }

    /// Three instances: events made on one reach subscribers on the other two, in order, once;
    /// the delay from the acknowledged write to the frame is measured with the change stream
    /// and with polling only (printed, not asserted: timing is the benchmark's business).
    @Test(.enabled(if: TestStores.runsMongo), arguments: [true, false])
    func threeInstancesDeliverEachOthersEventsInOrder(changeStream: Bool) async throws {
        let uri = try TestStores.requireMongoURI()
        let shared = try #require(Self.withDatabase(uri, "docket_three_\(UUID().uuidString.prefix(8).lowercased())"))
        let a = try await MongoInstance(uri: shared, name: "a", changeStream: changeStream)
        let b = try await MongoInstance(uri: shared, name: "b", changeStream: changeStream)
        let c = try await MongoInstance(uri: shared, name: "c", changeStream: changeStream)
        let pack = try PackLoader(root: packsRoot).loadAll("luxfree-solar").manifest
        _ = try await a.services.tenants.provisionTenant(id: "default", name: "LUXFREE", pack: pack)
        let tokens = a.system.tokens
        let ana = try await tokens.issue(Principal(tenantId: "default", role: .agent, subject: "ana"), ttl: 600)
        let customer = try await tokens.issue(Principal(tenantId: "default", role: .customer, subject: "cust1"), ttl: 600)
        try await a.app.test(.live) { clientA in
            try await b.app.test(.live) { clientB in
                try await c.app.test(.live) { clientC in
                    let onB = try await LiveClient.connect(port: try #require(clientB.port), token: ana, query: "?rooms=staff")
                    let onC = try await LiveClient.connect(port: try #require(clientC.port), token: ana, query: "?rooms=staff")
                    _ = try await onB.next("subscribed")
                    _ = try await onC.next("subscribed")
                    // Give the change streams a moment to open (the log says when).
                    try await Task.sleep(for: .milliseconds(500))
                    var delays: [Double] = []
                    for index in 0..<30 {
                        let writer = [clientA, clientB, clientC][index % 3]
                        let reply = try await writer.call(.post, "/api/v2/tickets", token: customer, json: ["subject": "Corte \(index)", "description": "Sin luz"])
                        let written = ContinuousClock.now
                        let ticketId = try #require(reply.ticket?["ticketId"] as? String)
                        // The two instances that did not write hear it from the log.
                        for (instance, ws) in [(1, onB), (2, onC)] where instance != index % 3 {
                            _ = try await ws.next("ticket_created", timeout: .seconds(20)) { $0[ticket: "ticketId"] as? String == ticketId }
                            let elapsed = ContinuousClock.now - written
                            delays.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                        }
                    }
                    try await onB.sync()
                    try await onC.sync()
                    for ws in [onB, onC] {
                        let ids = ws.history().compactMap { $0["id"] as? Int }
                        #expect(ids == ids.sorted(), "in id order")
                        #expect(Set(ids).count == ids.count, "none twice")
                        #expect(ws.history().filter { $0["type"] as? String == "ticket_created" }.count == 30, "every create, from every instance")
                    }
                    delays.sort()
                    let p50 = delays[delays.count / 2], p99 = delays[min(delays.count - 1, Int(Double(delays.count) * 0.99))]
                    print("cross-instance delivery, \(changeStream ? "change stream" : "polling"): \(delays.count) deliveries, p50 \(String(format: "%.1f", p50)) ms, p99 \(String(format: "%.1f", p99)) ms")
                    for ws in [onB, onC] { await ws.close() }
                }
            }
        }
        for instance in [a, b, c] { try await instance.system.close() }
    }

    /// `uri` with its database path set to `database`.
    static func withDatabase(_ uri: String, _ database: String) -> String? {
        guard var parts = URLComponents(string: uri) else { return nil }
        parts.path = "/" + database
        return parts.string
    }
}
