import DocketCore
import Foundation

/// The core's `MailSender` over SMTP: the mail written with GMime (`MIMEComposer`) and handed to
/// the tenant's relay (`SMTPSubmitter`), signed with the domain's DKIM key (`DKIMSigner`) when it has one.
public struct SMTPMailSender: MailSender {
    let submitter: SMTPSubmitter

    public init(submitter: SMTPSubmitter) { self.submitter = submitter }

    public func send(_ mail: OutgoingMail, envelopeFrom: String, via relay: MailRelay, signing: DKIMKey?) async throws {
        var message = MIMEComposer.compose(mail)
        if let signing {
            do {
                message = try DKIMSigner.sign(message, with: signing)
            } catch {
                throw MailSendFailure(permanent: true, "the DKIM key of \(signing.domain) could not sign: \(error)")
            }
        }
        do {
            try await submitter.send(message, from: envelopeFrom, to: [mail.to.address] + mail.bcc, via: relay)
        } catch {
            throw MailSendFailure(permanent: error.permanent, error.description)
        }
    }
}
