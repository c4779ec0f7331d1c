import Foundation
import Testing

@testable import DocketCore
import DocketWire

/// The hand-read request bodies (`JSONIn`) must be what `JSONDecoder` makes of the same bytes:
/// whenever `JSONIn` reads a body, Foundation reads it too, to an equal value; whatever `JSONIn`
/// refuses goes to Foundation, so a refusal only costs time. Each test below also checks that the
/// bodies clients really send are read here, so the fast path cannot quietly refuse everything.
@Suite("JSON read by hand") struct JSONInTests {
    static func fast<T: JSONReadable>(_ type: T.Type, _ text: String) -> T? { JSONIn.read(type, from: Array(text.utf8)) }
    static func fast<T: JSONReadable>(_ type: T.Type, _ bytes: [UInt8]) -> T? { JSONIn.read(type, from: bytes) }
    static func foundation<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? { try? JSONDecoder().decode(type, from: Data(bytes)) }

    /// The property: a body read by hand is read by Foundation to the same value.
    static func agrees<T: JSONReadable & Decodable & Equatable>(_ type: T.Type, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let mine = fast(type, bytes) else { return }
        let theirs = foundation(type, bytes)
        #expect(theirs == mine, "\(String(decoding: bytes, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    /// Bodies clients send: each must be read by hand, to Foundation's value.
    static let everyday: [String] = [
        #"{"subject":"Luminaria apagada en la calle 7","description":"La luminaria frente al número 7 no enciende desde anoche; el poste tiene el cable expuesto.","category":"light_malfunction","priority":"high","tags":["poste"]}"#,
        #"{"subject":"x","description":"y"}"#,
        #" { "description" : "y" , "subject" : "x" } "#,
        "{\n\t\"subject\": \"Đèn đường hỏng\",\r\n\"description\": \"Đèn trước nhà số 5 không sáng 🌃\"}",
        #"{"subject":"a \"quoted\" \\ back\/slash","description":"line\nbreak\ttab \u00e9 \u4e2d\u6587 \ud83c\udfab \u0000 \u001f","customerId":null,"priority":null}"#,
        #"{"subject":"s","description":"d","location":{"address":"Av. 5","description":null,"coordinates":{"latitude":19.4326,"longitude":-99.1332}},"fields":{"orderId":"A-1","promisedDate":"2026-12-09"},"attachments":[{"url":"https://x.test/a.png","type":"image/png"},{"url":"https://x.test/b"}],"source":"mobile_app","assignToSelf":false,"subcategory":"poste","conversationId":"c-1"}"#,
        #"{"subject":"s","description":"d","unknown":{"deep":[1,-2.5e3,true,false,null,"x",{"a":[]}]},"another":0}"#,
        #"{"subject":"s","description":"d","location":{"coordinates":{"latitude":0,"longitude":-0.0}},"tags":[],"fields":{}}"#,
        #"{"subject":"s","description":"d","location":{"coordinates":{"latitude":1E2,"longitude":1.7976931348623157e308}}}"#,
    ]

    @Test func theBodiesClientsSendAreReadByHandAsFoundationReadsThem() throws {
        for text in Self.everyday {
            let bytes = Array(text.utf8)
            let mine = try #require(Self.fast(NewTicket.self, bytes), "not read by hand: \(text)")
            let theirs = try #require(Self.foundation(NewTicket.self, bytes), "Foundation refused: \(text)")
            #expect(mine == theirs, "\(text)")
        }
        let hostile = TicketJSONTests.hostile
        let written = try JSONEncoder().encode(NewTicket(subject: hostile, description: hostile + hostile, tags: [hostile]))
        #expect(Self.fast(NewTicket.self, Array(written)) == NewTicket(subject: hostile, description: hostile + hostile, tags: [hostile]))
        let message = #"{"content":"hola \u00bfqu\u00e9 tal? <b>ok</b>","type":"text","attachments":["f1","f2"]}"#
        #expect(Self.fast(NewMessage.self, message) == Self.foundation(NewMessage.self, Array(message.utf8)))
        #expect(Self.fast(NewMessage.self, message) != nil)
    }

    /// Bodies Foundation refuses or reads differently: never read by hand (Foundation words the error).
    @Test func whatFoundationRefusesOrMightReadOtherwiseIsLeftToIt() {
        let refused: [String] = [
            "", " ", "null", "[]", #""x""#, "{", "{}", #"{"subject":"x"}"#, #"{"description":"y"}"#,
            #"{"subject":null,"description":"y"}"#, #"{"subject":1,"description":"y"}"#,
            #"{"subject":"x","description":"y"} x"#, #"{"subject":"x","description":"y"}{}"#,
            #"{"subject":"x","description":"y",}"#, #"{"subject":"x",,"description":"y"}"#, #"{'subject':"x","description":"y"}"#,
            #"{"subject":"x","subject":"z","description":"y"}"#, #"{"subj\u0065ct":"x","description":"y"}"#,
            #"{"subject":"x","description":"y","priority":"critical"}"#, #"{"subject":"x","description":"y","priority":"HIGH"}"#,
            #"{"subject":"x","description":"y","source":"fax"}"#, #"{"subject":"x","description":"y","assignToSelf":"true"}"#,
            #"{"subject":"x","description":"y","assignToSelf":1}"#, #"{"subject":"x","description":"y","tags":"a"}"#,
            #"{"subject":"x","description":"y","tags":["a",1]}"#, #"{"subject":"x","description":"y","tags":[null]}"#,
            #"{"subject":"x","description":"y","fields":{"a":1}}"#, #"{"subject":"x","description":"y","fields":{"a":"1","a":"2"}}"#,
            #"{"subject":"x","description":"y","location":{"coordinates":{"latitude":1}}}"#,
            #"{"subject":"x","description":"y","location":{"coordinates":{"latitude":1e400,"longitude":0}}}"#,
            #"{"subject":"x","description":"y","location":{"coordinates":{"latitude":01,"longitude":0}}}"#,
            #"{"subject":"x","description":"y","location":{"coordinates":{"latitude":1.,"longitude":0}}}"#,
            #"{"subject":"x","description":"y","location":{"coordinates":{"latitude":+1,"longitude":0}}}"#,
            #"{"subject":"x","description":"y","location":{"coordinates":{"latitude":NaN,"longitude":0}}}"#,
            #"{"subject":"x","description":"y","attachments":[{"type":"a"}]}"#,
            #"{"subject":"\ud800","description":"y"}"#, #"{"subject":"\udc00","description":"y"}"#,
            #"{"subject":"\ud800\u0041","description":"y"}"#, #"{"subject":"\x41","description":"y"}"#, #"{"subject":"\u12","description":"y"}"#,
            "{\"subject\":\"a\u{1}b\",\"description\":\"y\"}", "{\"subject\":\"a\nb\",\"description\":\"y\"}",
            "\u{FEFF}{\"subject\":\"x\",\"description\":\"y\"}", "{\"subject\":\"x\",\"description\":\"y\"}\u{0}",
            #"{"subject":"x","description":"y","extra":tru}"#, #"{"subject":"x","description":"y","extra":[1,]}"#,
            #"{"subject":"x","description":"y","extra":-}"#, #"{"subject":"x","description":"y","extra":"\q"}"#,
            #"{"subject":"x","description":"y","extra":"# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}",
            "/* c */{\"subject\":\"x\",\"description\":\"y\"}",
        ]
        for text in refused {
            #expect(Self.fast(NewTicket.self, text) == nil, "read by hand: \(text)")
            Self.agrees(NewTicket.self, Array(text.utf8))
        }
        // Invalid UTF-8, in a value and in an unknown key.
        for bytes in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]] as [[UInt8]] {
            let value = Array(#"{"subject":""#.utf8) + bytes + Array(#"","description":"y"}"#.utf8)
            let key = Array(#"{""#.utf8) + bytes + Array(#"":1,"subject":"x","description":"y"}"#.utf8)
            #expect(Self.fast(NewTicket.self, value) == nil)
            #expect(Self.fast(NewTicket.self, key) == nil)
            Self.agrees(NewTicket.self, value)
            Self.agrees(NewTicket.self, key)
        }
    }

    /// Random bodies — well-formed ones with random texts, and the everyday bodies with bytes
    /// changed, cut or added — all hold the property; the well-formed ones are all read by hand.
    @Test func randomBodiesAreReadAsFoundationReadsThemOrLeftToIt() throws {
        var random = SplitMix(seed: 33)
        let alphabet: [Unicode.Scalar] = Array("aé中🎫\"\\/ <>&'".unicodeScalars) + (0..<32).map { Unicode.Scalar(UInt8($0)) }
            + ["\u{7F}", "\u{2028}", "\u{FFFF}", "\u{10FFFF}", "\u{D7FF}", "\u{E000}"]
        func text() -> String {
            String(String.UnicodeScalarView((0..<random.below(12)).map { _ in alphabet[random.below(alphabet.count)] }))
        }
        var readByHand = 0
        for _ in 0..<2_000 {
            var ticket = NewTicket(subject: text(), description: text())
            if random.below(2) == 0 { ticket.tags = (0..<random.below(4)).map { _ in text() } }
            if random.below(2) == 0 { ticket.priority = Priority.allCases[random.below(Priority.allCases.count)] }
            if random.below(3) == 0 { ticket.fields = [text(): text(), "k": text()] }
            if random.below(3) == 0 {
                let degrees = { Double(Int(random.next() % 360_000_000)) / 1_000_000 - 180 }
                ticket.location = Location(address: text(), coordinates: Coordinates(latitude: degrees(), longitude: degrees()))
            }
            if random.below(3) == 0 { ticket.attachments = [NewAttachment(url: text(), type: random.below(2) == 0 ? nil : text())] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = random.below(2) == 0 ? [.prettyPrinted] : [.withoutEscapingSlashes]
            let bytes = Array(try encoder.encode(ticket))
            let mine = try #require(Self.fast(NewTicket.self, bytes), "not read by hand: \(String(decoding: bytes, as: UTF8.self))")
            #expect(mine == ticket)
            #expect(Self.foundation(NewTicket.self, bytes) == ticket)
            readByHand += 1
        }
        #expect(readByHand == 2_000)
        // Mutations: every result the hand reader gives is Foundation's.
        let noise: [UInt8] = Array(#"{}[]",:\ 0123456789-+.eEtrufalsn"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]
        var mutated = 0
        for round in 0..<20_000 {
            var bytes = Array(Self.everyday[round % Self.everyday.count].utf8)
            for _ in 0...random.below(3) {
                let at = random.below(bytes.count)
                switch random.below(3) {
                case 0: bytes[at] = noise[random.below(noise.count)]
                case 1: bytes.remove(at: at)
                default: bytes.insert(noise[random.below(noise.count)], at: at)
                }
            }
            if Self.fast(NewTicket.self, bytes) != nil { mutated += 1 }
            Self.agrees(NewTicket.self, bytes)
        }
        // Some mutations leave a valid body (a changed letter in a text): those are read by hand too.
        #expect(mutated > 1_000)
    }

    /// A body nested deeper than the reader goes is Foundation's to read or refuse.
    @Test func deepNestingIsLeftToFoundation() {
        let deep = #"{"subject":"x","description":"y","extra":"# + String(repeating: #"{"a":"#, count: 100) + "1" + String(repeating: "}", count: 100) + "}"
        #expect(Self.fast(NewTicket.self, deep) == nil)
        #expect(Self.foundation(NewTicket.self, Array(deep.utf8)) != nil)
        let shallow = #"{"subject":"x","description":"y","extra":"# + String(repeating: #"{"a":"#, count: 20) + "1" + String(repeating: "}", count: 20) + "}"
        #expect(Self.fast(NewTicket.self, shallow) != nil)
        Self.agrees(NewTicket.self, Array(shallow.utf8))
    }
}
