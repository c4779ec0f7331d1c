import ArgumentParser
@_spi(Benchmarks) import DocketAssembly
import DocketCore
import DocketHTTP
@_spi(Benchmarks) import DocketMongo
import DocketSQLite
import DocketWire
import Foundation

/// `docket-load micro`: the costs under every request, each measured alone in this process.
struct Micro: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Micro benchmarks: JSON encode/decode of a ticket, its MongoDB document through the old (extended JSON) and new (libbson append/iterate) codec, SQLite insert and conditional update. (Rule evaluation: docket-load rules; its C floor: bench/rules_floor.sh.)")

    @Option(help: "Repetitions of each measurement.") var iterations = 20_000
    @Option(help: "Write the results as JSON here.") var json: String?

    struct Figure: Codable {
        var name: String
        var microsPerOperation: Double
        var operationsPerSecond: Double
    }

    func run() async throws {
        var figures: [Figure] = []
        func report(_ name: String, _ count: Int, _ elapsed: Duration) {
            let micros = elapsed.milliseconds * 1000 / Double(count)
            figures.append(Figure(name: name, microsPerOperation: micros, operationsPerSecond: 1_000_000 / micros))
            print(String(format: "%-40@ %9.1f µs/op %11.0f op/s", name as NSString, micros, 1_000_000 / micros))
        }
        let ticket = Self.sampleTicket(number: 1)
        let clock = ContinuousClock()

        // The API's JSON (ISO dates) and the store's document JSON (millisecond dates).
        let api = APICoding.encoder
        var elapsed = clock.measure { for _ in 0..<iterations { _ = try? api.encode(ticket) } }
        report("JSON encode ticket (API)", iterations, elapsed)
        let store = JSONEncoder()
        store.dateEncodingStrategy = .millisecondsSince1970
        let document = try store.encode(ticket)
        elapsed = clock.measure { for _ in 0..<iterations { _ = try? store.encode(ticket) } }
        report("JSON encode ticket (store document)", iterations, elapsed)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        elapsed = clock.measure { for _ in 0..<iterations { _ = try? decoder.decode(Ticket.self, from: document) } }
        report("JSON decode ticket (store document)", iterations, elapsed)
        print("   (ticket document: \(document.count) bytes: 5 notes, 3 history entries, location, tags)")

        // A create's request body (bench/create.lua's), read by Foundation and by hand (`JSONIn`).
        let body = Data(#"{"subject":"Luminaria apagada en la calle 7","description":"La luminaria frente al número 7 no enciende desde anoche; el poste tiene el cable expuesto.","category":"light_malfunction","priority":"high","tags":["poste"]}"#.utf8)
        let bytes = Array(body)
        let plain = JSONDecoder()
        elapsed = clock.measure { for _ in 0..<iterations { _ = try? plain.decode(NewTicket.self, from: body) } }
        report("JSON read create body (Foundation)", iterations, elapsed)
        elapsed = clock.measure { for _ in 0..<iterations { _ = JSONIn.read(NewTicket.self, from: bytes) } }
        report("JSON read create body (by hand)", iterations, elapsed)

        // The MongoDB document: Codable -> bson_t and back, through extended JSON (the codec
        // before) and through libbson's append and iterate API (the codec now).
        let bson = try BSONCoding.encode(ticket)
        elapsed = clock.measure { for _ in 0..<iterations { _ = try? ExtendedJSONPath.encode(ticket) } }
        report("BSON encode ticket (old: extended JSON)", iterations, elapsed)
        elapsed = clock.measure { for _ in 0..<iterations { _ = try? BSONCoding.encode(ticket) } }
        report("BSON encode ticket (new: libbson append)", iterations, elapsed)
        elapsed = clock.measure { for _ in 0..<iterations { _ = try? ExtendedJSONPath.decode(Ticket.self, from: bson) } }
        report("BSON decode ticket (old: extended JSON)", iterations, elapsed)
        elapsed = clock.measure { for _ in 0..<iterations { _ = try? BSONCoding.decode(Ticket.self, from: bson) } }
        report("BSON decode ticket (new: libbson iterate)", iterations, elapsed)
        print("   (BSON document: \(bson.count) bytes)")

        // SQLite through the store, on a fresh file.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("docket-micro-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = try DocketSystem.embeddedStore(in: dir)
        let inserts = min(iterations, 5_000)
        var start = clock.now
        var ids: [String] = []
        for _ in 0..<inserts {
            let created = try await sqlite.createTicket(tenantId: "micro", counterYear: 2026) { number in Self.sampleTicket(number: number) }
            ids.append(created.ticketId)
        }
        report("SQLite create (numbered insert), 1 task", inserts, clock.now - start)
        start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<(inserts / 8) {
                        _ = try await sqlite.createTicket(tenantId: "micro", counterYear: 2026) { number in Self.sampleTicket(number: number) }
                    }
                }
            }
            try await group.waitForAll()
        }
        report("SQLite create, 8 tasks", inserts / 8 * 8, clock.now - start)
        start = clock.now
        for id in ids {
            guard var current = try await sqlite.ticket(tenantId: "micro", ticketId: id) else { continue }
            let expected = current.version
            current.version += 1
            current.status = "open"
            _ = try await sqlite.updateTicket(current, expectedVersion: expected)
        }
        report("SQLite read + conditional update", ids.count, clock.now - start)
        start = clock.now
        for id in ids { _ = try await sqlite.ticket(tenantId: "micro", ticketId: id) }
        report("SQLite read by id", ids.count, clock.now - start)
        start = clock.now
        for _ in ids { try await sqlite.ping() }
        report("SQLite round trip (SELECT 1)", ids.count, clock.now - start)
        try writeJSON(figures, to: json)
    }

    /// A ticket as a worked one looks: notes, history, location, tags.
    static func sampleTicket(number: Int) -> Ticket {
        let created = Date(timeIntervalSince1970: 1_795_000_000)
        let ticket = Ticket(
            tenantId: "micro", ticketId: "LUX-2026-\(String(format: "%06d", number))", number: number, numberingYear: 2026,
            subject: "Luminaria apagada en la calle \(number)",
            description: "Desde anoche la luminaria no enciende; los vecinos dicen que el poste hace ruido cuando llueve.",
            category: "light_malfunction", subcategory: nil, priority: .high, status: "new",
            statusHistory: (0..<3).map { StatusChange(from: $0 == 0 ? nil : "new", to: "open", changedBy: "ana", reason: "r", timestamp: created) },
            customerId: "cust\(number % 100)", conversationId: "conv-\(number)", assignedAgent: "ana", assignedAt: created,
            location: Location(address: "Av. Reforma 1", description: "Poste 3", coordinates: Coordinates(latitude: 19.4, longitude: -99.1)),
            sla: TicketSLA(targets: SLATarget(firstResponseSeconds: 3600, resolutionSeconds: 86_400), createdAt: created),
            resolution: nil, customerFeedback: nil,
            notes: (0..<5).map { Note(id: "n\($0)", authorId: "ana", authorRole: .agent, content: "Nota \($0) sobre el poste", isInternal: $0 == 0, timestamp: created) },
            tags: ["poste", "riesgo"], escalation: nil, attachments: [], source: .whatsapp, createdAt: created, updatedAt: created,
            closedAt: nil, version: 1, queue: "field")
        return ticket
    }
}
