import DocketCore
import Foundation
import GRDB

extension SQLiteTicketStore {
    /// Creates `count` tickets of one tenant in one transaction, numbered after the tenant's
    /// counter like `createTicket` (which it matches: counter, ticket, index rows, customer
    /// counts). For seeding data sets and bulk imports; `build` gets each number.
    public func importTickets(
        tenantId: String, counterYear: Int, count: Int, report: (@Sendable (Ticket) -> ReportDelta)? = nil,
        build: @Sendable @escaping (Int) -> Ticket
    ) async throws {
        guard count > 0 else { return }
        let codec = codec
        try await write { db in
            let last = try Self.takeNumbers(db, tenantId: tenantId, counterYear: counterYear, count: count)
            var perCustomer: [String: Int] = [:]
            // The tickets' report figures, summed, in the same transaction.
            var figures = ReportDelta()
            for number in (last - count + 1)...last {
                let ticket = build(number)
                let (doc, audit) = try Self.documents(ticket, codec)
                try Self.insert(ticket, db, doc: doc, audit: audit)
                perCustomer[ticket.customerId, default: 0] += 1
                if let report { figures.add(report(ticket)) }
            }
            try Self.addReport(figures, tenantId: tenantId, db)
            for (customer, added) in perCustomer {
                try db.cachedStatement(sql: "UPDATE customers SET total_tickets = total_tickets + ? WHERE tenant_id = ? AND id = ?")
                    .execute(arguments: [added, tenantId, customer])
            }
        }
    }
}
