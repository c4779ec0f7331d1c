import Foundation

extension TicketService {
    /// Tickets a scheduler pass changes at once: each is its own change (its own turn and
    /// conditional write), so they run side by side and the store groups their writes.
    public static let timerConcurrency = 16

    /// Fires the SLA warnings and breaches and the rules' timers due now on up to `limit`
    /// tickets, `timerConcurrency` at a time, each exactly once (one conditional write per
    /// ticket; another scheduler that got there first leaves nothing due), through the rules.
    /// Returns how many events fired.
    @discardableResult
    public func fireDueTimers(limit: Int = 500) async throws -> Int {
        // Rollout figures that waited long enough join their records on the same pass.
        await RolloutKeeper(core: core).flushDue()
        let refs = try await stores.timers.dueTimerTickets(before: clock.now(), limit: limit)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            var (fired, next) = (0, 0)
            func start() {
                let ref = refs[next]
                next += 1
                group.addTask { try await fireDue(ref) }
            }
            while next < min(Self.timerConcurrency, refs.count) { start() }
            while let count = try await group.next() {
                fired += count
                if next < refs.count { start() }
            }
            return fired
        }
    }

    /// Writes every staged-rollout figure this instance holds (at shutdown).
    public func flushRolloutFigures() async {
        await RolloutKeeper(core: core).flushDue(all: true)
    }

    private func fireDue(_ ref: TicketRef) async throws -> Int {
        guard let tenant = try await tenants.tenant(ref.tenantId) else { return 0 }
        do {
            return try await writer.fireDue(ref, tenant: tenant)
        } catch let error as DocketError where error.code == .conflict {
            // Changed by others every time: what is still due fires on the next pass.
            return 0
        }
    }
}
