import Foundation

/// What the service tells whoever watches it: the composition root counts it in /metrics and
/// logs what an operator should see. Called after the change is stored, never for one that was
/// not; it must not block.
public protocol ServiceObserver: Sendable {
    /// A rule of pack `pack` ran for a ticket (simulations are not told).
    func ruleEvaluated(_ outcome: RuleOutcome, pack: String)
    /// An SLA warning or breach, or a rule's timer (`ticket.timer`), fired on a stored ticket.
    func timerFired(_ type: RuleEventType, ticket: Ticket)
    /// A ticket was created, whatever the path (form, chat message, WebSocket, assistant).
    func ticketCreated(_ ticket: Ticket)
    /// A stored change decided SLA clocks of `ticket`: stopped them (met or missed) or breached
    /// them while they ran.
    func slaDecided(_ decisions: [SLADecision], ticket: Ticket)
}

/// One SLA clock decided: it counts in compliance from then on, once (as the SLA report counts it).
public struct SLADecision: Sendable, Equatable {
    public var kind: SLAClock.Kind
    public var met: Bool

    public init(kind: SLAClock.Kind, met: Bool) {
        self.kind = kind
        self.met = met
    }

    /// The clocks `after` decided that `before` had not: a clock is decided once it stops
    /// (`met` set) or is breached while running; a breached clock that stops later is not
    /// decided again. Clocks are told apart by kind and start.
    public static func between(_ before: Ticket, _ after: Ticket) -> [SLADecision] {
        let earlier = before.sla.clocks ?? []
        return (after.sla.clocks ?? []).compactMap { clock in
            guard isDecided(clock) else { return nil }
            let previous = earlier.first { $0.kind == clock.kind && $0.startedAt == clock.startedAt }
            if let previous, isDecided(previous) { return nil }
            return SLADecision(kind: clock.kind, met: clock.met == true && clock.breachedAt == nil)
        }
    }

    static func isDecided(_ clock: SLAClock) -> Bool { clock.met != nil || clock.breachedAt != nil }
}
