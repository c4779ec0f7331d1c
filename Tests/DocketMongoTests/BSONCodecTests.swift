import DocketCore
import Foundation
import Testing

@testable @_spi(Benchmarks) import DocketMongo

struct Shipment: Codable, Equatable {
    struct Stop: Codable, Equatable {
        var city: String
        var arrivals: [Date]
    }

    var id: ObjectID
    var note: String
    var promised: Date
    var delivered: Date?
    var stops: [Stop]
    var matrix: [[Int]]
    var weight: Double
    var flags: [String: Bool]
    var comment: String?
}

@Suite("BSON codec")
struct BSONCodecTests {
    @Test func domainValuesRoundTripThroughBSON() throws {
        let promised = Date(timeIntervalSince1970: 1_795_017_600.123)  // millisecond precision
        let shipment = Shipment(
            id: ObjectID.generate(), note: "Đơn hỗ trợ chưa nhận được hàng — ¿instalación mañana? ñandú",
            promised: promised, delivered: nil,
            stops: [.init(city: "Hồ Chí Minh", arrivals: [promised, promised.addingTimeInterval(3600.5)]), .init(city: "Cancún", arrivals: [])],
            matrix: [[1, 2], [], [3]], weight: 12.5, flags: ["frágil": true, "vip": false], comment: nil)
        let bson = try BSONCoding.encode(shipment)
        #expect(bson.count > 50)
        let back = try BSONCoding.decode(Shipment.self, from: bson)
        #expect(back == shipment)
        #expect(back.promised.timeIntervalSince1970 == 1_795_017_600.123)
    }

    @Test func datesAreBSONDatesAndIdsAreObjectIds() throws {
        struct Probe: Codable { var at: Date; var id: ObjectID; var small: Int; var big: Int; var ratio: Double; var link: URL; var blob: Data }
        let id = try #require(ObjectID(hex: "65a1b2c3d4e5f60718293a4b"))
        let probe = Probe(
            at: Date(timeIntervalSince1970: 1.5), id: id, small: 7, big: 1 << 40, ratio: 0.25, link: URL(string: "https://x.mx/a?b=1")!,
            blob: Data([0, 1, 2]))
        let document = try BSONDocument(bytes: BSONCoding.encode(probe)).read()
        #expect(document.fields.map(\.key) == ["at", "id", "small", "big", "ratio", "link", "blob"], "fields keep the declaration order")
        #expect(document["at"] == .date(1500))
        #expect(document["id"] == .objectId(id))
        #expect(document["small"] == .int32(7))
        #expect(document["big"] == .int64(1 << 40))
        #expect(document["ratio"] == .double(0.25))
        #expect(document["link"] == .string("https://x.mx/a?b=1"))
        #expect(document["blob"] == .string("AAEC"))
        let back = try BSONCoding.decode(Probe.self, from: BSONCoding.encode(probe))
        #expect(back.at == probe.at && back.id == id && back.big == 1 << 40 && back.link == probe.link && back.blob == probe.blob)
        #expect(ObjectID(hex: "nothex") == nil)
        #expect(ObjectID.generate() != ObjectID.generate())
    }

    @Test func documentsTheEarlierJSONPathStoredDecodeTheSame() throws {
        let ticket = Self.sampleTicket()
        // Tickets stored before this codec went in were written through extended JSON.
        let old = try ExtendedJSONPath.encode(ticket)
        #expect(try BSONCoding.decode(Ticket.self, from: old) == ticket)
        #expect(try ExtendedJSONPath.decode(Ticket.self, from: BSONCoding.encode(ticket)) == ticket)
    }

    @Test func filtersAndOptionsAreAppendedAsTypedValues() throws {
        let when = Date(timeIntervalSince1970: 1_795_000_000)
        let filter = try BSONDocument(["tenantId": "t", "createdAt": ["$gte": when], "status": ["$in": ["new", "open"]], "assigned": NSNull()]).read()
        #expect(filter["createdAt"] == .document(["$gte": .date(1_795_000_000_000)]))
        #expect(filter["status"] == .document(["$in": .array([.string("new"), .string("open")])]))
        #expect(filter["assigned"] == .null)
        let options = try BSONDocument(FindOptions(sort: [("z", -1), ("a", 1)], skip: 20, limit: 10, projection: [("ix", 0)]).document).read()
        #expect(options["sort"]?.document?.fields.map(\.key) == ["z", "a"], "a sort keeps its order")
        #expect(options["limit"] == .int64(10))
        #expect(throws: MongoError.self) { try BSONDocument(["bad": NSObject()]) }
    }

    @Test func aWaiterCancelledInTheAdmissionQueueLeavesIt() async throws {
        let gate = AsyncSemaphore(permits: 1)
        try await gate.wait()
        let waiter = Task { try await gate.wait() }
        while gate.waiting == 0 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(gate.waiting == 0)
        // The permit is still the holder's to give back, and the next caller gets it.
        gate.signal()
        try await gate.wait()
        gate.signal()
    }

    static func sampleTicket() -> Ticket {
        let now = Date(timeIntervalSince1970: 1_795_000_000.5)
        var ticket = Ticket(
            tenantId: "t", ticketId: "HT-000123", number: 123, numberingYear: 2026, subject: "Chưa nhận được hàng",
            description: "Giao chậm", category: "delivery", subcategory: nil, priority: .high, status: "pending",
            statusHistory: [StatusChange(from: nil, to: "pending", changedBy: "c", reason: nil, timestamp: now)],
            customerId: "c", conversationId: nil, assignedAgent: nil, assignedAt: nil,
            location: Location(address: "Quận 1", description: nil, coordinates: Coordinates(latitude: 10.77, longitude: 106.7)),
            sla: TicketSLA(targets: SLATarget(firstResponseSeconds: 3600, resolutionSeconds: 86400), createdAt: now),
            resolution: nil, customerFeedback: nil,
            notes: [Note(id: "n1", authorId: "ana", authorRole: .agent, content: "Llamé al cliente", isInternal: true, timestamp: now)],
            tags: ["vip"], escalation: nil, attachments: [], source: .whatsapp,
            createdAt: now, updatedAt: now, closedAt: nil, version: 3)
        ticket.fields = ["promisedDate": "2026-11-15"]
        return ticket
    }

    @Test func aTicketRoundTripsWithEveryOptionalField() throws {
        let ticket = Self.sampleTicket()
        let back = try BSONCoding.decode(Ticket.self, from: try BSONCoding.encode(ticket))
        #expect(back == ticket)
    }

    @Test func errorsAreClassifiedByDomainAndCode() {
        #expect(MongoError.kind(domain: 17, code: 11000) == .duplicateKey)
        #expect(MongoError.kind(domain: 15, code: 13053) == .unavailable)
        #expect(MongoError.kind(domain: 2, code: 3) == .unavailable)
        #expect(MongoError.kind(domain: 17, code: 67) == .unsupported)
        #expect(MongoError.kind(domain: 17, code: 2) == .other)
        #expect(MongoError(kind: .duplicateKey, code: 11000, message: "dup").docketError.code == .conflict)
        #expect(MongoError(kind: .unavailable, code: 13053, message: "down").docketError.code == .storeUnavailable)
    }

    @Test func aBadURIIsAClearError() {
        let error = #expect(throws: MongoError.self) { try MongoConnection(uri: "postgres://nope") }
        #expect(error?.message.isEmpty == false)
        #expect(MongoConnection.redacted("mongodb://user:secret@db:27017/docket") == "mongodb://***@db:27017/docket")
    }
}
