import DocketCore
import DocketMail
import Foundation
import Logging
import ServiceLifecycle

/// Fetches the tenants' IMAP mailboxes (`TenantMail.mailboxes`) while the server runs: one task
/// per mailbox, started, restarted or stopped as the configurations change (looked at every
/// `rescan`). Each message is handed on like a mail delivered to the mailbox's address
/// (`MailIntakeService.hand`): stored, ignored as a machine's, or quarantined; then flagged
/// `\Seen` and the mailbox's place (`MailboxState.lastUid`) saved. A crash between the store
/// and the saved place makes the message come again; its `Message-ID` (one is made from the
/// folder's UIDVALIDITY and the UID when it has none) keeps it from being stored twice.
/// Several instances on one store: a lease in the mailbox's state lets one fetch at a time.
struct MailboxFetchService: Service {
    let services: DocketServices
    let store: any TicketStore
    let client: IMAPClient
    let parsing: MailLimits
    let instance: String
    let logger: Logger
    var rescan: Duration = .seconds(5)
    /// How long a lease lasts unrenewed; an IDLE wait renews it at half that.
    static let lease: TimeInterval = 90
    /// The first fetch of a mailbox takes only its unread mail; after that, every message above
    /// the last one handed on.
    static let maxPerRound = 200

    func run() async {
        var running: [String: (mailbox: MailMailbox, task: Task<Void, Never>)] = [:]
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var wanted: [String: (tenant: String, recipient: String, mailbox: MailMailbox)] = [:]
            do {
                for tenant in try await MailIntakeService.everyTenant(store) {
                    guard let mail = tenant.overrides.mail else { continue }
                    for mailbox in mail.mailboxes ?? [] {
                        guard let recipient = mailbox.address ?? mail.addresses.first else { continue }
                        wanted[tenant.id + "/" + mailbox.id] = (tenant.id, recipient, mailbox)
                    }
                }
            } catch {
                logger.warning("mailboxes: the tenants could not be listed", metadata: ["error": "\(error)"])
            }
            for (key, entry) in running where wanted[key]?.mailbox != entry.mailbox {
                entry.task.cancel()
                running[key] = nil
            }
            for (key, want) in wanted where running[key] == nil {
                let fetcher = MailboxFetcher(tenantId: want.tenant, recipient: want.recipient, mailbox: want.mailbox, service: self)
                running[key] = (want.mailbox, Task { await fetcher.run() })
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: rescan) }
        }
        for entry in running.values { entry.task.cancel() }
        for entry in running.values { await entry.task.value }
    }
}

/// One mailbox's fetch, for as long as its configuration stays the same.
struct MailboxFetcher: Sendable {
    let tenantId: String
    let recipient: String
    let mailbox: MailMailbox
    /// What every fetcher shares: the services, the store, the client, the limits, the instance.
    let service: MailboxFetchService
    var services: DocketServices { service.services }
    var store: any TicketStore { service.store }
    var client: IMAPClient { service.client }
    var parsing: MailLimits { service.parsing }
    var instance: String { service.instance }
    var logger: Logger { service.logger }

    var metadata: Logger.Metadata { ["tenant.id": "\(tenantId)", "mailbox": "\(mailbox.id)", "server": "\(mailbox.host):\(mailbox.port)"] }

    func run() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                guard try await takeLease() else {
                    try await Task.sleep(for: .seconds(MailboxFetchService.lease / 3))
                    continue
                }
                let idle = try await client.session(mailbox) { session in try await fetch(session) }
                failures = 0
                if !idle { try await Task.sleep(for: .seconds(mailbox.poll)) }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning("mailbox not fetched; trying again", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                await record { $0.lastError = String(IMAPClient.reason(error).prefix(300)) }
                let permanent = (error as? IMAPFailure)?.permanent == true
                // A refused login or a missing folder is looked at again slowly (it may be fixed
                // at the provider); anything else sooner, backing off to the poll interval.
                let wait = permanent ? max(mailbox.poll, 300) : min(mailbox.poll, 1 << min(failures, 6))
                try? await Task.sleep(for: .seconds(wait))
            }
        }
    }

    /// Fetches what is new, then waits in IDLE for more while the server offers it; answers
    /// whether it idled (the session ended because the lease was lost or a round failed).
    func fetch(_ session: IMAPSession) async throws -> Bool {
        while !Task.isCancelled {
            while try await fetchRound(session) == MailboxFetchService.maxPerRound {}
            guard session.offersIdle else { return false }
            guard try await takeLease() else { return true }
            // Short enough that the lease (renewed above) never runs out while idling.
            _ = try await session.idle(for: .seconds(min(Double(mailbox.poll), MailboxFetchService.lease / 2)))
        }
        return true
    }

    /// Hands on up to `maxPerRound` new messages, in UID order; answers how many.
    func fetchRound(_ session: IMAPSession) async throws -> Int {
        var state = try await current()
        if state.uidValidity != session.uidValidity {
            // A new folder (or one the server renumbered): its UIDs start over.
            if state.uidValidity != nil { logger.notice("mailbox renumbered (UIDVALIDITY changed): its unread mail is fetched again", metadata: metadata) }
            let firstTime = state.uidValidity == nil
            state = try await save { $0.uidValidity = session.uidValidity; $0.lastUid = 0; if !firstTime { $0.lastError = nil } }
        }
        let uids = Array(try await session.uids(after: state.lastUid, unseenOnly: state.lastUid == 0).prefix(MailboxFetchService.maxPerRound))
        for uid in uids {
            try Task.checkCancellation()
            guard let message = try await session.message(uid) else { continue }
            let verdict = await hand(message.bytes, size: message.size, whole: message.whole, uid: uid, validity: session.uidValidity)
            switch verdict {
            case .accepted, .refused:
                // Refused: the quarantine is full; the mail stays in the mailbox, unflagged.
                if verdict == .accepted { try await session.markSeen(uid) }
                state = try await save { state in
                    state.lastUid = uid
                    state.fetched += 1
                    state.lastFetchAt = Date()
                    state.lastError = nil
                    state.idle = session.offersIdle
                }
            case .tryLater(let reason):
                throw IMAPFailure("message \(uid) could not be stored now: \(reason)")
            }
        }
        if uids.isEmpty, state.idle != session.offersIdle || state.lastError != nil {
            _ = try await save { $0.idle = session.offersIdle; $0.lastError = nil }
        }
        return uids.count
    }

    /// One message handed on like a delivered mail; a message larger than the limit, or one the
    /// parser refuses, goes to the quarantine.
    func hand(_ bytes: [UInt8], size: Int, whole: Bool, uid: Int, validity: Int) async -> MailVerdict {
        let sender = Self.returnPath(bytes)
        let parsed: Result<InboundMail, MailRejection>
        if !whole {
            parsed = .failure(MailRejection(kind: .tooLarge, reason: "the message is \(size) bytes; at most \(client.maxMessageBytes) are read"))
        } else {
            do {
                var mail = try await MIMEParser.parseOffPool(bytes, limits: parsing)
                if mail.messageId == nil { mail.messageId = "imap.\(validity).\(uid).\(mailbox.id).\(tenantId)@docket.invalid" }
                parsed = .success(mail)
            } catch {
                parsed = .failure(error)
            }
        }
        let verdict = await MailIntakeService.hand(
            parsed, bytes: bytes, tenantId: tenantId, recipient: recipient, envelopeSender: sender, services: services, logger: logger)
        if case .failure = parsed, verdict == .accepted { await record { $0.quarantined += 1 } }
        return verdict
    }

    /// The `Return-Path` a delivering server wrote (the envelope sender: empty for a bounce),
    /// if the message has one. IMAP has no envelope: without it, the sender is unknown (nil),
    /// never the null sender.
    static func returnPath(_ bytes: [UInt8]) -> String? {
        let head = bytes.prefix(64 << 10)
        var lineStart = head.startIndex
        while lineStart < head.endIndex {
            let end = head[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? head.endIndex
            let line = String(decoding: head[lineStart..<end], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { return nil }
            if line.lowercased().hasPrefix("return-path:") {
                let value = line.dropFirst("return-path:".count).trimmingCharacters(in: .whitespaces)
                return value.trimmingCharacters(in: CharacterSet(charactersIn: "<>"))
            }
            lineStart = end < head.endIndex ? head.index(after: end) : end
        }
        return nil
    }

    // MARK: - The mailbox's state

    func current() async throws -> MailboxState {
        if let state = try await store.mailboxState(tenantId: tenantId, mailboxId: mailbox.id) { return state }
        _ = try await store.saveMailboxState(MailboxState(tenantId: tenantId, mailboxId: mailbox.id), expectedVersion: nil)
        guard let state = try await store.mailboxState(tenantId: tenantId, mailboxId: mailbox.id) else {
            throw IMAPFailure("the mailbox's state could not be stored")
        }
        return state
    }

    /// Takes (or renews) the lease on the mailbox: false when another instance holds it.
    func takeLease() async throws -> Bool {
        for _ in 0..<5 {
            var state = try await current()
            let now = Date()
            // A store one process owns (no `leases`) has no other instance to wait for: a lease a
            // killed process left is this process's to take at once.
            if store.leases != nil, let owner = state.leaseOwner, owner != instance, let until = state.leaseUntil, until > now { return false }
            let expected = state.version
            state.version += 1
            state.leaseOwner = instance
            state.leaseUntil = now.addingTimeInterval(MailboxFetchService.lease)
            if try await store.saveMailboxState(state, expectedVersion: expected) { return true }
        }
        return false
    }

    /// Changes the state while this instance holds the lease; a lost lease ends the session.
    func save(_ change: (inout MailboxState) -> Void) async throws -> MailboxState {
        for _ in 0..<5 {
            var state = try await current()
            guard state.leaseOwner == instance else { throw IMAPFailure("another instance fetches this mailbox now") }
            let expected = state.version
            state.version += 1
            change(&state)
            if try await store.saveMailboxState(state, expectedVersion: expected) { return state }
        }
        throw IMAPFailure("the mailbox's state kept changing under this instance")
    }

    /// Records a figure or an error whether or not this instance holds the lease (best effort).
    func record(_ change: (inout MailboxState) -> Void) async {
        for _ in 0..<3 {
            guard var state = try? await current() else { return }
            let expected = state.version
            state.version += 1
            change(&state)
            if (try? await store.saveMailboxState(state, expectedVersion: expected)) == true { return }
        }
    }
}
