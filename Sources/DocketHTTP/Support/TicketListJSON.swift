import DocketCore
import DocketWire
import Foundation
import Hummingbird

/// Ticket lists as JSON, byte for byte what encoding a `TicketListEnvelope` writes, with each
/// ticket's JSON reused while the ticket stays at its version (what staff and customers see
/// differs, so they are kept apart). Encoding twenty tickets with Foundation was most of a
/// list's cost; an agent's list is mostly the same tickets from one request to the next.
final class TicketListJSON: Sendable {
    struct Key: Hashable, Sendable {
        var tenantId: String
        var ticketId: String
        var staffView: Bool
    }

    private let tickets: VersionedCache<Key, Data>

    init(capacity: Int = 4096) {
        tickets = VersionedCache(capacity: capacity)
    }

    /// `page` holds tickets as `principal` may see them (`Ticket.visible(to:)`), as lists return them.
    func encode(_ page: Page<Ticket>, for principal: Principal) throws -> Data {
        // Sorted keys: "pagination" comes before "tickets".
        var body = Data(#"{"pagination":"#.utf8)
        body.append(try APICoding.encoder.encode(Pagination(page)))
        body.append(contentsOf: #","tickets":["#.utf8)
        for (index, ticket) in page.items.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            let key = Key(tenantId: ticket.tenantId, ticketId: ticket.ticketId, staffView: principal.isStaff)
            if let known = tickets.value(key, version: ticket.version) {
                body.append(known)
            } else {
                let json = Data(JSONOut.data(ticket, dates: .iso8601))
                // A list never carries the rule audit; a ticket that does is not the listed form.
                if ticket.ruleAudit == nil { tickets.keep(json, for: key, version: ticket.version) }
                body.append(json)
            }
        }
        body.append(contentsOf: "]}".utf8)
        return body
    }

    func response(_ page: Page<Ticket>, for principal: Principal) throws -> Response {
        APICoding.response(json: try encode(page, for: principal))
    }
}
