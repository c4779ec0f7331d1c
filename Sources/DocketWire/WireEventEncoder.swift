import DocketCore
import Foundation

/// The live events' data as the event log keeps it and clients read it (see `EventEncoder`).
public struct WireEventEncoder: EventEncoder {
    public init() {}

    public func text<T: Encodable>(_ value: T) -> String { EventJSON.text(value) }

    public func summary(_ ticket: LiveTicketSummary) -> String { EventJSON.written(ticket) }

    public func splice(summary: String, into object: String) -> String {
        let rest = object.dropFirst().drop { $0 == " " }
        return rest.hasPrefix("}") ? "{\"ticket\":\(summary)}" : "{\"ticket\":\(summary),\(rest)"
    }

    public func note(_ note: Note, ticketId: String) -> String {
        EventJSON.written(Fields { out in
            out.field("note", note)
            out.field("ticketId", ticketId)
        })
    }

    public func ruleFired(_ entry: RuleAuditEntry, ticketId: String) -> String {
        EventJSON.written(Fields { out in
            out.field("entry", entry)
            out.field("ticketId", ticketId)
        })
    }

    /// An object whose fields a closure writes (in sorted order, as `JSONOut` expects).
    struct Fields: JSONWritable {
        let fields: (inout JSONOut) -> Void

        func write(to out: inout JSONOut) {
            out.beginObject()
            fields(&out)
            out.endObject()
        }
    }
}
