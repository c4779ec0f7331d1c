import Crypto
import DocketCore
import Foundation
import NIOPosix
import _CryptoExtras

/// DKIM (RFC 6376): a mail signed with the tenant's key for its sending domain, `rsa-sha256`
/// with relaxed canonicalization of headers and body (what survives relays that rewrap
/// whitespace). RSA and SHA-256 are swift-crypto's (`_CryptoExtras` for RSA); what is written by
/// hand here is the canonicalization and the header, which no library in the mirror does.
public struct DKIMSigner: DKIMKeyMaker {
    /// The headers signed when the mail has them, in this order. `From` is signed once more than
    /// it appears, so that nobody can add a second one without breaking the signature.
    static let signedHeaders = [
        "from", "to", "cc", "reply-to", "subject", "date", "message-id", "in-reply-to", "references", "mime-version", "content-type",
        "content-transfer-encoding", "auto-submitted",
    ]

    public init() {}

    /// A new key, made on NIO's blocking pool (never on Swift's cooperative pool).
    public func makePrivateKey() async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { try Self.newPrivateKey() }
    }

    /// A new 2048-bit RSA key in PEM, made on the calling thread.
    public static func newPrivateKey() throws -> String {
        try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
    }

    public func publicKey(of privateKey: String) throws -> String {
        let key = try Self.key(privateKey)
        return key.publicKey.derRepresentation.base64EncodedString()
    }

    static func key(_ pem: String) throws -> _RSA.Signing.PrivateKey {
        // 1024-bit keys are still published by many domains; swift-crypto calls them unsafe.
        let key = try _RSA.Signing.PrivateKey(unsafePEMRepresentation: pem)
        guard (1024...4096).contains(key.keySizeInBits) else { throw DKIMError("an RSA key of 1024 to 4096 bits") }
        return key
    }

    /// `message` (CRLF line ends) with a `DKIM-Signature` header in front, made with `key` at `time`.
    public static func sign(_ message: [UInt8], with key: DKIMKey, at time: Date = Date()) throws -> [UInt8] {
        guard let pem = key.privateKey else { throw DKIMError("the key for \(key.domain) has no private half") }
        let signer = try Self.key(pem)
        let (headers, body) = split(message)
        let bodyHash = Data(SHA256.hash(data: canonicalBody(body))).base64EncodedString()
        var names: [String] = []
        var signedData: [UInt8] = []
        for name in signedHeaders {
            let fields = headers.filter { $0.name.lowercased() == name }
            guard !fields.isEmpty else { continue }
            // The last instance first, as a verifier takes them (RFC 6376 5.4.2).
            for field in fields.reversed() {
                names.append(name)
                signedData += Array(canonicalHeader(field.name, field.value).utf8) + [13, 10]
            }
        }
        names.append("from")
        let value = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=\(key.domain); s=\(key.selector);\r\n\tt=\(Int(time.timeIntervalSince1970)); h=\(names.joined(separator: ":"));\r\n\tbh=\(bodyHash);\r\n\tb="
        signedData += Array(canonicalHeader("DKIM-Signature", value).utf8)
        let signature = try signer.signature(for: signedData, padding: .insecurePKCS1v1_5).rawRepresentation.base64EncodedString()
        return Array("DKIM-Signature: \(value)\(signature)\r\n".utf8) + message
    }

    struct Field {
        var name: String
        /// Everything after the colon, folding kept.
        var value: String
    }

    /// The header fields and the body of a message.
    static func split(_ message: [UInt8]) -> (headers: [Field], body: ArraySlice<UInt8>) {
        var end = message.count
        var index = 0
        while index + 3 < message.count {
            if message[index] == 13, message[index + 1] == 10, message[index + 2] == 13, message[index + 3] == 10 {
                end = index + 2
                break
            }
            index += 1
        }
        let headerText = String(decoding: message[..<end], as: UTF8.self)
        let body = end + 2 <= message.count ? message[(end + 2)...] : []
        var fields: [Field] = []
        for line in headerText.components(separatedBy: "\r\n") where !line.isEmpty {
            if line.first == " " || line.first == "\t", !fields.isEmpty {
                fields[fields.count - 1].value += "\r\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                fields.append(Field(name: String(line[..<colon]), value: String(line[line.index(after: colon)...])))
            }
        }
        return (fields, body)
    }

    /// Relaxed header canonicalization: the name lower-cased; the value unfolded, each run of
    /// white space one space, none at either end; no space around the colon.
    static func canonicalHeader(_ name: String, _ value: String) -> String {
        let unfolded = value.replacingOccurrences(of: "\r\n", with: "")
        var out = ""
        var space = false
        for character in unfolded {
            if character == " " || character == "\t" {
                space = true
            } else {
                if space, !out.isEmpty { out.append(" ") }
                space = false
                out.append(character)
            }
        }
        return name.trimmingCharacters(in: .whitespaces).lowercased() + ":" + out
    }

    /// Relaxed body canonicalization: each line's runs of white space one space and none at its
    /// end, the empty lines at the end dropped, and a non-empty body ending in one CRLF.
    static func canonicalBody(_ body: ArraySlice<UInt8>) -> [UInt8] {
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            if byte == 13, index + 1 < body.endIndex, body[index + 1] == 10 {
                lines.append(line)
                line = []
                index += 2
                continue
            }
            line.append(byte)
            index += 1
        }
        if !line.isEmpty { lines.append(line) }
        var canonical = lines.map { raw -> [UInt8] in
            var compressed: [UInt8] = []
            var space = false
            for byte in raw {
                if byte == 32 || byte == 9 {
                    space = true
                } else {
                    if space { compressed.append(32) }
                    space = false
                    compressed.append(byte)
                }
            }
            return compressed
        }
        while canonical.last?.isEmpty == true { canonical.removeLast() }
        var out: [UInt8] = []
        for line in canonical { out += line + [13, 10] }
        return out
    }
}

public struct DKIMError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
