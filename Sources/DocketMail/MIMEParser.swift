import CMailShim
import DocketCore
import Foundation
import NIOPosix

/// The limits a mail meets before and while it is parsed. A mail past one is refused whole, with
/// the limit it broke (the receiver quarantines it and goes on with the next).
public struct MailLimits: Sendable, Hashable {
    /// The whole message as it arrived. 25 MiB: what the big mail providers accept.
    public var maxBytes = 25 << 20
    /// The top-level header section (a header longer than this is not a person's mail).
    public var maxHeaderBytes = 256 << 10
    /// Parts, leaves and containers together, and multipart boundaries and enclosed messages
    /// declared anywhere in the bytes (counted before GMime parses them).
    public var maxParts = 500
    /// Multiparts and forwarded messages inside each other.
    public var maxDepth = 16
    /// Files a mail may carry (inline images count).
    public var maxAttachments = 50
    /// The body text kept; longer text is cut here (and marked so).
    public var maxTextBytes = 512 << 10

    public init() {}
}

/// Why a mail was not taken: the limit or the fault, in words an admin reads in the quarantine.
public struct MailRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case tooLarge = "too_large"
        case headerTooLarge = "header_too_large"
        case tooManyParts = "too_many_parts"
        case tooDeep = "too_deep"
        case tooManyAttachments = "too_many_attachments"
        case malformed
    }

    public var kind: Kind
    public var reason: String
    public var description: String { reason }

    public init(kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }
}

/// Parses a mail with GMime (through `CMailShim`) into the core's `InboundMail`: headers
/// decoded (RFC 2047 words, address groups flattened), every transfer encoding decoded, text
/// converted from its charset to UTF-8, HTML made text (`HTMLText`), attachments kept whole.
public enum MIMEParser {
    /// `parse` run on NIO's blocking pool: GMime's work never holds one of Swift's cooperative
    /// threads (a 25 MB mail takes a while).
    public static func parseOffPool(_ bytes: [UInt8], limits: MailLimits = .init()) async throws(MailRejection) -> InboundMail {
        let result: Result<InboundMail, MailRejection>
        do {
            result = try await NIOThreadPool.singleton.runIfActive {
                do throws(MailRejection) { return .success(try parse(bytes, limits: limits)) } catch { return .failure(error) }
            }
        } catch {
            throw MailRejection(kind: .malformed, reason: "the mail could not be read now: \(error)")
        }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8], limits: MailLimits = .init()) throws(MailRejection) -> InboundMail {
        guard bytes.count <= limits.maxBytes else {
            throw MailRejection(kind: .tooLarge, reason: "the mail is \(bytes.count) bytes; at most \(limits.maxBytes) are taken")
        }
        let headerBytes = headerLength(bytes, upTo: limits.maxHeaderBytes + 4)
        guard headerBytes <= limits.maxHeaderBytes else {
            throw MailRejection(kind: .headerTooLarge, reason: "the header section is over \(limits.maxHeaderBytes) bytes")
        }
        var error: Int32 = 0
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(1, buffer.count)) { base in
                docket_mail_parse(
                    base, buffer.count,
                    docket_mail_limits(max_parts: limits.maxParts, max_depth: limits.maxDepth, max_part_bytes: limits.maxBytes), &error)
            }
        }
        guard let mail = parsed else {
            switch Int(error) {
            case Int(DOCKET_MAIL_TOO_MANY_PARTS):
                throw MailRejection(kind: .tooManyParts, reason: "the mail has more than \(limits.maxParts) parts")
            case Int(DOCKET_MAIL_TOO_DEEP):
                throw MailRejection(kind: .tooDeep, reason: "the mail nests parts more than \(limits.maxDepth) deep")
            case Int(DOCKET_MAIL_NO_MEMORY):
                throw MailRejection(kind: .tooLarge, reason: "the mail could not be held in memory")
            default:
                throw MailRejection(kind: .malformed, reason: "the bytes are not a MIME message")
            }
        }
        defer { docket_mail_free(mail) }
        return try read(mail, limits: limits)
    }

    /// Bytes before the blank line that ends the header section (CRLF or bare LF), looking no
    /// further than `limit`; `limit` when the section is longer (or has no end).
    static func headerLength(_ bytes: [UInt8], upTo limit: Int) -> Int {
        var index = 0
        let end = min(bytes.count, limit)
        while index < end {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { return index }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return index }
            }
            index += 1
        }
        return bytes.count <= limit ? bytes.count : limit
    }

    private static func read(_ mail: OpaquePointer, limits: MailLimits) throws(MailRejection) -> InboundMail {
        var result = InboundMail()
        result.messageId = docket_mail_message_id(mail).map { String(cString: $0) }
        result.inReplyTo = ids(mail, "In-Reply-To")
        result.references = ids(mail, "References")
        result.subject = docket_mail_subject(mail).map { String(cString: $0) } ?? ""
        result.from = addresses(mail, 0).first ?? header(mail, "From").flatMap(Self.addressInText)
        result.replyTo = addresses(mail, 1)
        result.to = addresses(mail, 2)
        result.cc = addresses(mail, 3)
        result.sender = addresses(mail, 4).first
        let date = docket_mail_date(mail)
        result.date = date == 0 ? nil : Date(timeIntervalSince1970: TimeInterval(date))
        result.markers = MailMarkers(
            autoSubmitted: header(mail, "Auto-Submitted"), precedence: header(mail, "Precedence"), listId: header(mail, "List-Id"),
            autoResponseSuppress: header(mail, "X-Auto-Response-Suppress"),
            autoreply: header(mail, "X-Autoreply") ?? header(mail, "X-Autorespond"), docketOrigin: header(mail, "X-Docket-Origin"),
            contentType: header(mail, "Content-Type"))

        var plain: [String] = []
        var html: [String] = []
        var truncated = false
        for index in 0..<docket_mail_part_count(mail) {
            guard let part = docket_mail_part_at(mail, index)?.pointee else { continue }
            let type = part.mime_type.map { String(cString: $0) } ?? "application/octet-stream"
            let data = part.data.map { Array(UnsafeBufferPointer(start: $0, count: part.length)) } ?? []
            if part.is_text != 0 {
                let text = String(decoding: data, as: UTF8.self)
                if type == "text/html" { html.append(text) } else { plain.append(text) }
                truncated = truncated || part.truncated != 0
            } else {
                guard result.attachments.count < limits.maxAttachments else {
                    throw MailRejection(kind: .tooManyAttachments, reason: "the mail carries more than \(limits.maxAttachments) files")
                }
                result.attachments.append(MailAttachment(
                    filename: part.filename.map { String(cString: $0) }, contentType: type,
                    contentId: part.content_id.map { String(cString: $0) }, data: data, truncated: part.truncated != 0))
            }
        }
        var text: String
        if !plain.isEmpty {
            text = plain.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }.joined(separator: "\n\n")
        } else {
            result.textFromHTML = !html.isEmpty
            text = html.map(HTMLText.plain).filter { !$0.isEmpty }.joined(separator: "\n\n")
        }
        text = text.replacingOccurrences(of: "\r\n", with: "\n")
        if text.utf8.count > limits.maxTextBytes {
            // Cut at a character's boundary.
            var cut = text.utf8.index(text.utf8.startIndex, offsetBy: limits.maxTextBytes)
            while cut > text.startIndex, !text.unicodeScalars.indices.contains(cut) { cut = text.utf8.index(before: cut) }
            text = String(text[..<cut])
            truncated = true
        }
        result.text = text
        result.textTruncated = truncated
        return result
    }

    private static func header(_ mail: OpaquePointer, _ name: String) -> String? {
        docket_mail_header_decoded(mail, name).map { String(cString: $0) }
    }

    private static func ids(_ mail: OpaquePointer, _ header: String) -> [String] {
        (0..<docket_mail_id_count(mail, header)).compactMap { docket_mail_id_at(mail, header, $0).map { String(cString: $0) } }
    }

    /// The mailbox in a header's decoded text, for a mailer that wrote the whole header as one
    /// encoded word (`=?utf-8?b?...?=` around the name and the address: GMime then sees no
    /// address in it): the last `<...@...>`, else the first word with an `@`.
    static func addressInText(_ text: String) -> MailAddress? {
        if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            let address = text[text.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if address.contains("@"), !address.contains(" ") {
                let name = text[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return MailAddress(name: name.isEmpty ? nil : name, address: address)
            }
        }
        return text.split(whereSeparator: { $0 == " " || $0 == "," }).first { $0.contains("@") && !$0.contains("<") }.map { MailAddress(address: String($0)) }
    }

    /// A header's mailboxes; one without an `@` is not a mailbox and is left out.
    private static func addresses(_ mail: OpaquePointer, _ which: Int32) -> [MailAddress] {
        (0..<docket_mail_address_count(mail, which)).compactMap { index in
            guard let address = docket_mail_address_addr(mail, which, index).map({ String(cString: $0) }), address.contains("@") else { return nil }
            return MailAddress(name: docket_mail_address_name(mail, which, index).map { String(cString: $0) }, address: address)
        }
    }
}

/// The core's `MailReader`: a quarantined mail read again, when an admin accepts it, with the
/// limits raised (more parts, deeper nesting, more files, a larger header) — still limits, so a
/// mail built to exhaust the parser is still refused and then taken as text.
public struct LenientMailReader: MailReader {
    public init() {}

    public static var limits: MailLimits {
        var limits = MailLimits()
        limits.maxHeaderBytes = 1 << 20
        limits.maxParts = 5_000
        limits.maxDepth = 32
        limits.maxAttachments = 5_000
        return limits
    }

    public func readAnyway(_ bytes: [UInt8]) async -> InboundMail? {
        try? await MIMEParser.parseOffPool(bytes, limits: Self.limits)
    }
}
