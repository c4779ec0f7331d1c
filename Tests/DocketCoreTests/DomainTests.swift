import Foundation
import Testing

@testable import DocketCore
import DocketWire

@Suite("Ticket ID format")
struct TicketIDFormatTests {
    @Test func formatsWithYearAndPadding() {
        let format = TicketIDFormat(prefix: "LUX", separator: "-", includeYear: true, padLength: 6, resetYearly: true)
        #expect(format.format(number: 1, year: 2026) == "LUX-2026-000001")
        #expect(format.format(number: 1_234_567, year: 2026) == "LUX-2026-1234567")
        #expect(format.counterYear(for: 2026) == 2026)
    }

    @Test func formatsWithoutYear() {
        let format = TicketIDFormat(prefix: "RPT", separator: "-", includeYear: false, padLength: 4, resetYearly: false)
        #expect(format.format(number: 2, year: 2026) == "RPT-0002")
        #expect(format.counterYear(for: 2026) == 0)
    }

    @Test func rejectsBadFormats() {
        let bad = TicketIDFormat(prefix: "L X", separator: "**", includeYear: true, padLength: 0, resetYearly: true)
        let fields = Set(bad.problems(fieldPrefix: "").map(\.field))
        #expect(fields == ["prefix", "separator", "padLength"])
    }
}

@Suite("Durations")
struct DurationTextTests {
    @Test(arguments: [("15m", 900), ("4h", 14_400), ("72h", 259_200), ("7d", 604_800), ("1h30m", 5_400), ("90s", 90)])
    func parses(text: String, seconds: Int) {
        #expect(DurationText.parse(text) == seconds)
        #expect(DurationText.parse(DurationText.format(seconds)) == seconds)
    }

    @Test(arguments: ["", "15", "m", "4x", "-1h", "0m"])
    func rejects(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}

/// `Whitespace` and `trimmingWhitespace` answer what Foundation's character sets do, on every
/// scalar of the Basic Multilingual Plane (all of Unicode's white space is there) and a sample
/// of the others, alone and around text.
@Suite("White space")
struct WhitespaceTests {
    @Test func everyScalarIsWhiteSpaceExactlyWhenFoundationSaysSo() {
        var checked = 0
        var value: UInt32 = 0
        while value <= 0x10FFFF {
            defer { value += value < 0x10000 ? 1 : 97 }
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(Character(scalar))
            for (newlines, set) in [(false, CharacterSet.whitespaces), (true, CharacterSet.whitespacesAndNewlines)] {
                let foundation = set.contains(scalar)
                if Whitespace.contains(scalar, newlines: newlines) != foundation {
                    Issue.record("U+\(String(value, radix: 16)) newlines: \(newlines): Foundation says \(foundation)")
                }
                let wrapped = text + "x" + text
                #expect(wrapped.trimmingWhitespace(newlines: newlines) == wrapped.trimmingCharacters(in: set))
            }
            checked += 1
        }
        #expect(checked > 60_000)
    }

    @Test func textIsTrimmedAsFoundationTrimsIt() {
        for text in ["", " ", "\t\n", "  Poste caído \u{3000}", "\u{2028}línea\u{2029}", "\u{85}a b\u{A0}", " \u{301}e ", "👩‍👩‍👧 ", "x"] {
            #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces))
            #expect(text.trimmingWhitespace(newlines: true) == text.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(text[...].trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces))
        }
    }
}

@Suite("Text folding")
struct TextFoldingTests {
    @Test func foldsSpanishAccentsAndCase() {
        #expect(TextFolding.fold("Instalación ELÉCTRICA") == "instalacion electrica")
        #expect(TextFolding.terms("¿Dónde está mi reporte LUX-2026-000001?") == ["donde", "esta", "mi", "reporte", "lux", "2026", "000001"])
    }

    @Test func foldsVietnamese() {
        #expect(TextFolding.fold("Đơn hỗ trợ") == "don ho tro")
        #expect(TextFolding.fold("giao hàng chậm") == "giao hang cham")
    }

    /// The letter-by-letter path for Latin text gives exactly what Foundation's whole-text
    /// folding and Character splitting give: stored search terms and queries stay comparable.
    @Test func theLatinTableFoldsAndSplitsAsFoundationDoes() {
        for value in TextFolding.LatinTable.scalars {
            let text = "a" + String(Unicode.Scalar(value)!) + "Z"
            #expect(TextFolding.fold(text) == TextFolding.foundationFold(text), "U+\(String(value, radix: 16))")
            #expect(TextFolding.words(ofFolded: text) == TextFolding.characterWords(text), "U+\(String(value, radix: 16))")
        }
        var random = SystemRandomNumberGenerator()
        let pools: [ClosedRange<UInt32>] = [0x20...0x7E, 0x0A...0x0D, 0xA0...0xFF, 0x100...0x17F, 0x180...0x24F, 0x41...0x5A, 0x1E00...0x1EFF]
        for _ in 0..<5_000 {
            let scalars = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                Unicode.Scalar(UInt32.random(in: pools.randomElement(using: &random)!, using: &random))!
            }
            let text = String(String.UnicodeScalarView(scalars))
            let folded = TextFolding.fold(text)
            #expect(folded == TextFolding.foundationFold(text), "\(scalars.map { String($0.value, radix: 16) })")
            #expect(TextFolding.words(ofFolded: folded) == TextFolding.characterWords(folded))
            #expect(TextFolding.words(ofFolded: text) == TextFolding.characterWords(text))
        }
        // Outside the table: the general path.
        #expect(TextFolding.terms("Ελληνικά ΣΟΦΟΣ 中文 e\u{301}te") == TextFolding.characterWords(TextFolding.foundationFold("Ελληνικά ΣΟΦΟΣ 中文 e\u{301}te")).map(String.init))
    }
}

@Suite("Input checks")
struct CheckTests {
    @Test func normalisesPhoneNumbers() throws {
        #expect(try Check.phone("+52 55 1234-5678") == "+525512345678")
        #expect(try Check.phone("(55) 1234 5678") == "5512345678")
        #expect(throws: DocketError.self) { try Check.phone("call me") }
        #expect(throws: DocketError.self) { try Check.phone("12") }
    }

    @Test func limitsSubjectLength() throws {
        #expect(try Check.text(String(repeating: "a", count: 200), field: "subject", max: 200).count == 200)
        let error = #expect(throws: DocketError.self) { try Check.text(String(repeating: "a", count: 201), field: "subject", max: 200) }
        #expect(error?.field == "subject")
        #expect(error?.code == .validation)
    }

    @Test func normalisesTags() throws {
        #expect(try Check.tags([" Urgente", "urgente", "poste"]) == ["urgente", "poste"])
        #expect(throws: DocketError.self) { try Check.tags(Array(repeating: "x", count: 21)) }
    }

    @Test func acceptsOnlyWebAttachments() throws {
        let at = Date(timeIntervalSince1970: 0)
        #expect(try Check.attachments([NewAttachment(url: "https://cdn.example.com/a.jpg", type: "image")], by: "a", at: at).count == 1)
        #expect(throws: DocketError.self) { try Check.attachments([NewAttachment(url: "javascript:alert(1)")], by: "a", at: at) }
    }
}

@Suite("Workflow transitions")
struct WorkflowTests {
    static let workflow = Workflow(
        initial: "new", onAssign: "open", firstResponse: "in_progress", resolved: "resolved", closed: "closed",
        statuses: [
            StatusDefinition(id: "new", label: "Nuevo", labelEn: nil, transitions: ["open", "closed"], onCustomerReply: nil),
            StatusDefinition(id: "open", label: "Abierto", labelEn: nil, transitions: ["in_progress", "resolved"], onCustomerReply: nil),
            StatusDefinition(id: "in_progress", label: "En progreso", labelEn: nil, transitions: ["resolved"], onCustomerReply: nil),
            StatusDefinition(id: "resolved", label: "Resuelto", labelEn: nil, transitions: ["closed", "open"], onCustomerReply: "open"),
            StatusDefinition(id: "closed", label: "Cerrado", labelEn: nil, transitions: [], onCustomerReply: nil),
        ])

    static func ticket(created: Date) -> Ticket {
        Ticket(
            tenantId: "t", ticketId: "LUX-2026-000001", number: 1, numberingYear: 2026, subject: "s", description: "d",
            category: "other", subcategory: nil, priority: .urgent, status: "new", statusHistory: [], customerId: "c",
            conversationId: nil, assignedAgent: nil, assignedAt: nil, location: nil,
            sla: TicketSLA(targets: SLATarget(firstResponseSeconds: 900, resolutionSeconds: 14_400), createdAt: created),
            resolution: nil, customerFeedback: nil, notes: [], tags: [], escalation: nil, attachments: [], source: .web,
            createdAt: created, updatedAt: created, closedAt: nil, version: 1)
    }

    @Test func followsAllowedTransitionsAndRecordsSLA() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var ticket = Self.ticket(created: start)
        try TicketService.transition(&ticket, to: "open", by: "ana", reason: nil, workflow: Self.workflow, now: start + 60)
        try TicketService.transition(&ticket, to: "in_progress", by: "ana", reason: "working", workflow: Self.workflow, now: start + 600)
        #expect(ticket.sla.firstResponseAt == start + 600)
        #expect(ticket.sla.firstResponseMet == true)
        try TicketService.transition(&ticket, to: "resolved", by: "ana", reason: nil, workflow: Self.workflow, now: start + 20_000)
        #expect(ticket.resolution?.resolvedBy == "ana")
        #expect(ticket.sla.resolutionMet == false)
        try TicketService.transition(&ticket, to: "closed", by: "ana", reason: nil, workflow: Self.workflow, now: start + 30_000)
        #expect(ticket.closedAt == start + 30_000)
        #expect(ticket.statusHistory.map(\.to) == ["open", "in_progress", "resolved", "closed"])
        #expect(ticket.statusHistory[1].reason == "working")
    }

    @Test func rejectsTransitionsOutsideTheWorkflow() {
        var ticket = Self.ticket(created: Date())
        let error = #expect(throws: DocketError.self) {
            try TicketService.transition(&ticket, to: "resolved", by: "ana", reason: nil, workflow: Self.workflow, now: Date())
        }
        #expect(error?.code == .invalidTransition)
        #expect(error?.details["allowed"] == ["open", "closed"])
        #expect(ticket.status == "new")
        let unknown = #expect(throws: DocketError.self) {
            try TicketService.transition(&ticket, to: "limbo", by: "ana", reason: nil, workflow: Self.workflow, now: Date())
        }
        #expect(unknown?.code == .validation)
    }

    @Test func reopeningClearsTheResolution() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var ticket = Self.ticket(created: start)
        for status in ["open", "resolved", "open"] {
            try TicketService.transition(&ticket, to: status, by: "ana", reason: nil, workflow: Self.workflow, now: start + 60)
        }
        #expect(ticket.resolution == nil)
        #expect(ticket.sla.resolutionMet == nil)
    }

    @Test func customersNeverSeeInternalNotes() {
        var ticket = Self.ticket(created: Date())
        ticket.notes = [
            Note(id: "1", authorId: "ana", authorRole: .agent, content: "internal", isInternal: true, timestamp: Date()),
            Note(id: "2", authorId: "ana", authorRole: .agent, content: "public", isInternal: false, timestamp: Date()),
        ]
        #expect(ticket.visible(to: Principal(tenantId: "t", role: .customer, subject: "c")).notes.map(\.content) == ["public"])
        #expect(ticket.visible(to: Principal(tenantId: "t", role: .agent, subject: "ana")).notes.count == 2)
    }
}

@Suite("Civil time")
struct CivilTimeTests {
    @Test func matchesFoundationAcrossZonesAndDates() throws {
        let zones = ["UTC", "America/Mexico_City", "Asia/Ho_Chi_Minh", "Europe/Madrid", "America/New_York"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator)) / 1.0 + 0.25)
            for name in zones {
                let zone = try #require(TimeZones.named(name))
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = zone
                let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
                let civil = CivilTime(date, timeZone: zone)
                #expect([civil.year, civil.month, civil.day, civil.hour, civil.minute, civil.second]
                    == [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second].map { $0 ?? -1 })
                #expect(civil.weekday == ((parts.weekday ?? 1) + 5) % 7 + 1)
            }
        }
    }

    @Test func formatsISO8601() throws {
        #expect(CivilTime.iso8601(Date(timeIntervalSince1970: 1_795_017_600.123)) == "2026-11-18T16:00:00.123Z")
        #expect(CivilTime.iso8601(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59.000Z")
        // The API's dates (APICoding and EventJSON) are written with it: for millisecond instants from 1970
        // to 2100, Foundation's parser reads back the same millisecond, and the text agrees with
        // Foundation's own to the second. (Foundation's formatter can write an instant stored as
        // ...554 ms as .553: it works on the binary fraction.)
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var seed: Int64 = 0
        for step in 0..<2_000 {
            seed = (seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407) & 0x7FFF_FFFF_FFFF
            let millis = Int64(step) * 1_000 + seed % 4_102_444_800_000
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            let text = CivilTime.iso8601(date)
            #expect(Int64((try style.parse(text).timeIntervalSince1970 * 1000).rounded()) == millis, "\(text)")
            #expect(text.prefix(19) == date.formatted(style).prefix(19))
        }
    }
}

@Suite("Text folding fast path")
struct TextFoldingFastPathTests {
    @Test(arguments: ["Luminaria APAGADA en la Calle 5", "ok", "", "Tab\tand\nnewline ~!@#$%^&*()_+{}|:\"<>?", "ZzAa09"])
    func asciiFoldsLikeFoundation(text: String) {
        let foundation = text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil).lowercased()
        #expect(TextFolding.fold(text) == foundation)
    }
}
