import DocketWire
import Foundation
import Testing

@testable import DocketHTTP

/// The status and note bodies are read by hand (`JSONIn`) as Foundation reads them; what the hand
/// reader refuses is Foundation's to read or to refuse (see `JSONInTests` for the ticket body).
@Suite("Request bodies read by hand")
struct BodyReadingTests {
    static func both<T: JSONReadable & Decodable>(_ type: T.Type, _ text: String) -> (T?, T?) {
        (JSONIn.read(type, from: Array(text.utf8)), try? APICoding.decoder.decode(type, from: Data(text.utf8)))
    }

    @Test func statusAndNoteBodiesAreReadAsFoundationReadsThem() {
        for text in [#"{"status":"in_progress"}"#, #"{"reason":"esperando pieza \u00e9","status":"waiting"}"#, #"{"status":"open","reason":null,"x":[1]}"#] {
            let (mine, theirs) = Self.both(StatusRequest.self, text)
            #expect(mine != nil, "\(text)")
            #expect(mine?.status == theirs?.status && mine?.reason == theirs?.reason, "\(text)")
        }
        for text in [#"{"content":"Revisado en sitio","isInternal":true}"#, #"{"content":"<b>hola</b>\n","isInternal":null}"#, #"{"content":""}"#] {
            let (mine, theirs) = Self.both(NoteRequest.self, text)
            #expect(mine != nil, "\(text)")
            #expect(mine?.content == theirs?.content && mine?.isInternal == theirs?.isInternal, "\(text)")
        }
        for text in [#"{"reason":"x"}"#, #"{"status":1}"#, #"{"status":"a","status":"b"}"#, #"{"status":"a"} 1"#] {
            #expect(JSONIn.read(StatusRequest.self, from: Array(text.utf8)) == nil, "\(text)")
        }
        for text in [#"{"isInternal":true}"#, #"{"content":"a","isInternal":"yes"}"#, #"{"content":"a","isInternal":0}"#] {
            #expect(JSONIn.read(NoteRequest.self, from: Array(text.utf8)) == nil, "\(text)")
        }
    }
}
