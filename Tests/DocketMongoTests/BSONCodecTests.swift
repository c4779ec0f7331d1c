import DocketCore
import Foundation
import Testing

@testable import DocketMongo

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
        let bson = try ExtendedJSON.bson(shipment)
        #expect(bson.count > 50)
        let back = try ExtendedJSON.decode(Shipment.self, bson: bson)
        #expect(back == shipment)
        #expect(back.promised.timeIntervalSince1970 == 1_795_017_600.123)
    }

    @Test func datesAreBSONDatesAndIdsAreObjectIds() throws {
        struct Probe: Codable { var at: Date; var id: ObjectID }
        let id = try #require(ObjectID(hex: "65a1b2c3d4e5f60718293a4b"))
        let document = try BSONDocument(json: try ExtendedJSON.encoder().encode(Probe(at: Date(timeIntervalSince1970: 1), id: id)))
        let json = String(decoding: document.json, as: UTF8.self)
        #expect(json.contains("\"$date\""))
        #expect(json.contains("\"$oid\" : \"65a1b2c3d4e5f60718293a4b\""))
        #expect(ObjectID(hex: "nothex") == nil)
        #expect(ObjectID.generate() != ObjectID.generate())
    }

    @Test func aTicketRoundTripsWithEveryOptionalField() throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000.5)
        var ticket = Ticket(
            tenantId: "t", ticketId: "HT-000123", number: 123, numberingYear: 2026, subject: "Chưa nhận được hàng",
            description: "Giao chậm", category: "delivery", subcategory: nil, priority: .high, status: "pending",
            statusHistory: [StatusChange(from: nil, to: "pending", changedBy: "c", reason: nil, timestamp: now)],
            customerId: "c", conversationId: nil, assignedAgent: nil, assignedAt: nil,
            location: Location(address: "Quận 1", description: nil, coordinates: Coordinates(latitude: 10.77, longitude: 106.7)),
            sla: TicketSLA(targets: SLATarget(firstResponseSeconds: 3600, resolutionSeconds: 86400), createdAt: now),
            resolution: nil, customerFeedback: nil, notes: [], tags: ["vip"], escalation: nil, attachments: [], source: .whatsapp,
            createdAt: now, updatedAt: now, closedAt: nil, version: 3)
        ticket.fields = ["promisedDate": "2026-11-15"]
        let back = try ExtendedJSON.decode(Ticket.self, bson: try ExtendedJSON.bson(ticket))
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
