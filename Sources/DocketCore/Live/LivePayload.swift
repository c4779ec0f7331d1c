import Foundation

/// What a live event says, before the `WireFormat` writes it as the frame's `data`. The core
/// decides what an event carries; the wire format (field names, dates, the ticket summary
/// spliced in) belongs to DocketWire.
public enum LivePayload: Sendable, Equatable {
    /// The ticket's summary alone (`ticket_created`, `ticket_resolved`, `ticket_updated`, ...).
    case ticket
    /// An agent's arrival (`ticket_assigned`, `ticket_claimed`) or an escalation's target.
    case agent(agentId: String?, agentName: String? = nil, previousAgent: String? = nil, reason: String? = nil)
    /// An SLA clock's warning or breach.
    case sla(target: String?, dueAt: String?)
    /// A rule's timer that came due.
    case timer(name: String, dueAt: String?, setBy: String?)
    /// A message of the conversation.
    case message(TicketMessage)
    /// A note (without the summary: notes can be internal).
    case note(Note, ticketId: String)
    /// A rule evaluation that proposed something or failed (without the summary).
    case ruleFired(RuleAuditEntry, ticketId: String)
    /// A rule's `webhook` action for one endpoint.
    case ruleWebhook(rule: String, endpoint: String, event: String)
    /// A rule's `send_mail` action.
    case ruleMail(rule: String, template: String)
    /// A rule's `notify` action.
    case notification(rule: String, target: String, message: String)
    /// Messages marked read by one side.
    case read(reader: String, readerId: String, marked: Int, readAt: Date)
    /// Someone typing, or stopping (without the summary: nothing is stored).
    case typing(ticketId: String, senderType: String, senderId: String)
    /// A tenant's pack switch (no ticket).
    case packActivated(tenantId: String, packId: String, version: String)
    /// A staged rollout started or ended (no ticket).
    case packRollout(PackRolloutNotice)
    /// A webhook endpoint turned off (no ticket).
    case webhookDisabled(webhookId: String, url: String, reason: String)
    /// An agent's presence changed (no ticket).
    case agentPresence(agentId: String, status: PresenceStatus, since: Date)
}

/// What staff are told when a staged rollout starts or ends.
public struct PackRolloutNotice: Sendable, Equatable, Encodable {
    public var tenantId: String
    public var rolloutId: String
    public var packId: String
    public var version: String
    public var mode: String
    /// `running`, `rolled_back`, `promoted`, `aborted`.
    public var state: String
    public var reason: String?

    public init(_ rollout: PackRollout) {
        tenantId = rollout.tenantId
        rolloutId = rollout.id
        packId = rollout.packId
        version = rollout.version
        mode = rollout.mode.rawValue
        state = rollout.state.rawValue
        reason = rollout.reason
    }
}
