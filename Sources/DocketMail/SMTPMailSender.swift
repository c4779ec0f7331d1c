import DocketCore
import Foundation

/// The core's `MailSender` over SMTP: the mail written with GMime (`MIMEComposer`) and handed to
/// the tenant's relay (`SMTPSubmitter`).
public struct SMTPMailSender: MailSender {
    let submitter: SMTPSubmitter

    public init(submitter: SMTPSubmitter) { self.submitter = submitter }

    public func send(_ mail: OutgoingMail, envelopeFrom: String, via relay: MailRelay) async throws {
        do {
            try await submitter.send(MIMEComposer.compose(mail), from: envelopeFrom, to: [mail.to.address], via: relay)
        } catch {
            throw MailSendFailure(permanent: error.permanent, error.description)
        }
    }
}
