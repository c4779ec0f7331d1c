@testable import DocketCore
import DocketWire
import DocketMemory
@testable import DocketSQLite
import DocketTestSupport
import Foundation
import GRDB
import Synchronization
import Testing
@testable import DocketMongo

/// A stand-in server of our own, on its own port and storage, that a test may stop and restart.
final class StandInServer: @unchecked Sendable {
    let binary: String
    let port: Int
    let storage: URL
    private var process: ChildProcess?

    init(binary: String) throws {
        self.binary = binary
        port = freePort()
        storage = try Scratch.directory("standin")
    }

    var uri: String { "mongodb://127.0.0.1:\(port)/docket_outage?directConnection=true" }

    func start() async throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--host", "127.0.0.1", "--port", "\(port)", "--storage-path", storage.path, "--sync-on-commit"]
        process.discardsOutput = true
        try process.run()
        self.process = process
        // Wait for the port (about a second), as long as this stand-in runs: a port that answers
        // while it has exited is someone else's.
        for _ in 0..<100 {
            guard process.isRunning else { throw DocketError(.storeUnavailable, "the stand-in exited (port \(port) taken?)") }
            if Self.listening(port) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DocketError(.storeUnavailable, "the stand-in did not listen on \(port)")
    }

    /// Kills the server outright (SIGKILL, like a crash) and waits until it is gone.
    func stop() async throws {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        self.process = nil
    }

    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

@Suite("MongoDB outages")
struct MongoOutageTests {
    /// The store answers "unavailable" while MongoDB is down, and works again by itself when it
    /// returns, with every acknowledged ticket still there.
    @Test(.enabled(if: TestStores.runsMongo))
    func theStoreRecoversWhenMongoDBReturns() async throws {
        let server = try StandInServer(binary: try TestStores.requireMongoBinary())
        try await server.start()
        let connection = try MongoConnection(uri: server.uri, settings: MongoSettings(poolSize: 2, serverSelectionTimeoutMS: 800))
        let store = try await MongoTicketStore.open(connection)
        let created = try await Fixtures.create(store, tenant: "a")

        try await server.stop()
        let down = await #expect(throws: DocketError.self) { try await store.ticket(tenantId: "a", ticketId: created.ticketId) }
        #expect(down?.code == .storeUnavailable)
        let writeDown = await #expect(throws: DocketError.self) { try await Fixtures.create(store, tenant: "a") }
        #expect(writeDown?.code == .storeUnavailable)

        try await server.start()
        var back: Ticket?
        for _ in 0..<50 where back == nil {
            back = try? await store.ticket(tenantId: "a", ticketId: created.ticketId)
            if back == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(back == created)
        #expect(try await Fixtures.create(store, tenant: "a").number == 2)
        try await server.stop()
    }

    @Test func anUnreachableServerIsUnavailableNotAHang() async throws {
        let connection = try MongoConnection(
            uri: "mongodb://127.0.0.1:1/docket?directConnection=true", settings: MongoSettings(poolSize: 1, serverSelectionTimeoutMS: 300))
        let store = MongoTicketStore(connection: connection, database: "docket", textSearch: false)
        let error = await #expect(throws: DocketError.self) { try await store.ping() }
        #expect(error?.code == .storeUnavailable)
    }
}

@Suite("SLA timers on MongoDB")
struct MongoTimerSchedulerTests {
    /// Two schedulers (two server instances) on one database: every warning and breach fires once.
    @Test(.enabled(if: TestStores.runsMongo))
    func twoSchedulersFireEachTimerOnce() async throws {
        let store = try await StoreKind.mongo.make()
        let clock = ManualClock(Fixtures.epoch)
        var pack = Fixtures.pack
        pack.sla.warning = SLAWarning(percent: 50, minutesBefore: 0)
        let one = DocketServices(store: store, wire: DocketWireFormat(), clock: clock, tenantCacheSeconds: 0)
        let two = DocketServices(store: store, wire: DocketWireFormat(), clock: clock, tenantCacheSeconds: 0)
        _ = try await one.tenants.provisionTenant(id: "a", name: "A", pack: pack)
        try await store.insertCustomer(Fixtures.customer("c1", tenant: "a", phone: "+525500000009"))
        let customer = Principal(tenantId: "a", role: .customer, subject: "c1")
        for index in 0..<20 {
            _ = try await one.tickets.createTicket(customer, NewTicket(subject: "t\(index)", description: "d"))
        }
        // Past every first-response and resolution target (1 h and 1 day).
        clock.advance(by: 2 * 86_400)
        let (a, b) = try await (
            Task { var n = 0; while true { let k = try await one.tickets.fireDueTimers(limit: 7); if k == 0 { break }; n += k }; return n }.value,
            Task { var n = 0; while true { let k = try await two.tickets.fireDueTimers(limit: 7); if k == 0 { break }; n += k }; return n }.value
        )
        // 20 tickets × (2 clocks × warning + breach) = 80 events, split between the two.
        #expect(a + b == 80)
        let tickets = try await store.listTickets(tenantId: "a", query: TicketQuery()).items
        #expect(tickets.allSatisfy { $0.sla.clocks?.allSatisfy { $0.breachedAt != nil && $0.warnedAt != nil } == true })
        #expect(try await store.dueTimerTickets(before: clock.now(), limit: 100).isEmpty)
    }
}

/// The adapter's memo of decoded tickets (`MongoTicketStore.TicketMemo`) with two instances on
/// one database: each holds the versions it read or wrote, and a change the other made is read
/// fresh, in lists and gets, audit included.
@Suite("Decoded tickets on MongoDB")
struct MongoTicketMemoTests {
    @Test(.enabled(if: TestStores.runsMongo))
    func aChangeAnotherInstanceMadeIsReadFreshAndAnUnchangedTicketIsNotDecodedAgain() async throws {
        let uri = try TestStores.requireMongoURI()
        let database = "docket_memo_\(UUID().uuidString.prefix(8).lowercased())"
        var stores: [MongoTicketStore] = []
        for _ in 0..<2 {
            let connection = try MongoConnection(uri: uri, settings: MongoSettings(poolSize: 2, serverSelectionTimeoutMS: 3_000))
            stores.append(try await MongoTicketStore.open(connection, database: database))
        }
        let (one, two) = (stores[0], stores[1])
        var ticket = try await Fixtures.create(one, tenant: "a")
        // Instance two reads it (and holds version 1); instance one changes it.
        #expect(try await two.ticket(tenantId: "a", ticketId: ticket.ticketId)?.status == "new")
        #expect(try await two.listTickets(tenantId: "a", query: TicketQuery()).items.first?.status == "new")
        ticket.status = "open"
        ticket.version = 2
        ticket.ruleAudit = [RuleAuditEntry(
            event: "ticket.created", packId: "p", packVersion: "1", rule: "triage", proposed: ["set_priority(high)"], applied: ["set_priority(high)"],
            rejected: [], error: nil, durationMicros: 3, depth: 0, at: Fixtures.epoch)]
        #expect(try await one.updateTicket(ticket, expectedVersion: 1))
        // Two reads what one wrote, not what it held.
        let got = try #require(try await two.ticket(tenantId: "a", ticketId: ticket.ticketId))
        #expect(got.status == "open" && got.version == 2)
        #expect(got.ruleAudit?.first?.applied == ["set_priority(high)"], "the audit comes with a get")
        let listed = try #require(try await two.listTickets(tenantId: "a", query: TicketQuery()).items.first)
        #expect(listed.status == "open" && listed.ruleAudit == nil, "a list carries no audit")
        // What two now holds is what a get answers again, without decoding.
        let key = MongoTicketStore.key("a", ticket.ticketId)
        #expect(two.memo.decoded.value(key, version: 2)?.status == "open")
        #expect(one.memo.decoded.value(key, version: 2)?.status == "open", "the writer keeps what it wrote")
        #expect(try await two.ticket(tenantId: "a", ticketId: ticket.ticketId) == got)
    }
}
