import Foundation

/// The conversation side of a change: service sessions follow the assignee, system notices,
/// counters and preview follow the new messages, and a finished ticket stops being its
/// customer's open chat. A step of the change pipeline (`TicketWriter`).
struct ConversationKeeper: UseCase {
    let core: ServiceCore
}

extension ConversationKeeper {
    /// What a change means for the conversation, applied to `ticket`: service sessions follow
    /// the assignee, claims, transfers, resolutions and closes leave a system message, and the
    /// counters and preview follow the new messages. Returns the messages to store with the ticket.
    func apply(
        _ ticket: inout Ticket, before: Ticket?, draft: MessageDraft?, events: [PendingEvent], tenant: Tenant, now: Date
    ) async throws -> [TicketMessage] {
        // Built only when a notice is written (most changes write none).
        lazy var texts = AssistantTexts(tenant)
        let workflow = tenant.workflow
        let finished: Set<String> = [workflow.resolved, workflow.closed]
        var chat = ticket.chat ?? TicketChat()
        var notices: [String] = []
        let previous = before?.assignedAgent, current = ticket.assignedAgent

        func endSession() {
            for index in chat.servedBy.indices where chat.servedBy[index].active {
                chat.servedBy[index].active = false
                chat.servedBy[index].endedAt = now
            }
        }
        func name(_ agent: String) async throws -> String {
            try await stores.people.agent(tenantId: tenant.id, id: agent)?.name ?? agent
        }

        if previous != current {
            endSession()
            if let current {
                let reason =
                    events.contains { $0.details["claimed"] == "true" } ? "claimed"
                    : events.contains { $0.details["transferred"] == "true" } ? "transferred"
                    : events.contains { $0.type == .escalated } ? "escalated" : "assigned"
                let agentName = try await name(current)
                chat.servedBy.append(ServiceSession(agentId: current, agentName: agentName, startedAt: now, reason: reason))
                switch reason {
                case "claimed":
                    notices.append(texts.pick(es: "\(agentName) tomó el \(texts.terms.ticketSingular)", vi: "\(agentName) đã nhận \(texts.terms.ticketSingular)", en: "\(agentName) took the \(texts.terms.ticketSingular)"))
                case "transferred":
                    var from = "-"
                    if let previous { from = try await name(previous) }
                    notices.append(texts.pick(es: "Transferido de \(from) a \(agentName)", vi: "Đã chuyển từ \(from) sang \(agentName)", en: "Transferred from \(from) to \(agentName)"))
                default:
                    notices.append(texts.pick(es: "Asignado a \(agentName)", vi: "Đã giao cho \(agentName)", en: "Assigned to \(agentName)"))
                }
            } else {
                notices.append(texts.pick(es: "Sin asignar", vi: "Chưa được giao", en: "Unassigned"))
            }
        }
        if let before, before.status != ticket.status {
            if ticket.status == workflow.closed {
                endSession()
                notices.append(texts.pick(es: "\(texts.terms.ticketSingular.capitalized) cerrado", vi: "Đã đóng \(texts.terms.ticketSingular)", en: "\(texts.terms.ticketSingular.capitalized) closed"))
            } else if ticket.status == workflow.resolved {
                endSession()
                notices.append(texts.pick(es: "\(texts.terms.ticketSingular.capitalized) resuelto", vi: "Đã giải quyết \(texts.terms.ticketSingular)", en: "\(texts.terms.ticketSingular.capitalized) resolved"))
            } else if finished.contains(before.status) {
                notices.append(texts.pick(es: "\(texts.terms.ticketSingular.capitalized) reabierto", vi: "Đã mở lại \(texts.terms.ticketSingular)", en: "\(texts.terms.ticketSingular.capitalized) reopened"))
                if let current, !chat.servedBy.contains(where: \.active) {
                    chat.servedBy.append(ServiceSession(agentId: current, agentName: try await name(current), startedAt: now, reason: "reopened"))
                }
            }
        }
        chat.servedBy = Array(chat.servedBy.suffix(TicketChat.maxSessions))

        var drafts: [MessageDraft] = draft.map { [$0] } ?? []
        drafts += notices.map {
            MessageDraft(senderId: "system", senderType: .system, senderName: nil, senderAvatar: nil, content: $0, type: .system, attachments: [])
        }
        var messages: [TicketMessage] = []
        for draft in drafts {
            chat.messageCount += 1
            messages.append(TicketMessage(
                tenantId: tenant.id, ticketId: ticket.ticketId, seq: chat.messageCount, id: IdentifierGenerator.make(),
                senderId: draft.senderId, senderType: draft.senderType, senderName: draft.senderName, senderAvatar: draft.senderAvatar,
                content: draft.content, type: draft.type, attachments: draft.attachments, createdAt: now))
            messages[messages.count - 1].mail = draft.mail
            switch draft.senderType {
            case .customer: chat.unreadStaff += 1
            case .staff: chat.unreadCustomer += 1
            case .system: break
            }
            chat.lastMessage = MessagePreview(text: draft.content, at: now, senderType: draft.senderType)
        }
        if ticket.chat != nil || chat != TicketChat() { ticket.chat = chat }
        return messages
    }

    /// Statuses in which a ticket is the customer's current conversation.
    func openStatuses(_ tenant: Tenant) -> [String] { Self.openStatuses(tenant) }

    static func openStatuses(_ tenant: Tenant) -> [String] {
        tenant.workflow.statuses.map(\.id).filter { $0 != tenant.workflow.resolved && $0 != tenant.workflow.closed }
    }

    /// A resolved or closed ticket is no longer its customer's open chat (the next message opens
    /// another); reopening does not make it that again.
    static func settleOpenChat(_ ticket: inout Ticket, tenant: Tenant) {
        if ticket.openChatOf != nil, !openStatuses(tenant).contains(ticket.status) { ticket.openChatOf = nil }
    }
}
