import Foundation

/// Whether a mail was sent by a machine: such a mail is never answered nor acknowledged (an
/// auto-responder answering an acknowledgement answering it is how mail loops start). Each
/// reason names the header or sender that decided it.
public enum AutomaticMail {
    /// Why `mail` is automatic, or nil when a person wrote it. `envelopeSender` is the SMTP
    /// `MAIL FROM` (empty for the null sender of bounces and auto-replies; nil when unknown,
    /// e.g. a mail fetched from a mailbox, where Return-Path says it).
    public static func reason(_ mail: InboundMail, envelopeSender: String?) -> String? {
        let markers = mail.markers
        if let origin = markers.docketOrigin, !origin.isEmpty {
            return "it is a mail Docket sent (X-Docket-Origin) coming back"
        }
        if let value = markers.autoSubmitted?.trimmed.lowercased(), !value.isEmpty, !value.hasPrefix("no") {
            return "Auto-Submitted: \(value)"
        }
        if let value = markers.precedence?.trimmed.lowercased(), ["bulk", "list", "junk", "auto_reply"].contains(value) {
            return "Precedence: \(value)"
        }
        if markers.autoResponseSuppress.map({ !$0.trimmed.isEmpty }) == true {
            return "X-Auto-Response-Suppress: \(markers.autoResponseSuppress!.trimmed)"
        }
        if markers.listId.map({ !$0.trimmed.isEmpty }) == true {
            return "List-Id: it came through a mailing list"
        }
        if markers.autoreply.map({ !$0.trimmed.isEmpty }) == true {
            return "X-Autoreply: \(markers.autoreply!.trimmed)"
        }
        if let type = markers.contentType?.lowercased(), type.contains("multipart/report") {
            return "a delivery or read report (multipart/report)"
        }
        if let envelope = envelopeSender, envelope.trimmed.isEmpty || envelope.trimmed == "<>" {
            return "the null sender (a bounce or an auto-reply)"
        }
        for address in [mail.from, mail.sender].compactMap({ $0 }) {
            let local = address.key.split(separator: "@").first.map(String.init) ?? address.key
            if ["mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"].contains(local)
                || local.hasPrefix("mailer-daemon") || local.hasPrefix("bounce") {
                return "sent from \(address.address), a machine's address"
            }
        }
        return nil
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
