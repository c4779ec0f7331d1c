import Foundation

/// The JSON text the core hands on without writing or reading it itself: live events' data
/// (the text the event log keeps and clients receive as is) and the assistant's tool calls
/// (their arguments and outputs are JSON strings inside the assistant API's messages).
/// DocketWire implements it (`DocketWireFormat`); the core says what, never how.
public protocol WireFormat: Sendable {
    /// Each payload's `data`, for events about `ticket` (its summary written once and put in
    /// each payload that carries it, with the ticket's id) or about no ticket (nil).
    func eventData(_ payloads: [LivePayload], about ticket: LiveTicketSummary?) -> [String]
    /// A tool call's `arguments` text as a value; nil when it is not JSON.
    func toolArguments(_ text: String) -> JSONValue?
    /// A tool's output as the assistant API carries it.
    func toolOutput(_ value: JSONValue) -> String
}

extension WireFormat {
    /// One payload's `data`.
    public func eventData(_ payload: LivePayload, about ticket: LiveTicketSummary?) -> String {
        eventData([payload], about: ticket)[0]
    }
}
