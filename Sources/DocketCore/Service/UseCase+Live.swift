import Foundation

extension UseCase {
    // MARK: - Conversation state

    /// What a change means for the conversation, applied to `ticket`: service sessions follow
    /// the assignee, claims, transfers, resolutions and closes leave a system message, and the
    /// counters and preview follow the new messages. Returns the messages to store with the ticket.
    func converse(
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
            try await store.agent(tenantId: tenant.id, id: agent)?.name ?? agent
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

    // MARK: - Announcements

    /// The outbox of one change (`before` nil for a creation): its live events and the rule
    /// events to record, written in the change's own write.
    func outbox(
        before: Ticket?, after: Ticket, messages: [TicketMessage], events: [PendingEvent], entries: [RuleAuditEntry],
        records: [RecordedRuleEvent], now: Date
    ) -> Outbox {
        Outbox(
            live: announcements(before: before, after: after, messages: messages, events: events, entries: entries, now: now),
            rules: records, retain: live.settings.retainedPerTenant, onCommit: live.commitHook)
    }

    /// The live events of one change (`before` nil for a creation), in the order they happen.
    func announcements(
        before: Ticket?, after: Ticket, messages: [TicketMessage], events: [PendingEvent], entries: [RuleAuditEntry], now: Date
    ) -> [LiveEvent] {
        // The summary is encoded once and spliced into each event's data.
        let summary = EventJSON.written(LiveTicketSummary(after))
        var out: [LiveEvent] = []
        func add(_ type: LiveEventType, _ data: String, to audience: LiveAudience = .everyone) {
            out.append(LiveEvent(
                tenantId: after.tenantId, type: type, ticketId: after.ticketId, customerId: after.customerId, queue: after.queue,
                audience: audience, data: data, at: now))
        }
        func withTicket(_ extra: some Encodable) -> String { LiveData.splice(ticket: summary, into: EventJSON.text(extra)) }
        let ticketOnly = LiveData.splice(ticket: summary, into: "{}")
        let session = after.chat?.servedBy.last { $0.active }
        if let before {
            if before.assignedAgent != after.assignedAgent {
                if let agent = after.assignedAgent, session?.reason == "claimed" {
                    add(.ticketClaimed, withTicket(AgentData(agentId: agent, agentName: session?.agentName)))
                } else {
                    add(.ticketAssigned, withTicket(AgentData(agentId: after.assignedAgent, agentName: session?.agentName, previousAgent: before.assignedAgent)))
                }
            }
            if before.status != after.status, after.resolution != nil, before.resolution == nil {
                add(.ticketResolved, ticketOnly)
            }
            if let escalation = after.escalation, escalation != before.escalation {
                add(.ticketEscalated, withTicket(AgentData(agentId: escalation.escalatedTo, reason: escalation.reason)), to: .staff)
            }
            for note in after.notes.dropFirst(before.notes.count) {
                add(.ticketNoteAdded, EventJSON.written(NoteEventData(ticketId: after.ticketId, note: note)), to: note.isInternal ? .staff : .everyone)
            }
            if out.isEmpty, messages.isEmpty, before.version != after.version {
                add(.ticketUpdated, ticketOnly)
            }
        } else {
            add(.ticketCreated, ticketOnly)
            if after.assignedAgent == nil {
                add(.newPendingTicket, ticketOnly)
            } else {
                add(.ticketAssigned, withTicket(AgentData(agentId: after.assignedAgent, agentName: session?.agentName)))
            }
        }
        for message in messages {
            add(.newMessage, withTicket(MessageEventData(ticketId: after.ticketId, message: message)))
        }
        for event in events where event.type == .slaWarning || event.type == .slaBreached {
            add(event.type == .slaWarning ? .slaWarning : .slaBreached,
                withTicket(SLAEventData(target: event.details["target"], dueAt: event.details["dueAt"])), to: .staff)
        }
        // Rules that proposed something or failed; the rest are in the audit only.
        for entry in entries where !entry.proposed.isEmpty || entry.error != nil {
            add(.ruleFired, EventJSON.written(RuleFiredData(ticketId: after.ticketId, entry: entry)), to: .staff)
            for hook in entry.webhooks ?? [] {
                let data = withTicket(RuleWebhookData(ticketId: after.ticketId, rule: entry.rule, endpoint: hook.endpoint, event: hook.event))
                out.append(LiveEvent(
                    tenantId: after.tenantId, type: .ruleWebhook, ticketId: after.ticketId, customerId: after.customerId, audience: .staff,
                    data: data, at: now))
            }
            for notice in entry.notifications ?? [] {
                let data = withTicket(NotificationData(ticketId: after.ticketId, rule: entry.rule, target: notice.target, message: notice.message))
                var event = LiveEvent(
                    tenantId: after.tenantId, type: .notification, ticketId: after.ticketId, customerId: after.customerId,
                    audience: notice.target == "customer" ? .everyone : .staff, data: data, at: now)
                switch notice.target {
                case "assignee": event.agentId = after.assignedAgent
                case "customer": break
                case let target where target.hasPrefix("agent:"): event.agentId = String(target.dropFirst("agent:".count))
                case let target where target.hasPrefix("queue:"): event.queue = String(target.dropFirst("queue:".count))
                default: break
                }
                out.append(event)
            }
        }
        let origin = live.origin
        for index in out.indices { out[index].origin = origin }
        return out
    }

    /// With `onlyIfOpen`, the message joins only a ticket that is still open on the version
    /// written (`TicketNoLongerOpen` otherwise): a customer's message never lands in a ticket
    /// closed or resolved between the lookup and the write.
    func postMessage(_ principal: Principal, _ ticketId: String, draft: MessageDraft, onlyIfOpen: Bool = false) async throws -> (Ticket, [TicketMessage]) {
        try await converseAndMutate(principal, ticketId, message: draft) { ticket, tenant, now in
            if onlyIfOpen, !openStatuses(tenant).contains(ticket.status) { throw TicketNoLongerOpen() }
            if ticket.status == tenant.workflow.closed, principal.isStaff {
                throw DocketError(.conflict, "ticket '\(ticketId)' is closed; reopen it to write")
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
            let agent = try await store.agent(tenantId: tenant.id, id: principal.subject)
            return MessageDraft(
                senderId: principal.subject, senderType: .staff, senderName: agent?.name ?? principal.subject, senderAvatar: agent?.avatarUrl,
                content: content, type: type, attachments: attachments)
        }
        try await ensureCustomer(tenantId: tenant.id, id: principal.subject, now: clock.now())
        let customer = try await store.customer(tenantId: tenant.id, id: principal.subject)
        let name = [customer?.firstName, customer?.lastName].compactMap { $0 }.joined(separator: " ")
        return MessageDraft(
            senderId: principal.subject, senderType: .customer, senderName: name.isEmpty ? nil : name, senderAvatar: customer?.avatarUrl,
            content: content, type: type, attachments: attachments)
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

    /// What a pack switch announces to the tenant's staff, written with the switch.
    func packOutbox(_ tenant: Tenant, at now: Date) -> Outbox {
        let data = PackEventData(tenantId: tenant.id, packId: tenant.pack.id, version: tenant.pack.version)
        var event = LiveEvent(tenantId: tenant.id, type: .packActivated, audience: .staff, data: EventJSON.text(data), at: now)
        event.origin = live.origin
        return Outbox(
            live: [event],
            retain: live.settings.retainedPerTenant, onCommit: live.commitHook)
    }
}

// MARK: - Event payloads

enum LiveData {
    /// `{"ticket":<summary>, ...the fields of object}`.
    static func splice(ticket summary: String, into object: String) -> String {
        let rest = object.dropFirst().drop { $0 == " " }
        return rest.hasPrefix("}") ? "{\"ticket\":\(summary)}" : "{\"ticket\":\(summary),\(rest)"
    }
}

struct AgentData: Encodable {
    var agentId: String?
    var agentName: String? = nil
    var previousAgent: String? = nil
    var reason: String? = nil
}

struct SLAEventData: Encodable {
    var target: String?
    var dueAt: String?
}

struct NoteEventData: Encodable, JSONWritable {
    var ticketId: String
    var note: Note

    func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("note", note)
        out.field("ticketId", ticketId)
        out.endObject()
    }
}

struct MessageEventData: Encodable {
    var ticketId: String
    var message: TicketMessage
}

struct ReadEventData: Encodable {
    var ticketId: String
    var reader: String
    var readerId: String
    var marked: Int
    var readAt: Date
    var ticket: LiveTicketSummary
}

struct RuleFiredData: Encodable, JSONWritable {
    var ticketId: String
    var entry: RuleAuditEntry

    func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("entry", entry)
        out.field("ticketId", ticketId)
        out.endObject()
    }
}

struct NotificationData: Encodable {
    var ticketId: String
    var rule: String
    var target: String
    var message: String
}

struct RuleWebhookData: Encodable {
    var ticketId: String
    var rule: String
    var endpoint: String
    var event: String
}

struct TypingData: Encodable {
    var ticketId: String
    var senderType: String
    var senderId: String
}

struct PackEventData: Encodable {
    var tenantId: String
    var packId: String
    var version: String
}

/// The open ticket a message was meant for was resolved or closed meanwhile.
struct TicketNoLongerOpen: Error {}
