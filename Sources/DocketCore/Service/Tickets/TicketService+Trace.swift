import Foundation

/// Why a ticket is as it is: every rule evaluation it kept, grouped by the change that ran it,
/// newest first, with each handler's outcome and the actions that decided something. Built from
/// the ticket's rule audit, so it keeps what the audit keeps (`Ticket.maxAuditEntries` entries
/// and `RuleOutputBounds.auditCharacters` of text, newest first).
public struct TicketTrace: Codable, Sendable, Equatable {
    /// How one handler run ended.
    public enum Outcome: String, Codable, Sendable, Equatable {
        /// It proposed actions (applied, rejected, or both).
        case actions
        /// It ran and proposed nothing.
        case noActions = "no_actions"
        /// It failed: syntax, a runtime error (with its Lua position), or a malformed result.
        case error
        /// It ran out of instructions, time or memory.
        case budget
    }

    /// One handler run.
    public struct Handler: Codable, Sendable, Equatable {
        public var rule: String
        public var event: String
        public var depth: Int
        /// `pack@version` that ran it.
        public var pack: String
        public var outcome: Outcome
        public var proposed: [String]
        public var applied: [String]
        public var rejected: [RuleAuditEntry.Rejection]
        public var error: String?
        public var durationMicros: Int
        /// Lua VM instructions, counted every 1,000 (nil: fewer than 1,000, or not counted).
        public var instructions: Int?
        /// During a staged rollout: `canary` (the candidate deciding) or `shadow` (recorded
        /// beside the deciding version; its `applied` is what it would have applied, and
        /// never was). Nil for the active version deciding.
        public var role: String?
    }

    /// An action a handler applied: what decided something in the change.
    public struct Decision: Codable, Sendable, Equatable {
        public var action: String
        public var rule: String
        public var event: String
        public var pack: String
    }

    /// One change's evaluations.
    public struct Change: Codable, Sendable, Equatable {
        /// The ticket version the change stored (nil for evaluations from before it was recorded).
        public var ticketVersion: Int?
        public var at: Date
        /// The events the change itself raised (follow-ups are the handlers' `depth` > 0).
        public var events: [String]
        public var handlers: [Handler]
        public var decisions: [Decision]
    }

    public var ticketId: String
    /// The pack version the ticket's tenant runs now.
    public var activePack: String
    public var changes: [Change]
}

extension TicketService {
    /// The ticket's trace (staff): which handlers ran for each change, what each returned, how
    /// long it took and which version decided.
    public func trace(_ principal: Principal, _ ticketId: String) async throws -> TicketTrace {
        try Self.requireStaff(principal)
        let tenant = try await tenant(for: principal)
        let ticket = try await load(principal, ticketId)
        return TicketTrace(ticketId: ticket.ticketId, activePack: "\(tenant.pack.id)@\(tenant.pack.version)", changes: Self.changes(ticket.ruleAudit ?? []))
    }

    /// The audit's entries grouped by change (the ticket version each stored, or their time for
    /// entries from before), newest first.
    static func changes(_ audit: [RuleAuditEntry]) -> [TicketTrace.Change] {
        var changes: [TicketTrace.Change] = []
        for entry in audit {
            let pack = "\(entry.packId)@\(entry.packVersion)"
            let handler = TicketTrace.Handler(
                rule: entry.rule, event: entry.event, depth: entry.depth, pack: pack, outcome: outcome(entry), proposed: entry.proposed,
                applied: entry.applied, rejected: entry.rejected, error: entry.error, durationMicros: entry.durationMicros,
                instructions: entry.instructions, role: entry.role)
            // A shadow run decided nothing.
            let decisions = entry.role == "shadow" ? [] : entry.applied.map { TicketTrace.Decision(action: $0, rule: entry.rule, event: entry.event, pack: pack) }
            if let last = changes.last, last.ticketVersion == entry.ticketVersion, entry.ticketVersion != nil || last.at == entry.at {
                changes[changes.count - 1].handlers.append(handler)
                changes[changes.count - 1].decisions += decisions
                if entry.depth == 0, !last.events.contains(entry.event) { changes[changes.count - 1].events.append(entry.event) }
            } else {
                changes.append(TicketTrace.Change(
                    ticketVersion: entry.ticketVersion, at: entry.at, events: entry.depth == 0 ? [entry.event] : [], handlers: [handler],
                    decisions: decisions))
            }
        }
        return changes.reversed()
    }

    static func outcome(_ entry: RuleAuditEntry) -> TicketTrace.Outcome {
        if entry.error != nil { return entry.overranBudget ? .budget : .error }
        return entry.proposed.isEmpty ? .noActions : .actions
    }
}
