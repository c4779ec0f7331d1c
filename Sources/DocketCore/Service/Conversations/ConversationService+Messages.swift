import Foundation

extension ConversationService {
    /// With `onlyIfOpen`, the message joins only a ticket that is still open on the version
    /// written (`TicketNoLongerOpen` otherwise): a customer's message never lands in a ticket
    /// closed or resolved between the lookup and the write.
    func postMessage(_ principal: Principal, _ ticketId: String, draft: MessageDraft, onlyIfOpen: Bool = false) async throws -> (Ticket, [TicketMessage]) {
        try await writer.change(principal, ticketId, message: draft) { ticket, tenant, now in
            if onlyIfOpen, !ConversationKeeper.openStatuses(tenant).contains(ticket.status) { throw TicketNoLongerOpen() }
            // Nobody works a closed ticket: a message there would be read by no one. Staff reopen
            // it first; a customer writes without a ticket, which opens a new one.
            if ticket.status == tenant.workflow.closed {
                throw DocketError(
                    .conflict,
                    principal.isStaff
                        ? "ticket '\(ticketId)' is closed; reopen it to write"
                        : "ticket '\(ticketId)' is closed; write to POST /api/v2/messages to open a new one")
            }
            var events = [PendingEvent(.messageReceived, ["text": draft.content, "author": draft.senderType.rawValue])]
            // A customer writing moves e.g. pending_customer → in_progress, resolved → open.
            if principal.role == .customer, let next = tenant.workflow.status(ticket.status)?.onCustomerReply {
                let from = ticket.status
                try Self.transition(&ticket, to: next, by: principal.subject, reason: "customer wrote", workflow: tenant.workflow, now: now)
                events.append(PendingEvent(.statusChanged, ["from": from, "to": next]))
            }
            return events
        }
    }

    func messageDraft(_ principal: Principal, _ input: NewMessage, tenant: Tenant) async throws -> MessageDraft {
        let type = input.type ?? .text
        guard type != .system else { throw DocketError.invalid("type", "system messages are written by Docket") }
        let attachments = input.attachments ?? []
        guard attachments.count <= MessageLimits.attachments else {
            throw DocketError.invalid("attachments", "at most \(MessageLimits.attachments) attachments")
        }
        for (index, url) in attachments.enumerated() { _ = try Check.url(url, field: "attachments[\(index)]") }
        // An image or file may come without words; a text message may not.
        let content = try Check.text(input.content, field: "content", max: MessageLimits.content, required: type == .text || attachments.isEmpty)
        if principal.isStaff {
            let agent = try await stores.people.agent(tenantId: tenant.id, id: principal.subject)
            return MessageDraft(
                senderId: principal.subject, senderType: .staff, senderName: agent?.name ?? principal.subject, senderAvatar: agent?.avatarUrl,
                content: content, type: type, attachments: attachments)
        }
        try await ensureCustomer(tenantId: tenant.id, id: principal.subject, now: clock.now())
        let customer = try await stores.people.customer(tenantId: tenant.id, id: principal.subject)
        let name = [customer?.firstName, customer?.lastName].compactMap { $0 }.joined(separator: " ")
        return MessageDraft(
            senderId: principal.subject, senderType: .customer, senderName: name.isEmpty ? nil : name, senderAvatar: customer?.avatarUrl,
            content: content, type: type, attachments: attachments)
    }
}

/// The open ticket a message was meant for was resolved or closed meanwhile.
struct TicketNoLongerOpen: Error {}
