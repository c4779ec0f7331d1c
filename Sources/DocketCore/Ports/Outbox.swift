import Foundation

/// What a change announces, written with the change (the transactional outbox): its live
/// events, which get the tenant's next ids in that write, and the rule events recorded for
/// `simulate`. Delivery happens after the commit, from what the write returned.
public struct Outbox: Sendable {
    /// One tenant's live events, in order, without ids.
    public var live: [LiveEvent]
    public var rules: [RecordedRuleEvent]
    /// Live events kept per tenant: older ones are dropped in the same write.
    public var retain: Int
    /// Called with the stored live events once the write committed, in commit order (SQLite:
    /// on the writer, right after the commit; memory: under the store's lock). Must only queue.
    public var onCommit: (@Sendable ([LiveEvent]) -> Void)?
    /// What the change adds to the tenant's kept report figures (SQLite and memory: in the
    /// same write; MongoDB: carried in the document's batch and folded by `ReportFolder`).
    public var report: ReportDelta

    public init(
        live: [LiveEvent] = [], rules: [RecordedRuleEvent] = [], retain: Int = 10_000, onCommit: (@Sendable ([LiveEvent]) -> Void)? = nil,
        report: ReportDelta = .empty
    ) {
        self.live = live
        self.rules = rules
        self.retain = retain
        self.onCommit = onCommit
        self.report = report
    }

    public static let empty = Outbox()
}

/// The outbox of a ticket being created: its recorded rule events are known before the ticket
/// is numbered (the store names the ticket in them, as in its first messages); its live events
/// are made from the built ticket.
public struct CreationOutbox: Sendable {
    /// The store sets each one's `ticketId` from the built ticket.
    public var rules: [RecordedRuleEvent]
    public var live: @Sendable (Ticket) throws -> [LiveEvent]
    public var retain: Int
    public var onCommit: (@Sendable ([LiveEvent]) -> Void)?
    /// The built ticket's report figures.
    public var report: @Sendable (Ticket) -> ReportDelta

    public init(
        rules: [RecordedRuleEvent] = [], retain: Int = 10_000, onCommit: (@Sendable ([LiveEvent]) -> Void)? = nil,
        live: @escaping @Sendable (Ticket) throws -> [LiveEvent] = { _ in [] },
        report: @escaping @Sendable (Ticket) -> ReportDelta = { _ in .empty }
    ) {
        self.rules = rules
        self.live = live
        self.retain = retain
        self.onCommit = onCommit
        self.report = report
    }

    public static let empty = CreationOutbox()

    /// The outbox of the built ticket.
    public func outbox(for ticket: Ticket) throws -> Outbox {
        Outbox(
            live: try live(ticket), rules: rules.map { var record = $0; record.ticketId = ticket.ticketId; return record }, retain: retain,
            onCommit: onCommit, report: report(ticket))
    }
}
