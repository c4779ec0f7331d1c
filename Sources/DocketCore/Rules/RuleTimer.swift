import Foundation

/// A ticket's named timer, set by a rule's `schedule` action. When it comes due the ticket
/// gets a `ticket.timer` event (`on_ticket_timer`) through the change pipeline, once: the
/// scheduler that fires it removes it in the same conditional write.
public struct RuleTimer: Codable, Sendable, Equatable {
    /// 1-64 lower-case letters, digits and `_`; unique on the ticket.
    public var name: String
    public var dueAt: Date
    public var setAt: Date
    /// The rule that set it (`rules/followup.lua:on_ticket_created`).
    public var setBy: String
    /// The delay as the rule wrote it (`2h`, `1d12h`).
    public var after: String
    /// Counted in the tenant's business hours rather than calendar time.
    public var business: Bool
    /// Kept when the ticket is resolved or closed (dropped otherwise).
    public var keep: Bool
    /// How many timer firings in a row led to this one (a timer set while handling a timer's
    /// firing is a repeat of it); at `TimerLimits.repeats` a chain stops.
    public var repeats: Int

    public init(name: String, dueAt: Date, setAt: Date, setBy: String, after: String, business: Bool, keep: Bool, repeats: Int) {
        self.name = name
        self.dueAt = dueAt
        self.setAt = setAt
        self.setBy = setBy
        self.after = after
        self.business = business
        self.keep = keep
        self.repeats = repeats
    }
}

/// What rules' timers may do, whatever a rule asks.
public enum TimerLimits {
    /// Timers one ticket holds at once; a `schedule` of a new name beyond it is rejected.
    public static let perTicket = 10
    /// The shortest delay: a timer cannot fire sooner than this after it was set.
    public static let shortest: TimeInterval = 60
    /// The longest delay.
    public static let longest: TimeInterval = 365 * 86_400
    /// Firings in a row one chain of timers may cause: the timer a rule sets while handling the
    /// 100th firing of a chain (a timer that reschedules itself, or two that set each other) is
    /// rejected, and the chain ends there. With `shortest`, a runaway rule costs a ticket at most
    /// one event a minute, 100 in all.
    public static let repeats = 100
    /// A timer's name.
    public static let nameLength = 64
}

extension RuleTimer {
    /// Seconds in a delay written as whole numbers of days, hours and minutes, largest first:
    /// `90m`, `2h`, `3d`, `1d12h`, `1h30m`. Nil when it is not one.
    public static func seconds(_ text: String) -> Int? {
        var total = 0, number = 0, digits = 0
        var lastUnit = Int.max
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                guard digits < 6 else { return nil }
                number = number * 10 + digit
                digits += 1
                continue
            }
            let unit: Int
            switch character {
            case "d": unit = 86_400
            case "h": unit = 3_600
            case "m": unit = 60
            default: return nil
            }
            guard digits > 0, unit < lastUnit else { return nil }
            total += number * unit
            (number, digits, lastUnit) = (0, 0, unit)
        }
        return digits == 0 && lastUnit != Int.max ? total : nil
    }

    /// Sets (or replaces) the ticket's timer `name`, `repeats` firings into a chain; throws a
    /// `DocketError` saying why when the limits refuse it (`TimerLimits`).
    public static func set(
        _ ticket: inout Ticket, name: String, after: String, business: Bool, keep: Bool, rule: String, repeats: Int,
        calendar: BusinessCalendar, now: Date
    ) throws {
        guard validName(name) else {
            throw DocketError.invalid("name", "a timer's name is 1-\(TimerLimits.nameLength) lower-case letters, digits or _")
        }
        let due = try due(after: after, business: business, from: now, calendar: calendar)
        guard repeats < TimerLimits.repeats else {
            throw DocketError(.conflict, "timers fired \(TimerLimits.repeats) times in a row on this ticket; '\(name)' is not set again")
        }
        var timers = ticket.timers ?? []
        let timer = RuleTimer(name: name, dueAt: due, setAt: now, setBy: rule, after: after, business: business, keep: keep, repeats: repeats)
        if let index = timers.firstIndex(where: { $0.name == name }) {
            timers[index] = timer
        } else {
            guard timers.count < TimerLimits.perTicket else {
                throw DocketError(.conflict, "a ticket holds at most \(TimerLimits.perTicket) timers")
            }
            timers.append(timer)
        }
        ticket.timers = timers
    }

    /// Whether `name` may name a timer.
    public static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= TimerLimits.nameLength
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// When a timer set at `now` for `after` comes due: in the tenant's business hours with
    /// `business`, calendar time otherwise. Throws a `DocketError` saying why a delay is refused.
    public static func due(after: String, business: Bool, from now: Date, calendar: BusinessCalendar) throws -> Date {
        guard let seconds = seconds(after) else {
            throw DocketError.invalid("after", "'\(after.prefix(32))' is not a delay (whole days, hours and minutes, largest first: 90m, 2h, 1d12h)")
        }
        guard TimeInterval(seconds) >= TimerLimits.shortest else {
            throw DocketError.invalid("after", "a timer waits at least \(Int(TimerLimits.shortest)) seconds ('\(after)' is shorter)")
        }
        guard TimeInterval(seconds) <= TimerLimits.longest else {
            throw DocketError.invalid("after", "a timer waits at most \(Int(TimerLimits.longest / 86_400)) days ('\(after)' is longer)")
        }
        return business ? calendar.schedule.adding(TimeInterval(seconds), to: now) : now.addingTimeInterval(TimeInterval(seconds))
    }
}

/// The rules' timers of a change: set and cancelled by actions (in `RuleRunner`), fired when
/// due, dropped when the ticket is resolved or closed. Pure: no I/O.
enum TimerKeeper {
    /// Sets (or replaces) the named timer. `cause` is the event being handled: a timer set while
    /// handling a timer's firing is a repeat of it.
    static func schedule(
        _ ticket: inout Ticket, name: String, after: String, business: Bool, keep: Bool, rule: String, cause: PendingEvent,
        tenant: Tenant, now: Date
    ) throws {
        let repeats = cause.type == .ticketTimer ? (Int(cause.details["repeats"] ?? "") ?? 0) + 1 : 0
        try RuleTimer.set(
            &ticket, name: name, after: after, business: business, keep: keep, rule: rule, repeats: repeats, calendar: tenant.businessHours,
            now: now)
    }

    /// Drops the named timer; nothing when there is none.
    static func cancel(_ ticket: inout Ticket, name: String) {
        ticket.timers?.removeAll { $0.name == name }
        if ticket.timers?.isEmpty == true { ticket.timers = nil }
    }

    /// Removes the timers due by `now` and answers their `ticket.timer` events, earliest first.
    static func fire(_ ticket: inout Ticket, now: Date) -> [PendingEvent] {
        guard let timers = ticket.timers else { return [] }
        let due = timers.filter { $0.dueAt <= now }.sorted { ($0.dueAt, $0.name) < ($1.dueAt, $1.name) }
        guard !due.isEmpty else { return [] }
        let left = timers.filter { $0.dueAt > now }
        ticket.timers = left.isEmpty ? nil : left
        return due.map { timer in
            PendingEvent(.ticketTimer, [
                "name": timer.name, "dueAt": CivilTime.iso8601(timer.dueAt), "setBy": timer.setBy, "repeats": String(timer.repeats),
            ])
        }
    }

    /// A ticket just resolved or closed loses its timers, except those set with `keep`.
    static func settle(_ ticket: inout Ticket, before: Ticket?, workflow: Workflow) {
        guard ticket.timers != nil else { return }
        let finished: Set<String> = [workflow.resolved, workflow.closed]
        guard finished.contains(ticket.status), !(before.map { finished.contains($0.status) } ?? false) else { return }
        ticket.timers?.removeAll { !$0.keep }
        if ticket.timers?.isEmpty == true { ticket.timers = nil }
    }
}

extension Ticket {
    /// The earliest moment the scheduler has something to fire: an SLA warning or breach, or a
    /// rule's timer. Stores index it.
    public var nextWakeAt: Date? {
        let timer = timers?.lazy.map(\.dueAt).min()
        switch (sla.nextTimerAt, timer) {
        case (let sla?, let timer?): return min(sla, timer)
        case (let sla, nil): return sla
        case (nil, let timer): return timer
        }
    }
}
