import DocketCore
import Foundation
import NIOPosix

/// The core's `MailSender` over SMTP: the mail written with GMime (`MIMEComposer`) and handed to
/// the tenant's relay (`SMTPSubmitter`), signed with the domain's DKIM key (`DKIMSigner`) when it has one.
public struct SMTPMailSender: MailSender {
    let submitter: SMTPSubmitter

    public init(submitter: SMTPSubmitter) { self.submitter = submitter }

    public func send(_ mail: OutgoingMail, envelopeFrom: String, via relay: MailRelay, signing: DKIMKey?) async throws {
        // Written and signed on NIO's blocking pool (RSA signing is CPU work), not on Swift's cooperative pool.
        let written: Result<[UInt8], MailSendFailure> = try await NIOThreadPool.singleton.runIfActive {
            let message = MIMEComposer.compose(mail)
            guard let signing else { return .success(message) }
            do {
                return .success(try DKIMSigner.sign(message, with: signing))
            } catch {
                return .failure(MailSendFailure(permanent: true, "the DKIM key of \(signing.domain) could not sign: \(error)"))
            }
        }
        let message = try written.get()
        do {
            try await submitter.send(message, from: envelopeFrom, to: [mail.to.address] + mail.bcc, via: relay)
        } catch {
            throw MailSendFailure(permanent: error.permanent, error.description)
        }
    }
}
