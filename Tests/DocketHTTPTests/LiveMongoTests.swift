import DocketAssembly
import DocketCore
import DocketHTTP
import DocketMongo
import DocketPacks
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

/// One `docket serve` instance as the composition root builds it, on a shared MongoDB.
struct MongoInstance: @unchecked Sendable {
    let app: Application<RouterResponder<DocketRequestContext>>
    let service: TicketService
    let hub: LiveHub
    let relay: Task<Void, Never>

    init(store: MongoTicketStore, tokens: TokenAuthority, name: String) {
        let log = LiveEventLog(store: store, settings: LiveEventSettings(origin: name))
        service = TicketService(store: store, tenantCacheSeconds: 0, live: log)
        hub = LiveHub(settings: LiveSettings())
        log.addSink(hub)
        let hub = hub
        relay = Task { await LiveRelay.run(log, store: store, tenants: { hub.activeTenants }, logger: Logger(label: name)) }
        app = try! buildApplication(
            HTTPDependencies(service: service, tokens: tokens, metrics: PrometheusCollectorRegistry(), storeKind: "mongodb", hub: hub),
            settings: HTTPSettings(port: 0), logger: Logger(label: name))
    }
}

@Suite("Live events across instances on MongoDB")
struct LiveMongoTests {
    static let uri = ProcessInfo.processInfo.environment["DOCKET_TEST_MONGO_URI"].flatMap { $0.isEmpty ? nil : $0 }

    @Test func aSubscriberOnOneInstanceHearsWhatAnotherDid() async throws {
        guard let uri = Self.uri else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must run this against the MongoDB stand-in")
            return
        }
        let connection = try MongoConnection(uri: uri, settings: MongoSettings(poolSize: 4, serverSelectionTimeoutMS: 3_000))
        let database = "docket_live_\(UUID().uuidString.prefix(8).lowercased())"
        let store = try await MongoTicketStore.open(connection, database: database)
        let tokens = try await TokenAuthority(secret: Array("test-secret-test-secret-test-secret!".utf8))
        let a = MongoInstance(store: store, tokens: tokens, name: "instance-a")
        let b = MongoInstance(store: store, tokens: tokens, name: "instance-b")
        defer {
            a.relay.cancel()
            b.relay.cancel()
        }
        let pack = try PackLoader(root: packsRoot).loadAll("luxfree-solar").manifest
        _ = try await a.service.provisionTenant(id: "default", name: "LUXFREE", pack: pack)
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
                // The relay watches a tenant once it has a client; give B's a moment to start.
                try await Task.sleep(for: .milliseconds(300))

                // The customer writes through A; ana, connected to B, sees the pending ticket.
                reply = try await clientA.call(.post, "/api/v2/messages", token: customer, json: ["content": "Se fue la luz en la colonia"])
                #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
                let ticketId = try #require(reply.ticket?["ticketId"] as? String)
                let pending = try await onB.next("new_pending_ticket", timeout: .seconds(10))
                #expect(pending[ticket: "ticketId"] as? String == ticketId)

                // ana claims and answers through B; the customer, connected to A, hears both.
                reply = try await clientB.call(.post, "/api/v2/tickets/\(ticketId)/claim", token: ana)
                #expect(reply.status == .ok)
                reply = try await clientB.call(.post, "/api/v2/tickets/\(ticketId)/messages", token: ana, json: ["content": "Ya vamos"])
                #expect(reply.status == .created)
                let claimed = try await onA.next("ticket_claimed", timeout: .seconds(10))
                #expect(claimed[data: "agentId"] as? String == "ana")
                _ = try await onA.next("new_message", timeout: .seconds(10)) {
                    (($0[data: "message"] as? [String: Any])?["content"] as? String) == "Ya vamos"
                }
                // Each event arrives once, in id order, whichever instance made it.
                try await onA.sync()
                try await onB.sync()
                for ws in [onA, onB] {
                    let ids = ws.received().compactMap { $0["id"] as? Int }
                    #expect(ids == ids.sorted())
                    #expect(Set(ids).count == ids.count)
                }
                // A client reconnecting to B replays what A stored.
                let replay = try await LiveClient.connect(port: portB, token: ana, query: "?rooms=staff&since=0")
                let ack = try await replay.next("subscribed")
                #expect((ack[data: "replayed"] as? Int ?? 0) >= 4)
                _ = try await replay.next("new_pending_ticket")
                for ws in [onA, onB, replay] { await ws.close() }
            }
        }
        try await connection.close()
    }
}
