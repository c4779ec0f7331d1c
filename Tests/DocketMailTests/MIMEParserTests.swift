import DocketCore
@testable import DocketMail
import Foundation
import Testing

/// Real-world mails (written by Python's `email` package, `Corpus/make_corpus.py`) and hostile
/// ones (made here) through GMime: what a person wrote comes out as text in UTF-8, with its
/// threading headers and files; what breaks a limit is refused with the limit it broke.
@Suite("MIME through GMime")
struct MIMEParserTests {
    static func corpus(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "eml", subdirectory: "Corpus"))
        return Array(try Data(contentsOf: url))
    }

    static func parse(_ name: String) throws -> InboundMail {
        try MIMEParser.parse(try corpus(name))
    }

    @Test func spanishInLatin1QuotedPrintableComesOutAsUTF8() throws {
        let mail = try Self.parse("spanish-latin1-qp")
        #expect(mail.subject == "Corte de energía en Niños Héroes")
        #expect(mail.from == MailAddress(name: "José Núñez", address: "jose.nunez@example.mx"))
        #expect(mail.from?.key == "jose.nunez@example.mx")
        #expect(mail.to.map(\.address) == ["soporte@luxfree.example"])
        #expect(mail.messageId == "CAF1234.abc@mail.example.mx")
        #expect(mail.text == "Buenos días:\n\nLa luz se cortó en la colonia Niños Héroes desde ayer.\n¿Cuándo vuelve?\n\nJosé Núñez")
        #expect(mail.date == Date(timeIntervalSince1970: 1_796_656_500))
        #expect(AutomaticMail.reason(mail, envelopeSender: "jose.nunez@example.mx") == nil)
    }

    @Test func vietnameseInWindows1258ComesOutAsUTF8WithItsThreadingHeaders() throws {
        let mail = try Self.parse("vietnamese-cp1258-base64")
        #expect(mail.subject == "RE: Đơn hàng #1042")
        #expect(mail.from?.name == "Trần Thị Huệ")
        #expect(mail.to == [MailAddress(name: "Hỗ trợ", address: "hotro@shop.example.vn")])
        // Windows-1258 writes tone marks apart; Swift compares text by canonical equivalence.
        #expect(mail.text == "Chào anh chị,\n\nĐơn hàng của tôi chưa được giao. Xin kiểm tra giúp.\n\nTrần Thị Huệ")
        #expect(mail.inReplyTo == ["docket.t-abc123.1@shop.example.vn"])
        #expect(mail.references == ["first@example.vn", "docket.t-abc123.1@shop.example.vn"])
    }

    @Test func theAlternativeInPlainTextIsTakenOverTheHTML() throws {
        let mail = try Self.parse("gmail-alternative-utf8")
        #expect(mail.textFromHTML == false)
        #expect(mail.text.hasPrefix("Chào anh chị,"))
        #expect(!mail.text.contains("<"))
        #expect(mail.attachments.isEmpty)
    }

    @Test func anHTMLOnlyMailBecomesTextThatHoldsNoMarkup() throws {
        let mail = try Self.parse("html-only-form")
        #expect(mail.textFromHTML)
        #expect(mail.text == """
            Hola & buenas,

            El medidor marca “E-7” desde el lunes.

            • Cuenta 4411
            • Colonia Centro

            Foto: aquí <https://fotos.example/m.jpg> [medidor]

            <script>no es código</script>
            """)
        #expect(!mail.text.contains("alert"), "a script's content is not text")
        #expect(!mail.text.contains("color:red"), "a style's content is not text")
        #expect(!mail.text.contains("oculto"), "a comment is not text")
        #expect(mail.replyTo == [MailAddress(name: "Ana Pérez", address: "ana.perez@example.mx")])
    }

    @Test func inlineImagesAndAttachmentsAreKeptWithTheirNames() throws {
        let mail = try Self.parse("apple-inline-and-attachment")
        #expect(mail.text == "Adjunto la factura y una foto del medidor.")
        #expect(mail.attachments.count == 2)
        let image = try #require(mail.attachments.first)
        #expect(image.contentType == "image/png")
        #expect(image.filename == "medidor.png")
        #expect(image.contentId == "foto1@apple.example")
        #expect(image.data == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(0...255) + Array(0...255) + Array(0...255) + Array(0...255))
        let pdf = try #require(mail.attachments.last)
        #expect(pdf.contentType == "application/pdf")
        #expect(pdf.filename == "factura de energía.pdf")
        #expect(pdf.data.count == 9 + 3000)
        #expect(pdf.truncated == false)
    }

    @Test func aForwardedMailsTextFollowsTheForwardersNote() throws {
        let mail = try Self.parse("forwarded")
        #expect(mail.text == "Te reenvío lo que me escribió el cliente.\n\nEl pago no se reflejó.")
        #expect(mail.subject == "Fwd: Pago")
    }

    @Test func outOfOfficeRepliesAndBouncesAreAutomatic() throws {
        let away = try Self.parse("out-of-office")
        #expect(AutomaticMail.reason(away, envelopeSender: "jose.nunez@example.mx") == "Auto-Submitted: auto-replied")
        let bounce = try Self.parse("bounce")
        #expect(AutomaticMail.reason(bounce, envelopeSender: "") == "a delivery or read report (multipart/report)")
        var plain = try Self.parse("spanish-latin1-qp")
        #expect(AutomaticMail.reason(plain, envelopeSender: "") == "the null sender (a bounce or an auto-reply)")
        plain.markers.precedence = "bulk"
        #expect(AutomaticMail.reason(plain, envelopeSender: "x@example.mx") == "Precedence: bulk")
        plain.markers.precedence = nil
        plain.markers.listId = "<clientes.luxfree.example>"
        #expect(AutomaticMail.reason(plain, envelopeSender: "x@example.mx") == "List-Id: it came through a mailing list")
        plain.markers.listId = nil
        plain.markers.docketOrigin = "luxfree"
        #expect(AutomaticMail.reason(plain, envelopeSender: "x@example.mx") == "it is a mail Docket sent (X-Docket-Origin) coming back")
        plain.markers.docketOrigin = nil
        plain.markers.autoSubmitted = "no"
        #expect(AutomaticMail.reason(plain, envelopeSender: "x@example.mx") == nil, "Auto-Submitted: no is a person's mail")
        plain.from = MailAddress(address: "MAILER-DAEMON@mx.example.mx")
        #expect(AutomaticMail.reason(plain, envelopeSender: "x@example.mx") == "sent from MAILER-DAEMON@mx.example.mx, a machine's address")
    }

    @Test func aFromHeaderWrittenAsOneEncodedWordStillNamesItsSender() throws {
        // Python's email package (and some webmail) writes a non-ASCII From whole as one word.
        let mail = try MIMEParser.parse(Array(
            "From: =?utf-8?b?Sm9zw6kgTsO6w7FleiA8am9zZS5udW5lekBleGFtcGxlLm14Pg==?=\r\nTo: soporte@luxfree.example\r\nSubject: x\r\n\r\nhola\r\n".utf8))
        #expect(mail.from == MailAddress(name: "José Núñez", address: "jose.nunez@example.mx"))
        #expect(MIMEParser.addressInText("jose@example.mx, otro@example.mx") == MailAddress(address: "jose@example.mx"))
        #expect(MIMEParser.addressInText("sin dirección") == nil)
    }

    // MARK: hostile mail

    static func message(headers: String = "", contentType: String, body: String) -> [UInt8] {
        Array("From: a@example.mx\r\nTo: soporte@luxfree.example\r\nSubject: x\r\n\(headers)MIME-Version: 1.0\r\nContent-Type: \(contentType)\r\n\r\n\(body)".utf8)
    }

    @Test func tenThousandPartsAreRefusedBeforeGMimeReadsThem() throws {
        var body = ""
        for index in 0..<10_000 { body += "--b\r\nContent-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=\"n\(index)\"\r\n\r\nx\r\n" }
        body += "--b--\r\n"
        let bytes = Self.message(contentType: "multipart/mixed; boundary=\"b\"", body: body)
        #expect(throws: MailRejection(kind: .tooManyParts, reason: "the mail has more than 500 parts")) { try MIMEParser.parse(bytes) }
        // Siblings only (no boundary declared per part): GMime parses them, the walk counts them.
        var siblings = ""
        for _ in 0..<1_000 { siblings += "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" }
        siblings += "--b--\r\n"
        #expect(throws: MailRejection(kind: .tooManyParts, reason: "the mail has more than 500 parts")) {
            try MIMEParser.parse(Self.message(contentType: "multipart/mixed; boundary=\"b\"", body: siblings))
        }
    }

    @Test func tenThousandNestedMultipartsAreRefusedWithoutDescendingIntoThem() throws {
        var body = ""
        for level in 0..<10_000 { body += "--l\(level)\r\nContent-Type: multipart/mixed; boundary=\"l\(level + 1)\"\r\n\r\n" }
        body += "--l10000\r\nContent-Type: text/plain\r\n\r\nfondo\r\n"
        #expect(throws: MailRejection.self) { try MIMEParser.parse(Self.message(contentType: "multipart/mixed; boundary=\"l0\"", body: body)) }
        // Within the parts limit but deeper than the depth limit: parsed, then refused by the walk.
        var deep = ""
        for level in 0..<40 { deep += "--l\(level)\r\nContent-Type: multipart/mixed; boundary=\"l\(level + 1)\"\r\n\r\n" }
        deep += "--l40\r\nContent-Type: text/plain\r\n\r\nfondo\r\n"
        #expect(throws: MailRejection(kind: .tooDeep, reason: "the mail nests parts more than 16 deep")) {
            try MIMEParser.parse(Self.message(contentType: "multipart/mixed; boundary=\"l0\"", body: deep))
        }
    }

    @Test func aFiftyMegabyteHeaderIsRefusedBeforeParsing() throws {
        let header = "X-Filler: " + String(repeating: "a", count: 998) + "\r\n"
        var big = "From: a@example.mx\r\nSubject: x\r\n"
        big.reserveCapacity(50 << 20)
        var limits = MailLimits()
        limits.maxBytes = 64 << 20
        while big.utf8.count < 50 << 20 { big += header }
        let bytes = Array((big + "\r\nhola\r\n").utf8)
        #expect(throws: MailRejection(kind: .headerTooLarge, reason: "the header section is over 262144 bytes")) { try MIMEParser.parse(bytes, limits: limits) }
        #expect(throws: MailRejection(kind: .tooLarge, reason: "the mail is \(bytes.count) bytes; at most 26214400 are taken")) { try MIMEParser.parse(bytes) }
    }

    @Test func brokenMIMEStillYieldsWhatCanBeRead() throws {
        // No closing boundary, a part without a blank line, an unknown charset, bad base64.
        let body = "--b\r\nContent-Type: text/plain; charset=\"x-no-such-charset\"\r\n\r\nSe fue la luz\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n"
        let mail = try MIMEParser.parse(Self.message(contentType: "multipart/mixed; boundary=\"b\"", body: body))
        #expect(mail.text == "Se fue la luz")
        #expect(mail.attachments.count == 1)
        // Not a message at all: refused with the reason, for the quarantine.
        #expect(throws: MailRejection(kind: .malformed, reason: "the bytes are not a MIME message")) {
            try MIMEParser.parse(Array(repeating: 0xFF, count: 4096))
        }
    }

    @Test func billionLaughsHTMLDoesNotExpand() throws {
        // An entity-expansion bomb in an HTML part: no document type is read, so nothing expands.
        var html = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        for level in 1...9 { html += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">" }
        html += "]><p>&lol9;</p>"
        let mail = try MIMEParser.parse(Self.message(contentType: "text/html; charset=utf-8", body: html))
        #expect(mail.text.utf8.count <= html.utf8.count)
        #expect(mail.text.contains("&lol9;"), "an unknown reference stays as written, as text")
    }

    @Test func aLongBodyIsCutAtTheTextLimitOnACharactersBoundary() throws {
        var limits = MailLimits()
        limits.maxTextBytes = 1001
        let body = String(repeating: "ñ", count: 1000)  // two bytes each
        let mail = try MIMEParser.parse(Self.message(contentType: "text/plain; charset=utf-8", body: body), limits: limits)
        #expect(mail.textTruncated)
        #expect(mail.text == String(repeating: "ñ", count: 500))
    }

    @Test func tooManyFilesAreRefused() throws {
        var body = ""
        for index in 0..<51 { body += "--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"f\(index).png\"\r\n\r\nx\r\n" }
        body += "--b--\r\n"
        #expect(throws: MailRejection(kind: .tooManyAttachments, reason: "the mail carries more than 50 files")) {
            try MIMEParser.parse(Self.message(contentType: "multipart/mixed; boundary=\"b\"", body: body))
        }
    }
}
