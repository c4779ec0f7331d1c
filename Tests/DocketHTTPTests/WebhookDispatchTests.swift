import DocketCore
import DocketWire
import DocketMemory
import DocketPacks
import DocketWebhooks
import DocketTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// The webhook dispatcher's clock-bound promises, on a manual clock with the real HTTP sender
/// and a real local receiver (a Hummingbird server on a random port).
@Suite("Webhook dispatch")
struct WebhookDispatchTests {
    /// A receiver that answers every POST with `status` and counts them.
    final class Hits: Sendable {
        let count = Mutex(0)
        let bodies = Mutex<[(event: String, body: String)]>([])
        var value: Int { count.withLock { $0 } }
    }

    static func receiver(status: HTTPResponse.Status, run body: (String, Hits) async throws -> Void) async throws {
        let hits = Hits()
        let port = Mutex(0)
        let router = Router()
        router.post("/hook") { request, _ in
            hits.count.withLock { $0 += 1 }
            let body = try await request.body.collect(upTo: 1 << 20)
            let event = request.headers[HTTPField.Name("Docket-Event")!] ?? ""
            hits.bodies.withLock { $0.append((event, String(buffer: body))) }
            return Response(status: status)
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port ?? 0 } })
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        // The whole suite starts at once on two cores: the receiver may take a while to listen, so
        // wait for it generously, and never go on with no port (that would look like a refusal).
        let deadline = ContinuousClock.now + .seconds(120)
        while port.withLock({ $0 }) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let bound = port.withLock { $0 }
        try #require(bound != 0, "the receiver did not start listening within 120 s")
        try await body("http://127.0.0.1:\(bound)/hook", hits)
    }

    @Test func anEndpointThatFailsForADayIsDisabledAndStaffAreTold() async throws {
        try await Self.receiver(status: .serviceUnavailable) { url, hits in
            let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))
            let store = MemoryTicketStore()
            let sender = WebhookHTTPSender(timeout: .seconds(5), allowPrivateAddresses: true, version: "test")
            let services = DocketServices(store: store, wire: DocketWireFormat(), clock: clock, tenantCacheSeconds: 0, webhookSender: sender, allowPrivateWebhooks: true)
            _ = try await services.tenants.provisionTenant(id: "t", name: "T", pack: try PackLoader(root: packsRoot).load("luxfree-solar"))
            let admin = Principal(tenantId: "t", role: .admin, subject: "boss")
            let (hook, _) = try await services.webhooks.create(admin, WebhookInput(url: url))
            _ = try await services.tickets.createTicket(Principal(tenantId: "t", role: .customer, subject: "c1"), NewTicket(subject: "Corte", description: "Sin luz"))
            let dispatcher = WebhookDispatcher(core: services.core, sender: sender, instance: "one")

            #expect(try await dispatcher.runOnce() == 1)
            var state = try #require(try await store.webhook(tenantId: "t", id: hook.id))
            #expect(state.retry?.attempts == 1 && state.active)
            // Not before the backoff is over.
            #expect(try await dispatcher.runOnce() == 0)
            // Retried as the backoff allows, for a day.
            for _ in 0..<30 {
                clock.advance(by: 3600)
                try await dispatcher.runOnce()
                state = try #require(try await store.webhook(tenantId: "t", id: hook.id))
                if !state.active { break }
            }
            #expect(state.active == false)
            #expect(state.disabledReason?.contains("24 hours") == true, "\(state.disabledReason ?? "")")
            let log = try await store.deliveries(tenantId: "t", webhookId: hook.id, limit: 10)
            #expect(log.first?.status == .failed && log.first?.statusCode == 503, "\(String(describing: log.first))")
            // Every attempt reached the receiver. The backoff is capped at an hour with ±20 %
            // jitter and the clock moves an hour at a time, so a day holds 12 to 25 attempts.
            #expect(hits.value == log.first?.attempts)
            #expect((12...26).contains(hits.value), "\(hits.value) attempts")
            // Staff hear of it on the live log.
            let events = try await store.liveEvents(tenantId: "t", after: 0, limit: 100)
            let disabled = try #require(events.last { $0.type == .webhookDisabled })
            #expect(disabled.audience == .staff && disabled.data.contains(hook.id))
            // A disabled endpoint is left alone; turned on again it resumes where it stopped.
            #expect(try await dispatcher.runOnce() == 0)
            let again = try await services.webhooks.update(admin, hook.id, WebhookInput(active: true))
            #expect(again.active && again.disabledReason == nil)
            #expect(try await dispatcher.runOnce() == 1)
        }
    }

    /// Another endpoint's `webhook_disabled` (its URL, why it failed) goes only where it is asked
    /// for by name, never to an endpoint that takes all events.
    @Test func webhookDisabledGoesOnlyWhereAskedForByName() {
        func hook(_ events: [String]) -> Webhook {
            Webhook(id: "w", tenantId: "t", url: "https://example.com/", events: events, secret: "s", cursor: 0, createdAt: Date(), createdBy: "boss")
        }
        let disabled = LiveEvent(tenantId: "t", id: 1, type: .webhookDisabled, audience: .staff, data: "{}", at: Date())
        let created = LiveEvent(tenantId: "t", id: 2, type: .ticketCreated, audience: .everyone, data: "{}", at: Date())
        #expect(!hook([]).wants(disabled))
        #expect(hook([]).wants(created))
        #expect(!hook(["ticket_created"]).wants(disabled))
        #expect(hook(["webhook_disabled"]).wants(disabled))
        #expect(!hook(["webhook_disabled"]).wants(created))
    }

    @Test func publicAddressesInEverySpellingAreTaken() {
        for host in ["8.8.8.8", "134744072", "0x08080808", "8.8.2056", "example.com", "[2001:4860:4860::8888]", "[::ffff:8.8.8.8]", "93.184.216.34."] {
            #expect(!WebhookAddressRule.isPrivate(host), "\(host)")
        }
        for host in ["1.2.3.4.5", "256.1.1.1", "0x1g", "::g", "1:2:3:4:5:6:7:8:9"] {
            #expect(!WebhookAddressRule.isPrivate(host), "\(host) is no address, so it is a name the resolver is asked about at delivery")
        }
    }

    @Test func privateAddressesAreRefusedUnlessAllowed() async throws {
        try await Self.receiver(status: .ok) { url, hits in
            let store = MemoryTicketStore()
            let services = DocketServices(store: store, wire: DocketWireFormat(), tenantCacheSeconds: 0)
            _ = try await services.tenants.provisionTenant(id: "t", name: "T", pack: try PackLoader(root: packsRoot).load("luxfree-solar"))
            let admin = Principal(tenantId: "t", role: .admin, subject: "boss")
            let spellings = [
                "http://localhost:9/x", "http://localhost./x", "http://10.1.2.3/x", "http://[::1]:80/x", "http://169.254.169.254/latest/meta-data",
                // 127.0.0.1 as inet_aton reads it, with a trailing dot, and inside IPv6.
                "http://2130706433/", "http://0x7f000001/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/", "http://127.0.0.1./",
                "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/",
                "http://[fe80::1]/", "http://[fd00::1]/", "http://[::]/", "http://0/", "http://0.0.0.0/", "http://167772161/",
            ]
            for address in [url] + spellings {
                let refused = await #expect(throws: DocketError.self) { try await services.webhooks.create(admin, WebhookInput(url: address)) }
                #expect(refused?.field == "url", "\(address)")
            }
            // At delivery time too: a name that resolves to a private address.
            let sender = WebhookHTTPSender(timeout: .seconds(2), allowPrivateAddresses: false, version: "test")
            let hook = Webhook(id: "w", tenantId: "t", url: url.replacingOccurrences(of: "127.0.0.1", with: "localhost"), events: [], secret: "s", cursor: 0, createdAt: Date(), createdBy: "boss")
            let event = LiveEvent(tenantId: "t", id: 1, type: .ticketCreated, audience: .everyone, data: "{}", at: Date())
            let attempt = await sender.send(hook, event: event, deliveryId: "w-1", attempt: 1)
            #expect(attempt.statusCode == nil && attempt.error?.hasPrefix("refused") == true, "\(attempt)")
            #expect(hits.value == 0)
        }
    }

    /// A rule's `webhook{endpoint, event}`: the ticket goes to that endpoint under the rule's
    /// event name, whatever events the endpoint asked for; an unknown endpoint or a bad name is
    /// rejected in the audit.
    struct WebhookRules: RuleEngine {
        let endpoint: String
        func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome] {
            guard event.type == .ticketCreated, !skipping.contains("rules/alerts.lua:on_created") else { return [] }
            return [RuleOutcome(
                rule: "rules/alerts.lua:on_created",
                actions: [
                    .webhook(endpoint: endpoint, event: "food_safety.alert"), .webhook(endpoint: "nope", event: nil),
                    .webhook(endpoint: endpoint, event: "Not Valid!"),
                ], error: nil, durationMicros: 1)]
        }

        func prepare(packId: String, version: String) async throws {}
    }

    @Test func aRulesWebhookActionSendsTheTicketToThatEndpoint() async throws {
        try await Self.receiver(status: .ok) { url, hits in
            let store = MemoryTicketStore()
            let sender = WebhookHTTPSender(timeout: .seconds(5), allowPrivateAddresses: true, version: "test")
            let setup = DocketServices(store: store, wire: DocketWireFormat(), tenantCacheSeconds: 0, allowPrivateWebhooks: true)
            _ = try await setup.tenants.provisionTenant(id: "t", name: "T", pack: try PackLoader(root: packsRoot).load("luxfree-solar"))
            let admin = Principal(tenantId: "t", role: .admin, subject: "boss")
            // The endpoint asked for ticket_resolved only.
            let (hook, secret) = try await setup.webhooks.create(admin, WebhookInput(url: url, events: ["ticket_resolved"]))
            let (other, _) = try await setup.webhooks.create(admin, WebhookInput(url: url + "?other"))
            let services = DocketServices(
                store: store, wire: DocketWireFormat(), tenantCacheSeconds: 0, rules: WebhookRules(endpoint: hook.id), webhookSender: sender, allowPrivateWebhooks: true)
            let ticket = try await services.tickets.createTicket(
                Principal(tenantId: "t", role: .customer, subject: "c1"), NewTicket(subject: "Comida en mal estado", description: "Intoxicación"))
            let audit = try #require(try await store.ticket(tenantId: "t", ticketId: ticket.ticketId)?.ruleAudit?.first)
            #expect(audit.webhooks == [RuleWebhook(endpoint: hook.id, event: "food_safety.alert")])
            #expect(audit.rejected.map(\.action) == ["webhook(nope)", "webhook(\(hook.id), Not Valid!)"])
            let dispatcher = WebhookDispatcher(core: services.core, sender: sender, instance: "one")
            try await dispatcher.runOnce()
            // The addressed endpoint got it; the other one (every event) got the ticket's events but not it.
            let bodies = hits.bodies.withLock { $0 }
            let alerts = bodies.filter { $0.event == "food_safety.alert" }
            #expect(alerts.count == 1, "\(bodies.map(\.event))")
            let body = try #require(alerts.first?.body)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(json["event"] as? String == "food_safety.alert")
            #expect((json["ticket"] as? [String: Any])?["ticketId"] as? String == ticket.ticketId)
            #expect(((json["data"] as? [String: Any])?["rule"] as? String) == "rules/alerts.lua:on_created")
            #expect(!bodies.contains { $0.event == "ticket_created" && $0.body.contains(hook.id) })
            #expect(bodies.contains { $0.event == "ticket_created" }, "the every-event endpoint \(other.id) got the creation")
            #expect(!secret.isEmpty)
        }
    }
}
