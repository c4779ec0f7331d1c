import CMailShim
import DocketCore
import Foundation

/// Writes an `OutgoingMail` as a MIME message with GMime (through `CMailShim`): headers in
/// RFC 2047 words where they leave ASCII, each part in the transfer encoding a 7-bit relay
/// passes (quoted-printable or base64, GMime's choice), long headers folded, CRLF line ends.
public enum MIMEComposer {
    public static func compose(_ mail: OutgoingMail) -> [UInt8] {
        let extra = mail.headers.flatMap { [clean($0.0), clean($0.1)] }
        return withCStrings(
            [mail.from.name, mail.from.address, mail.to.name, mail.to.address, mail.replyTo, clean(mail.subject), mail.messageId,
             mail.inReplyTo, mail.references.isEmpty ? nil : mail.references.joined(separator: " "), mail.text, mail.html] + extra
        ) { pointers in
            let headerPointers: [UnsafePointer<CChar>?] = Array(pointers[11...])
            return headerPointers.withUnsafeBufferPointer { headers in
                var outgoing = docket_outgoing_mail(
                    from_name: pointers[0], from_address: pointers[1], to_name: pointers[2], to_address: pointers[3],
                    reply_to: pointers[4], subject: pointers[5], message_id: pointers[6], in_reply_to: pointers[7],
                    references: pointers[8], date: Int64(mail.date.timeIntervalSince1970), text: pointers[9], html: pointers[10],
                    headers: headers.baseAddress, header_count: mail.headers.count)
                var length = 0
                guard let bytes = docket_mail_compose(&outgoing, &length) else { return [] }
                defer { docket_mail_bytes_free(bytes) }
                return bytes.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
            }
        }
    }

    /// A header value on one line: line breaks a caller let through would start a header of
    /// their own (header injection).
    static func clean(_ value: String) -> String {
        String(value.unicodeScalars.map { $0 == "\r" || $0 == "\n" || $0 == "\0" ? " " : Character($0) })
    }

    /// Runs `body` with C strings for each value (nil stays NULL), valid during the call.
    static func withCStrings<R>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var copies: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}
