import DocketCore
import DocketTestSupport
import Foundation
import Testing

@testable import DocketMail

/// DKIM: what `DKIMSigner` signs, an independent verifier (Python's dkimpy) finds valid with the
/// DNS record Docket shows; a changed body or header breaks it; keys given by an admin are read,
/// and what is not an RSA key of a usable size is refused.
@Suite("DKIM signatures")
struct DKIMTests {
    static func key(domain: String = "luxfree.example", selector: String = "docket2026", pem: String? = nil) throws -> DKIMKey {
        let signer = DKIMSigner()
        let privateKey = try pem ?? DKIMSigner.newPrivateKey()
        return DKIMKey(domain: domain, selector: selector, privateKey: privateKey, publicKey: try signer.publicKey(of: privateKey)).shown.with(privateKey)
    }

    @Test func aSignedMailIsValidForAnIndependentVerifierAndAChangeBreaksIt() async throws {
        let key = try Self.key()
        let record = try #require(key.dnsRecord)
        #expect(key.dnsName == "docket2026._domainkey.luxfree.example")
        #expect(record.hasPrefix("v=DKIM1; k=rsa; p=MII"))
        // Long folded headers, words in other scripts, trailing blanks and blank lines at the end
        // of the body: what relaxed canonicalization is for.
        var mail = MailOutTests.reply(text: "Hola Ana:   \n\nYa enviamos\tuna cuadrilla.  \n\n\n\n")
        mail.subject = "Re: Corte de energía en la colonia Centro — Điện lực bị cắt từ hôm qua, một tiêu đề dài để gấp dòng [LUX-2026-000042]"
        mail.headers.append(("Auto-Submitted", "auto-replied"))
        let signed = try DKIMSigner.sign(MIMEComposer.compose(mail), with: key)
        let text = String(decoding: signed, as: UTF8.self)
        #expect(text.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=luxfree.example; s=docket2026;"))
        let check = try await DKIMCheck.verify(signed, dnsName: "docket2026._domainkey.luxfree.example", record: record)
        #expect(check.valid, "\(check.output)")

        let bodyChanged = Array(text.replacingOccurrences(of: "cuadrilla", with: "cuadrillo").utf8)
        #expect(bodyChanged != signed)
        #expect(try await DKIMCheck.verify(bodyChanged, dnsName: "docket2026._domainkey.luxfree.example", record: record).valid == false)
        let toChanged = Array(text.replacingOccurrences(of: "ana@example.mx", with: "eve@example.mx").utf8)
        #expect(try await DKIMCheck.verify(toChanged, dnsName: "docket2026._domainkey.luxfree.example", record: record).valid == false)
        // A second From added on the way breaks it too (From is signed once more than it appears).
        let added = Array(("From: Mallory <mallory@example.com>\r\n" + text).utf8)
        #expect(try await DKIMCheck.verify(added, dnsName: "docket2026._domainkey.luxfree.example", record: record).valid == false)
        // Another key under the same name: not valid.
        let other = try Self.key()
        #expect(try await DKIMCheck.verify(signed, dnsName: "docket2026._domainkey.luxfree.example", record: try #require(other.dnsRecord)).valid == false)
    }

    @Test func anEmptyBodyAndAReWrappedOneStillVerify() async throws {
        let key = try Self.key(selector: "s1")
        var mail = MailOutTests.reply(text: "", html: nil)
        mail.headers = []
        let signed = try DKIMSigner.sign(MIMEComposer.compose(mail), with: key)
        #expect(try await DKIMCheck.verify(signed, dnsName: "s1._domainkey.luxfree.example", record: try #require(key.dnsRecord)).valid)
        // A relay that turns a body's blanks into tabs and adds blank lines at its end: relaxed
        // canonicalization still matches.
        let full = try DKIMSigner.sign(MIMEComposer.compose(MailOutTests.reply(html: nil)), with: key)
        var text = String(decoding: full, as: UTF8.self)
        let bodyStart = try #require(text.range(of: "\r\n\r\n")).upperBound
        text = String(text[..<bodyStart]) + text[bodyStart...].replacingOccurrences(of: " ", with: " \t ") + "\r\n\r\n"
        #expect(try await DKIMCheck.verify(Array(text.utf8), dnsName: "s1._domainkey.luxfree.example", record: try #require(key.dnsRecord)).valid)
    }

    @Test func keysAnAdminGivesAreReadAndWhatIsNotAnRSAKeyIsRefused() async throws {
        let folder = try Scratch.directory("dkim-keys")
        func openssl(_ arguments: [String]) async throws -> String {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            let out = folder.appendingPathComponent(UUID().uuidString + ".pem")
            process.arguments = arguments + ["-out", out.path]
            process.discardsOutput = true
            try process.run()
            await process.exited()
            #expect(process.terminationStatus == 0)
            return try String(contentsOf: out, encoding: .utf8)
        }
        let rsa1024 = try await openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"])
        let key = try Self.key(selector: "old", pem: rsa1024)
        let signed = try DKIMSigner.sign(MIMEComposer.compose(MailOutTests.reply()), with: key)
        #expect(try await DKIMCheck.verify(signed, dnsName: "old._domainkey.luxfree.example", record: try #require(key.dnsRecord)).valid)
        let ec = try await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        #expect(throws: (any Error).self) { try DKIMSigner().publicKey(of: ec) }
        let small = try await openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:512"])
        #expect(throws: (any Error).self) { try DKIMSigner().publicKey(of: small) }
        #expect(throws: (any Error).self) { try DKIMSigner().publicKey(of: "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n") }
    }

    @Test func canonicalizationFollowsTheRFCsExamples() {
        // RFC 6376 3.4.5.
        #expect(DKIMSigner.canonicalHeader("A", " X") == "a:X")
        #expect(DKIMSigner.canonicalHeader("B ", " Y\t\r\n\tZ  ") == "b:Y Z")
        #expect(DKIMSigner.canonicalBody(ArraySlice(Array(" C \r\nD \t E\r\n\r\n\r\n".utf8))) == Array(" C\r\nD E\r\n".utf8))
        #expect(DKIMSigner.canonicalBody([]) == [])
        #expect(DKIMSigner.canonicalBody(ArraySlice(Array("\r\n\r\n".utf8))) == [])
        #expect(DKIMSigner.canonicalBody(ArraySlice(Array("no end".utf8))) == Array("no end\r\n".utf8))
    }
}

extension DKIMKey {
    fileprivate func with(_ privateKey: String) -> DKIMKey {
        var copy = self
        copy.privateKey = privateKey
        return copy
    }
}
