import DocketCore
import Synchronization

/// Tickets decoded from their stored documents, by row. Every change of a ticket raises its
/// version (`updateTicket` is conditional on it), so a row read at the version cached is the
/// document cached: lists and gets skip Foundation's JSON decoding for tickets read before —
/// an agent's list is mostly the same twenty tickets. Bounded; the oldest entries go first.
final class DecodedTickets: Sendable {
    private struct Entry {
        var ticketId: String
        var version: Int
        var ticket: Ticket
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        var order: [Int64] = []
        var next = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    func ticket(row: Int64, ticketId: String, version: Int) -> Ticket? {
        state.withLock { state in
            guard let entry = state.entries[row], entry.version == version, entry.ticketId == ticketId else { return nil }
            return entry.ticket
        }
    }

    func keep(_ ticket: Ticket, row: Int64, version: Int) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if state.entries.updateValue(Entry(ticketId: ticket.ticketId, version: version, ticket: ticket), forKey: row) != nil { return }
            // A ring of rows in arrival order: the slot's old row leaves when the ring is full.
            if state.order.count < capacity {
                state.order.append(row)
            } else {
                state.entries[state.order[state.next]] = nil
                state.order[state.next] = row
                state.next = (state.next + 1) % capacity
            }
        }
    }

    func forget(row: Int64) {
        state.withLock { state in _ = state.entries.removeValue(forKey: row) }
    }
}
