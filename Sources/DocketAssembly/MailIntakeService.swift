import DocketCore
import DocketMail
import Foundation
import Logging
import ServiceLifecycle

/// Receives mail for the tenants while the server runs (`mail.port`): the receiver on its port,
/// each mail parsed (`MIMEParser`) and handed, per recipient, to the tenant that receives at
/// that address (`MailService`). The sending server hears "250" only once the mail is stored;
/// a store that fails makes it try again later (451). A mail that breaks a parsing limit is
/// quarantined with its reason (refused, 554, when the tenant's quarantine is full); nothing
/// stops the next one. Stops at graceful shutdown.
struct MailIntakeService: Service {
    let settings: Configuration.MailListening
    let services: DocketServices
    let book: MailAddressBook
    let logger: Logger

    init(_ settings: Configuration.MailListening, services: DocketServices, store: any TicketStore, logger: Logger) {
        self.settings = settings
        self.services = services
        self.book = MailAddressBook { try await Self.everyTenant(store) }
        self.logger = logger
    }

    static func everyTenant(_ store: any TicketStore) async throws -> [Tenant] {
        var tenants: [Tenant] = []
        for page in 1... {
            let items = try await store.listTenants(page: page, limit: 100).items
            tenants += items
            if items.count < 100 { break }
        }
        return tenants
    }

    func run() async throws {
        var limits = MailReceiverLimits()
        limits.maxMessageBytes = settings.maxMessageBytes
        var parsing = MailLimits()
        parsing.maxBytes = settings.maxMessageBytes
        let (book, services, logger, portFile, parsingLimits) = (book, services, logger, settings.portFile, parsing)
        let receiver = MailReceiver(
            dialect: settings.dialect == "smtp" ? .smtp : .lmtp, limits: limits, hostname: ProcessInfo.processInfo.hostName, logger: logger,
            accepts: { address in (try? await book.tenant(receiving: address)) != nil },
            deliver: { envelope, bytes in await Self.deliver(envelope, bytes, parsing: parsingLimits, book: book, services: services, logger: logger) })
        try? await cancelWhenGracefulShutdown {
            try await receiver.run(host: settings.host, port: settings.port) { port in
                logger.info("receiving mail", metadata: ["address": "\(settings.host):\(port)", "protocol": "\(settings.dialect)"])
                if let portFile { DocketSystem.writePort(port, to: portFile, logger: logger) }
            }
        }
    }

    /// One verdict per recipient.
    static func deliver(
        _ envelope: MailEnvelope, _ bytes: [UInt8], parsing: MailLimits, book: MailAddressBook, services: DocketServices, logger: Logger
    ) async -> [MailVerdict] {
        let parsed: Result<InboundMail, MailRejection>
        do {
            parsed = .success(try await MIMEParser.parseOffPool(bytes, limits: parsing))
        } catch {
            parsed = .failure(error)
        }
        var verdicts: [MailVerdict] = []
        for recipient in envelope.recipients {
            do {
                guard let tenantId = try await book.tenant(receiving: recipient) else {
                    verdicts.append(.refused("nobody receives mail at <\(recipient)> here"))
                    continue
                }
                verdicts.append(
                    await hand(parsed, bytes: bytes, tenantId: tenantId, recipient: recipient, envelopeSender: envelope.sender, services: services, logger: logger))
            } catch {
                logger.warning("mail not delivered; the sender will try again", metadata: ["to": "\(recipient)", "error": "\(error)"])
                verdicts.append(.tryLater("it could not be stored now"))
            }
        }
        return verdicts
    }

    /// One mail handed to one tenant: stored in a ticket, ignored as a machine's, read as a
    /// delivery report, or (when it could not be read) kept in the tenant's quarantine with the
    /// reason. The verdict is what the sender hears (a mailbox fetch reads it the same way).
    static func hand(
        _ parsed: Result<InboundMail, MailRejection>, bytes: [UInt8], tenantId: String, recipient: String, envelopeSender: String?,
        services: DocketServices, logger: Logger
    ) async -> MailVerdict {
        do {
            let mail: InboundMail
            switch parsed {
            case .success(let read): mail = read
            case .failure(let rejection):
                // Kept in the tenant's quarantine with the reason, for an admin to accept or
                // discard; the sender hears 250 and the next mail goes on.
                if try await services.mail.quarantine(
                    bytes, tenantId: tenantId, recipient: recipient, envelopeSender: envelopeSender ?? "", reason: rejection.description,
                    kind: rejection.kind.rawValue)
                {
                    logger.warning("mail quarantined", metadata: ["tenant.id": "\(tenantId)", "from": "\(envelopeSender ?? "")", "reason": "\(rejection)"])
                    return .accepted
                }
                logger.warning("mail refused: the quarantine is full", metadata: ["tenant.id": "\(tenantId)", "reason": "\(rejection)"])
                return .refused(rejection.description)
            }
            switch try await services.mail.receive(mail, tenantId: tenantId, recipient: recipient, envelopeSender: envelopeSender) {
            case .stored(let ticketId, let created):
                logger.info("mail stored", metadata: ["tenant.id": "\(tenantId)", "ticket.id": "\(ticketId)", "created": "\(created)"])
                return .accepted
            case .ignored(let reason):
                logger.info("mail from a machine: not answered, nothing opened", metadata: ["tenant.id": "\(tenantId)", "reason": "\(reason)"])
                return .accepted
            case .bounced(let addresses):
                logger.info("delivery report: addresses marked as bouncing", metadata: ["tenant.id": "\(tenantId)", "addresses": "\(addresses)"])
                return .accepted
            case .busy:
                return .tryLater("the same mail is being stored now")
            }
        } catch {
            logger.warning("mail not stored; the sender will try again", metadata: ["to": "\(recipient)", "error": "\(error)"])
            return .tryLater("it could not be stored now")
        }
    }
}
