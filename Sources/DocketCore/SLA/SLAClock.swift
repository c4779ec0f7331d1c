import Foundation

/// One SLA target running on a ticket, counted in business time through the tenant's calendar.
public struct SLAClock: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case firstResponse, nextReply, resolution
    }

    public var kind: Kind
    public var targetSeconds: Int
    /// False for targets counted around the clock (`allDay`).
    public var businessHours: Bool
    public var startedAt: Date
    /// Business seconds consumed before `since`.
    public var consumedSeconds: Double
    /// Running since (nil while paused or stopped).
    public var since: Date?
    /// Business seconds the clock spent paused.
    public var pausedSeconds: Double
    public var pausedSince: Date?
    /// When the target is breached if the clock keeps running (nil unless running).
    public var dueAt: Date?
    public var warnAt: Date?
    public var warnedAt: Date?
    public var stoppedAt: Date?
    public var met: Bool?
    public var breachedAt: Date?
    /// Seconds of the clock's time (business time for a business-hours clock) left when the
    /// ticket was read, negative once overdue; set on a single ticket's read, never stored.
    public var remainingSeconds: Double?

    /// A target decided in the past (imports and seeded data): stopped at `stoppedAt` after
    /// `consumedSeconds`, met or breached by them.
    public static func decided(kind: Kind, targetSeconds: Int, startedAt: Date, stoppedAt: Date, consumedSeconds: Double) -> SLAClock {
        let met = consumedSeconds <= Double(targetSeconds)
        return SLAClock(
            kind: kind, targetSeconds: targetSeconds, businessHours: true, startedAt: startedAt, consumedSeconds: consumedSeconds, since: nil,
            pausedSeconds: 0, pausedSince: nil, dueAt: nil, warnAt: nil, warnedAt: nil, stoppedAt: stoppedAt, met: met,
            breachedAt: met ? nil : startedAt.addingTimeInterval(Double(targetSeconds)))
    }

    public var isRunning: Bool { since != nil }
    public var isPaused: Bool { pausedSince != nil }
}

/// The SLA rules of one tenant for one ticket: its calendar and warning thresholds.
public struct SLAContext: Sendable {
    public let schedule: BusinessSchedule
    public let allDay: BusinessSchedule
    public let warning: SLAWarning
    public let policy: SLAPolicy

    public init(_ tenant: Tenant) {
        policy = tenant.sla
        let calendar = tenant.businessHours
        schedule = calendar.schedule
        allDay = BusinessCalendar.allDay(calendar.timeZone).schedule
        warning = tenant.sla.warning ?? SLAWarning()
    }

    func schedule(for clock: SLAClock) -> BusinessSchedule { clock.businessHours ? schedule : allDay }

    func consumed(_ clock: SLAClock, at now: Date) -> Double {
        guard let since = clock.since else { return clock.consumedSeconds }
        return clock.consumedSeconds + schedule(for: clock).seconds(from: since, to: now)
    }

    /// Recomputes due and warning instants of a running clock from what it has consumed.
    func plan(_ clock: inout SLAClock, at now: Date) {
        guard clock.isRunning else {
            clock.dueAt = nil
            clock.warnAt = nil
            return
        }
        clock.consumedSeconds = consumed(clock, at: now)
        clock.since = now
        let calendar = schedule(for: clock)
        let target = Double(clock.targetSeconds)
        clock.dueAt = calendar.adding(max(0, target - clock.consumedSeconds), to: now)
        // "75 % elapsed or 15 minutes before", whichever comes first; a target shorter than the
        // minutes warns by percent alone.
        let byPercent = target * Double(warning.percent) / 100
        let byMinutes = target - Double(warning.minutesBefore * 60)
        let threshold = byMinutes > 0 ? min(byPercent, byMinutes) : byPercent
        clock.warnAt = clock.warnedAt == nil ? calendar.adding(max(0, threshold - clock.consumedSeconds), to: now) : nil
    }

    func start(_ kind: SLAClock.Kind, seconds: Int, allDay: Bool, at now: Date) -> SLAClock {
        var clock = SLAClock(
            kind: kind, targetSeconds: seconds, businessHours: !allDay, startedAt: now, consumedSeconds: 0, since: now,
            pausedSeconds: 0, pausedSince: nil, dueAt: nil, warnAt: nil, warnedAt: nil, stoppedAt: nil, met: nil, breachedAt: nil)
        plan(&clock, at: now)
        return clock
    }

    func stop(_ clock: inout SLAClock, at now: Date) {
        guard clock.stoppedAt == nil else { return }
        if clock.isPaused { resumeAccounting(&clock, at: now) }
        clock.consumedSeconds = consumed(clock, at: now)
        clock.since = nil
        clock.stoppedAt = now
        clock.met = clock.breachedAt == nil && clock.consumedSeconds <= Double(clock.targetSeconds)
        if clock.met == false, clock.breachedAt == nil { clock.breachedAt = now }
        plan(&clock, at: now)
    }

    func pause(_ clock: inout SLAClock, at now: Date) {
        guard clock.isRunning else { return }
        clock.consumedSeconds = consumed(clock, at: now)
        clock.since = nil
        clock.pausedSince = now
        plan(&clock, at: now)
    }

    private func resumeAccounting(_ clock: inout SLAClock, at now: Date) {
        if let pausedSince = clock.pausedSince {
            clock.pausedSeconds += schedule(for: clock).seconds(from: pausedSince, to: now)
            clock.pausedSince = nil
        }
    }

    func resume(_ clock: inout SLAClock, at now: Date) {
        guard clock.isPaused, clock.stoppedAt == nil else { return }
        resumeAccounting(&clock, at: now)
        clock.since = now
        plan(&clock, at: now)
    }

    /// A stopped resolution clock runs again (a reopened ticket), keeping what it consumed.
    func restart(_ clock: inout SLAClock, at now: Date, paused: Bool) {
        guard clock.stoppedAt != nil else { return }
        clock.stoppedAt = nil
        clock.met = nil
        if paused { clock.pausedSince = now } else { clock.since = now }
        plan(&clock, at: now)
    }

    func retarget(_ clock: inout SLAClock, seconds: Int, allDay: Bool, at now: Date) {
        guard clock.stoppedAt == nil else { return }
        clock.consumedSeconds = consumed(clock, at: now)
        if clock.isRunning { clock.since = now }
        clock.targetSeconds = seconds
        clock.businessHours = !allDay
        plan(&clock, at: now)
    }
}

extension TicketSLA {
    public func clock(_ kind: SLAClock.Kind) -> SLAClock? { clocks?.first { $0.kind == kind } }

    mutating func update(_ kind: SLAClock.Kind, _ change: (inout SLAClock) -> Void) {
        guard let index = clocks?.firstIndex(where: { $0.kind == kind }) else { return }
        change(&clocks![index])
    }

    /// The earliest pending warning or breach of the running clocks (what the scheduler waits for).
    mutating func refreshNextTimer() {
        nextTimerAt = (clocks ?? []).flatMap { clock -> [Date] in
            guard clock.isRunning else { return [] }
            var out: [Date] = []
            if clock.warnedAt == nil, let warnAt = clock.warnAt { out.append(warnAt) }
            if clock.breachedAt == nil, let dueAt = clock.dueAt { out.append(dueAt) }
            return out
        }.min()
        // The summary fields the statistics read.
        if let first = clock(.firstResponse) {
            firstResponseTargetMs = first.targetSeconds * 1000
            if let due = first.dueAt { firstResponseDueAt = due }
            if let met = first.met { firstResponseMet = met }
        }
        if let resolution = clock(.resolution) {
            resolutionTargetMs = resolution.targetSeconds * 1000
            if let due = resolution.dueAt { resolutionDueAt = due }
            resolutionMet = resolution.met
        }
    }
}
