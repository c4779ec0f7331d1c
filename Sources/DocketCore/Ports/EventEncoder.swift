import Foundation

/// Writes live events' data: the wire format the event log keeps and clients receive as is.
/// The core says what an event carries; this says how it is written (`WireEventEncoder` in
/// DocketWire: ISO 8601 dates with milliseconds, sorted keys, the hot payloads by hand).
public protocol EventEncoder: Sendable {
    /// A payload as JSON text.
    func text<T: Encodable>(_ value: T) -> String
    /// The ticket summary every event of one change carries, written once per change.
    func summary(_ ticket: LiveTicketSummary) -> String
    /// `object` (a JSON object's text) with `summary` as its `ticket` field.
    func splice(summary: String, into object: String) -> String
    /// A note's event: `{"note", "ticketId"}`.
    func note(_ note: Note, ticketId: String) -> String
    /// A rule evaluation's event: `{"entry", "ticketId"}`.
    func ruleFired(_ entry: RuleAuditEntry, ticketId: String) -> String
}
