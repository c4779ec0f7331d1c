import DocketCore
import DocketTestSupport
import Foundation
import NIOSSL
import Testing

@testable import DocketMail

/// Mail out: a message written with GMime reads back the same (through GMime and through
/// Python's `email`), and the submitter hands it to a real SMTP server (aiosmtpd) over
/// STARTTLS with AUTH, hears a refusal as one to try again or to give up on, and never sends a
/// password in the clear.
@Suite("Sending mail")
struct MailOutTests {
    static func reply(text: String = "Hola Ana:\n\nYa enviamos una cuadrilla.\n.\n..una línea con puntos\n", html: String? = "<p>Ya enviamos una cuadrilla.</p>") -> OutgoingMail {
        OutgoingMail(
            from: MailAddress(name: "Soporte LUXFREE — Điện", address: "soporte@luxfree.example"),
            to: MailAddress(name: "Ana Pérez", address: "ana@example.mx"), replyTo: "soporte+LUX-2026-000042@luxfree.example",
            subject: "Re: Corte de energía en la colonia [LUX-2026-000042]", messageId: "docket.LUX-2026-000042.7.abc@luxfree.example",
            inReplyTo: "m1@example.mx", references: ["m0@example.mx", "m1@example.mx"], date: Date(timeIntervalSince1970: 1_796_000_000),
            text: text, html: html, headers: [("X-Docket-Origin", "t"), ("X-Injected", "a\r\nBcc: victim@example.com")])
    }

    @Test func aComposedMailReadsBackTheSame() throws {
        let mail = Self.reply()
        let bytes = MIMEComposer.compose(mail)
        let raw = String(decoding: bytes, as: UTF8.self)
        #expect(raw.utf8.allSatisfy { $0 < 0x80 }, "7-bit on the wire")
        #expect(!raw.contains("\nBcc:"), "a header value cannot start a header")
        #expect(raw.contains("\r\n") && !raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF line ends only")
        let parsed = try MIMEParser.parse(bytes)
        #expect(parsed.subject == mail.subject)
        #expect(parsed.from == mail.from)
        #expect(parsed.to == [mail.to])
        #expect(parsed.replyTo.map(\.address) == ["soporte+LUX-2026-000042@luxfree.example"])
        #expect(parsed.messageId == mail.messageId)
        #expect(parsed.inReplyTo == ["m1@example.mx"])
        #expect(parsed.references == ["m0@example.mx", "m1@example.mx"])
        #expect(parsed.markers.docketOrigin == "t")
        #expect(parsed.text.trimmingCharacters(in: .whitespacesAndNewlines) == mail.text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(parsed.date == mail.date)
        // Text only: one text/plain part.
        let plain = try MIMEParser.parse(MIMEComposer.compose(Self.reply(html: nil)))
        #expect(plain.markers.contentType?.hasPrefix("text/plain") == true)
    }

    @Test func aRelayOverSTARTTLSWithALoginTakesTheMailAsWritten() async throws {
        let sink = try await SMTPSink(starttls: true, users: ["docket": "s3cret-clave"])
        defer { sink.stop() }
        let submitter = try Self.submitter(trusting: sink)
        let message = MIMEComposer.compose(Self.reply())
        try await submitter.send(
            message, from: "soporte@luxfree.example", to: ["ana@example.mx"],
            via: MailRelay(host: "localhost", port: sink.port, security: .starttls, username: "docket", password: "s3cret-clave"))
        let got = try await sink.wait(for: 1)
        #expect(got[0].mailFrom == "soporte@luxfree.example")
        #expect(got[0].recipients == ["ana@example.mx"])
        #expect(got[0].login == "docket")
        #expect(got[0].tls)
        // What arrived is what was written: the dot-stuffing undone by the server, line for line.
        #expect(got[0].text.replacingOccurrences(of: "\r\n", with: "\n") == String(decoding: message, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n"))
        let (json, output) = try await pythonEmail(got[0].message)
        let read = try #require(json, "python said: \(output)")
        #expect(read["subject"] as? String == "Re: Corte de energía en la colonia [LUX-2026-000042]")
        #expect(read["from"] as? String == "Soporte LUXFREE — Điện <soporte@luxfree.example>")
        #expect((read["text"] as? String)?.contains("..una línea con puntos") == true)
        #expect((read["types"] as? [String]) == ["multipart/alternative", "text/plain", "text/html"])
    }

    @Test func refusalsSayWhetherToTryAgain() async throws {
        let sink = try await SMTPSink(failFirst: 1, refuse: ["nadie@example.mx"])
        defer { sink.stop() }
        let submitter = SMTPSubmitter(hostname: "docket.test", timeout: .seconds(30))
        let relay = MailRelay(host: "127.0.0.1", port: sink.port, security: .none)
        let message = MIMEComposer.compose(Self.reply())
        let first = await Self.failure { try await submitter.send(message, from: "soporte@luxfree.example", to: ["ana@example.mx"], via: relay) }
        #expect(first?.code == 451)
        #expect(first?.permanent == false)
        try await submitter.send(message, from: "soporte@luxfree.example", to: ["ana@example.mx"], via: relay)
        let unknown = await Self.failure { try await submitter.send(message, from: "soporte@luxfree.example", to: ["nadie@example.mx"], via: relay) }
        #expect(unknown?.code == 550)
        #expect(unknown?.permanent == true)
        #expect(try await sink.wait(for: 1).count == 1)
        #expect(sink.refusals() == 1)
        // Nobody listening: try again later.
        let closed = await Self.failure { try await submitter.send(message, from: "a@b.example", to: ["c@d.example"], via: MailRelay(host: "127.0.0.1", port: 1, security: .none)) }
        #expect(closed?.permanent == false)
    }

    @Test func aPasswordNeverGoesInTheClearAndSTARTTLSIsNotSkipped() async throws {
        let plain = try await SMTPSink()
        defer { plain.stop() }
        let submitter = SMTPSubmitter(hostname: "docket.test", timeout: .seconds(30))
        let message = MIMEComposer.compose(Self.reply())
        // The relay offers no STARTTLS: asked for it, the submitter stops before MAIL.
        let noTLS = await Self.failure {
            try await submitter.send(message, from: "a@luxfree.example", to: ["b@example.mx"], via: MailRelay(host: "127.0.0.1", port: plain.port, security: .starttls))
        }
        #expect(noTLS?.permanent == true)
        #expect(noTLS?.reason.contains("STARTTLS") == true)
        #expect(plain.received().isEmpty)
        // A password on a plain connection goes only to this machine.
        #expect(TenantMail.isLoopback("127.0.0.1") && TenantMail.isLoopback("localhost") && !TenantMail.isLoopback("smtp.example.com"))
        let remote = await Self.failure {
            try await submitter.send(message, from: "a@luxfree.example", to: ["b@example.mx"],
                via: MailRelay(host: "192.0.2.1", port: 25, security: .none, username: "u", password: "p"))
        }
        #expect(remote?.permanent == true)
        #expect(remote?.reason.contains("only sent over TLS") == true)
        // A certificate nobody vouches for is refused.
        let tls = try await SMTPSink(starttls: true)
        defer { tls.stop() }
        let untrusted = await Self.failure {
            try await submitter.send(message, from: "a@luxfree.example", to: ["b@example.mx"], via: MailRelay(host: "localhost", port: tls.port, security: .starttls))
        }
        #expect(untrusted?.permanent == false)
        #expect(tls.received().isEmpty)
    }

    @Test func dotStuffingDoublesLeadingDotsAndEndsTheData() {
        let stuffed = String(decoding: SMTPSubmitter.dotStuffed(Array("a\r\n.b\n..c\r\nd".utf8)), as: UTF8.self)
        #expect(stuffed == "a\r\n..b\r\n...c\r\nd\r\n.\r\n")
    }

    static func submitter(trusting sink: SMTPSink) throws -> SMTPSubmitter {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(try #require(sink.certificate).utf8)))
        return SMTPSubmitter(hostname: "docket.test", timeout: .seconds(30), tls: tls)
    }

    static func failure(_ body: () async throws -> Void) async -> SubmissionFailure? {
        do {
            try await body()
            return nil
        } catch let failure as SubmissionFailure {
            return failure
        } catch {
            return SubmissionFailure(permanent: false, "\(error)")
        }
    }
}
