import Foundation
import Testing

@testable import DocketCore
import DocketWire

/// The hand-written JSON (`JSONOut`, `Ticket+JSON.swift`) must be what `JSONEncoder` writes for
/// the same value, byte for byte: the API's answers and the event payloads keep their text, and
/// the stores read their documents back with `JSONDecoder`.
@Suite("Ticket JSON") struct TicketJSONTests {
    /// Every text a customer can write, at its most hostile: every control character, quotes,
    /// backslashes, slashes, HTML, non-ASCII, emoji and the line separators JavaScript trips on.
    static let hostile =
        String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }) + #"" \ / \" \\ </script><img src=x onerror=alert(1)> é ü 中文 🎫👩‍💻 \#u{2028}\#u{2029} \#u{7F}"#

    static let at = Date(timeIntervalSince1970: 1_800_000_000.123)

    static func clock(_ kind: SLAClock.Kind) -> SLAClock {
        SLAClock(
            kind: kind, targetSeconds: 900, businessHours: true, startedAt: at, consumedSeconds: 12.5, since: at + 1,
            pausedSeconds: 0.1, pausedSince: at + 2, dueAt: at + 3, warnAt: at + 4, warnedAt: at + 5, stoppedAt: at + 6, met: false,
            breachedAt: at + 7, remainingSeconds: -1e-7)
    }

    /// A ticket with every optional set, so that a field the writer forgets shows as a difference.
    static func fullTicket(text: String = hostile) -> Ticket {
        var sla = TicketSLA(targets: SLATarget(firstResponseSeconds: 900, resolutionSeconds: 14_400), createdAt: at)
        sla.firstResponseAt = at + 10
        sla.firstResponseMet = true
        sla.resolutionMet = false
        sla.clocks = [clock(.firstResponse), clock(.resolution)]
        sla.policy = "vip/\(text)"
        sla.nextTimerAt = at + 99
        var replies = ReplyTally()
        replies.measured = 2
        replies.met = 1
        replies.breached = 1
        replies.answered = 2
        replies.seconds = 4_000
        replies.histogram = ["150": 1, "165": 1]
        sla.nextReplies = replies
        var ticket = Ticket(
            tenantId: "t1", ticketId: "LUX-2026-000042", number: 42, numberingYear: 2026, subject: "subject \(text)", description: text,
            category: "billing", subcategory: "refund", priority: .urgent, status: "in_progress",
            statusHistory: [
                StatusChange(from: nil, to: "new", changedBy: "c1", reason: nil, timestamp: at),
                StatusChange(from: "new", to: "in_progress", changedBy: "a1", reason: text, timestamp: at + 0.0005),
            ],
            customerId: "c1", conversationId: "conv-1", assignedAgent: "a1", assignedAt: at + 1,
            location: Location(address: text, description: "gate 3", coordinates: Coordinates(latitude: -33.8688, longitude: 151.2093)),
            sla: sla, resolution: Resolution(resolvedAt: at + 3, resolvedBy: "a1", notes: text),
            customerFeedback: CustomerFeedback(rating: 5, comment: text, submittedAt: at + 4),
            notes: [
                Note(id: "n1", authorId: "a1", authorRole: .agent, content: text, isInternal: true, timestamp: at + 5),
                Note(id: "n2", authorId: "c1", authorRole: .customer, content: "ok", isInternal: false, timestamp: at + 6),
            ],
            tags: ["vip", text], escalation: Escalation(escalatedTo: "lead", escalatedBy: "a1", reason: text, escalatedAt: at + 7),
            attachments: [Attachment(url: "https://files.example/a/b?c=d&e=f", type: "image/png", uploadedBy: "c1", uploadedAt: at + 8)],
            source: .mobile_app, createdAt: at, updatedAt: at + 9, closedAt: at + 10, version: 7, queue: "tier-2",
            ruleAudit: [
                RuleAuditEntry(
                    event: "ticket.created", packId: "logistics", packVersion: "1.2.0", rule: "route", proposed: ["set_priority(high)"],
                    applied: ["set_priority(high)"], rejected: [.init(action: "assign(x)", reason: text)], error: text, durationMicros: 17,
                    depth: 1, at: at + 11, notifications: [RuleNotification(target: "ops", message: text)],
                    webhooks: [RuleWebhook(endpoint: "crm", event: "vip.created")], cuts: ["error: 48,213 characters cut to 500"],
                    instructions: 3000, ticketVersion: 4)
            ])
        ticket.openChatOf = "c1"
        ticket.ruleAudit?[0].role = "canary"
        ticket.ruleAudit?[0].mails = ["recibido"]
        ticket.canary = "r-1"
        ticket.waiting = WaitingAssignment(strategy: "least_loaded", rule: "rules/triage.lua:on_ticket_created", since: ticket.createdAt)
        ticket.fields = ["orderId": text, "Zeta": "1", "alpha": "2", "é": "3"]
        var chat = TicketChat(
            messageCount: 3, unreadCustomer: 1, unreadStaff: 2, lastMessage: MessagePreview(text: text, at: at + 12, senderType: .customer),
            servedBy: [ServiceSession(agentId: "a1", agentName: text, startedAt: at, endedAt: at + 13, active: false, reason: "claimed")])
        chat.readThroughStaff = 2
        chat.readThroughCustomer = 1
        ticket.chat = chat
        ticket.timers = [
            RuleTimer(name: "no_reply", dueAt: at + 14, setAt: at, setBy: text, after: "2h", business: true, keep: false, repeats: 3)
        ]
        return ticket
    }

    /// Optionals the fixture leaves nil everywhere (a new field must be set in `fullTicket`; in
    /// arrays, one element having it is enough).
    static func nilPaths(_ value: Any) -> Set<String> {
        var (unset, set) = (Set<String>(), Set<String>())
        func walk(_ value: Any, _ path: String) {
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional {
                guard let wrapped = mirror.children.first?.value else { unset.insert(path); return }
                set.insert(path)
                return walk(wrapped, path)
            }
            for child in mirror.children { walk(child.value, "\(path).\(child.label ?? "[]")") }
        }
        walk(value, "ticket")
        return unset.subtracting(set)
    }

    static func foundation(_ value: some Encodable, dates: JSONOut.DateForm) throws -> String {
        let encoder: JSONEncoder
        switch dates {
        case .iso8601: encoder = .isoMilliseconds()
        case .millis:
            encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(date.millis)
            }
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func theFixtureSetsEveryOptional() {
        #expect(Self.nilPaths(Self.fullTicket()).isEmpty)
    }

    @Test(arguments: [JSONOut.DateForm.iso8601, .millis])
    func aTicketIsWrittenAsJSONEncoderWritesIt(dates: JSONOut.DateForm) throws {
        for ticket in [Self.fullTicket(), Self.fullTicket(text: ""), WorkflowTests.ticket(created: Self.at)] {
            #expect(JSONOut.text(ticket, dates: dates) == (try Self.foundation(ticket, dates: dates)))
        }
    }

    @Test func theOtherDocumentsAreWrittenAsJSONEncoderWritesThem() throws {
        let ticket = Self.fullTicket()
        let event = RecordedRuleEvent(
            seq: 9, tenantId: "t1", ticketId: ticket.ticketId, type: .statusChanged, details: ["from": "new", "to": Self.hostile],
            actor: "a1", ticket: ticket, packId: "p", packVersion: "2", applied: ["x", Self.hostile], at: Self.at)
        for dates in [JSONOut.DateForm.iso8601, .millis] {
            #expect(JSONOut.text(event, dates: dates) == (try Self.foundation(event, dates: dates)))
            #expect(JSONOut.text(LiveTicketSummary(ticket), dates: dates) == (try Self.foundation(LiveTicketSummary(ticket), dates: dates)))
        }
        // The live events' hand-written data (DocketWireFormat), as JSONEncoder writes the same fields.
        struct Fired: Encodable { var ticketId: String; var entry: RuleAuditEntry }
        struct Noted: Encodable { var ticketId: String; var note: Note }
        let wire = DocketWireFormat()
        let entry = try #require(ticket.ruleAudit?.first)
        let summary = LiveTicketSummary(ticket)
        let written = try Self.foundation(summary, dates: .iso8601)
        let data = wire.eventData(
            [.ruleFired(entry, ticketId: ticket.ticketId), .note(ticket.notes[0], ticketId: ticket.ticketId), .ticket,
             .agent(agentId: "a1", previousAgent: "a0")],
            about: summary)
        #expect(data[0] == (try Self.foundation(Fired(ticketId: ticket.ticketId, entry: entry), dates: .iso8601)))
        #expect(data[1] == (try Self.foundation(Noted(ticketId: ticket.ticketId, note: ticket.notes[0]), dates: .iso8601)))
        #expect(data[2] == #"{"ticket":"# + written + "}")
        #expect(data[3] == #"{"ticket":"# + written + #","agentId":"a1","previousAgent":"a0"}"#)
    }

    @Test func everyPayloadIsOneJSONObjectWithTheTicketWhereItCarriesIt() throws {
        let ticket = Self.fullTicket()
        let entry = try #require(ticket.ruleAudit?.first)
        let message = TicketMessage(
            tenantId: ticket.tenantId, ticketId: ticket.ticketId, seq: 1, id: "m1", senderId: "c1", senderType: .customer,
            senderName: nil, senderAvatar: nil, content: Self.hostile, type: .text, attachments: [], createdAt: Self.at)
        let payloads: [(LivePayload, carriesTicket: Bool)] = [
            (.ticket, true), (.agent(agentId: nil, reason: Self.hostile), true), (.sla(target: "firstResponse", dueAt: nil), true),
            (.message(message), true), (.note(ticket.notes[0], ticketId: ticket.ticketId), false),
            (.ruleFired(entry, ticketId: ticket.ticketId), false), (.ruleWebhook(rule: "r", endpoint: "wh1", event: "e"), true),
            (.notification(rule: "r", target: "customer", message: Self.hostile), true),
            (.read(reader: "staff", readerId: "a1", marked: 2, readAt: Self.at), true),
            (.typing(ticketId: ticket.ticketId, senderType: "staff", senderId: "a1"), false),
            (.packActivated(tenantId: "t1", packId: "p", version: "1.0.0"), false),
            (.webhookDisabled(webhookId: "wh1", url: "https://example.com/", reason: Self.hostile), false),
        ]
        let wire = DocketWireFormat()
        for about in [LiveTicketSummary(ticket), nil] {
            let data = wire.eventData(payloads.map(\.0), about: about)
            #expect(data.count == payloads.count)
            for (text, (payload, carriesTicket)) in zip(data, payloads) {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(payload)")
                #expect((object["ticket"] != nil) == (carriesTicket && about != nil), "\(payload)")
                if carriesTicket, about != nil { #expect(object["ticketId"] == nil || object["ticketId"] as? String == ticket.ticketId) }
            }
        }
    }

    @Test(arguments: [0.0, 1, -3.25, 0.1, 1e-7, 123_456_789.5, 1e15, 1e16, 1e21, -1e-300, Double.pi, 151.2093, 1800])
    func numbersAreWrittenAsJSONEncoderWritesThem(value: Double) throws {
        var clock = Self.clock(.nextReply)
        clock.consumedSeconds = value
        #expect(JSONOut.text(clock, dates: .iso8601) == (try Self.foundation(clock, dates: .iso8601)))
    }

    @Test func whatIsWrittenReadsBackTheSame() throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            Date(timeIntervalSince1970: Double(try decoder.singleValueContainer().decode(Int64.self)) / 1000)
        }
        let ticket = Self.fullTicket()
        let read = try decoder.decode(Ticket.self, from: Data(JSONOut.data(ticket, dates: .millis)))
        // Dates are kept to the millisecond.
        #expect(JSONOut.text(read, dates: .millis) == JSONOut.text(ticket, dates: .millis))
        #expect(read.fields == ticket.fields && read.description == Self.hostile)
    }
}
