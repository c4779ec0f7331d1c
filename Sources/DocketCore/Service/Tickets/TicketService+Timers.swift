import Foundation

extension TicketService {
    /// Fires the SLA warnings and breaches and the rules' timers due now, each exactly once (one
    /// conditional write per ticket; another scheduler that got there first leaves nothing due),
    /// through the rules. Returns how many events fired.
    @discardableResult
    public func fireDueTimers(limit: Int = 500) async throws -> Int {
        let now = clock.now()
        var fired = 0
        for ref in try await stores.timers.dueTimerTickets(before: now, limit: limit) {
            guard let tenant = try await tenants.tenant(ref.tenantId) else { continue }
            do {
                fired += try await writer.fireDue(ref, tenant: tenant)
            } catch let error as DocketError where error.code == .conflict {
                // Changed by others every time: what is still due fires on the next pass.
                continue
            }
        }
        return fired
    }
}
