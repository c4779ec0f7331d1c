import Foundation

/// When a team works: a time zone, opening periods per weekday (several per day, a period
/// may cross midnight), and holidays. No periods at all means 24/7.
///
/// ```yaml
/// calendar:
///   timeZone: America/Mexico_City
///   week:
///     monday: ["08:00-14:00", "15:00-18:00"]      # lunch 14-15
///     saturday: ["09:00-13:00"]
///   holidays: ["2026-12-25", "2027-01-01"]
///   holidayCalendar: calendars/mexico.ics           # VEVENT dates, FREQ=YEARLY repeats
/// ```
public struct BusinessCalendar: Codable, Sendable, Hashable {
    public var timeZone: String
    /// `monday` ... `sunday` → `"HH:MM-HH:MM"` periods. Nil or empty: open 24/7.
    public var week: [String: [String]]?
    /// Closed dates, `YYYY-MM-DD` (one-off) or `MM-DD` (every year).
    public var holidays: [String]?
    /// An iCalendar file of the pack whose events are holidays (merged into `holidays` on load).
    public var holidayCalendar: String?

    public init(timeZone: String, week: [String: [String]]? = nil, holidays: [String]? = nil, holidayCalendar: String? = nil) {
        self.timeZone = timeZone
        self.week = week
        self.holidays = holidays
        self.holidayCalendar = holidayCalendar
    }

    public static let dayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// Open all the time, in `timeZone`.
    public static func allDay(_ timeZone: String) -> BusinessCalendar { BusinessCalendar(timeZone: timeZone) }

    public var isAlwaysOpen: Bool { (week ?? [:]).values.allSatisfy(\.isEmpty) }

    /// Problems with the periods, holidays and zone, each naming its field.
    public func problems(field: String) -> [FieldProblem] {
        var out: [FieldProblem] = []
        if TimeZone(identifier: timeZone) == nil { out.append(.init("\(field).timeZone", "'\(timeZone)' is not an IANA time zone")) }
        for (day, periods) in week ?? [:] {
            guard Self.dayNames.contains(day) else {
                out.append(.init("\(field).week.\(day)", "is not a weekday (monday ... sunday)"))
                continue
            }
            for (index, period) in periods.enumerated() where Self.period(period) == nil {
                out.append(.init("\(field).week.\(day)[\(index)]", "'\(period)' is not HH:MM-HH:MM"))
            }
        }
        for (index, day) in (holidays ?? []).enumerated() where Self.holidayKey(day) == nil {
            out.append(.init("\(field).holidays[\(index)]", "'\(day)' is not YYYY-MM-DD or MM-DD"))
        }
        return out
    }

    /// `"08:00-14:00"` → minutes (480, 840); an end at or before the start crosses midnight.
    static func period(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]), start != end || start == 0 else { return nil }
        return (start, end)
    }

    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440 else {
            return nil
        }
        return h * 60 + m
    }

    static func holidayKey(_ text: String) -> String? {
        let parts = text.split(separator: "-")
        if parts.count == 3, parts[0].count == 4, let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), (1...31).contains(d) {
            return String(format: "%04d-%02d-%02d", Int(parts[0]) ?? 0, m, d)
        }
        if parts.count == 2, let m = Int(parts[0]), let d = Int(parts[1]), (1...12).contains(m), (1...31).contains(d) {
            return String(format: "%02d-%02d", m, d)
        }
        return nil
    }

    /// Holiday dates of an iCalendar file: each VEVENT's DTSTART date; `RRULE:FREQ=YEARLY` makes it yearly.
    public static func holidays(fromICalendar text: String) -> [String] {
        var out: [String] = []
        var start: String?
        var yearly = false
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line == "BEGIN:VEVENT" { start = nil; yearly = false }
            else if line.hasPrefix("DTSTART"), let value = line.split(separator: ":").last {
                let digits = value.prefix(8)
                if digits.count == 8, digits.allSatisfy(\.isNumber) {
                    start = "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))"
                }
            } else if line.hasPrefix("RRULE:"), line.contains("FREQ=YEARLY") { yearly = true }
            else if line == "END:VEVENT", let date = start {
                out.append(yearly ? String(date.dropFirst(5)) : date)
            }
        }
        return out
    }

    /// The compiled form used for arithmetic (compiled once per distinct calendar).
    public var schedule: BusinessSchedule { ScheduleCache.shared.schedule(for: self) }
}

/// A calendar ready for arithmetic: open minutes per ISO weekday, holidays, the zone.
public struct BusinessSchedule: Sendable {
    let zone: TimeZone
    /// Index 1...7 (Monday...Sunday): sorted, non-overlapping [start, end) minute ranges.
    let days: [[(Int, Int)]]
    let dated: Set<String>
    let yearly: Set<String>
    public let alwaysOpen: Bool
    /// How far the arithmetic looks for open time before giving up (a calendar that never opens).
    static let horizonDays = 1_500

    init(_ calendar: BusinessCalendar) {
        zone = TimeZones.named(calendar.timeZone) ?? .gmt
        var days = Array(repeating: [(Int, Int)](), count: 8)
        for (name, periods) in calendar.week ?? [:] {
            guard let index = BusinessCalendar.dayNames.firstIndex(of: name) else { continue }
            let weekday = index + 1
            for text in periods {
                guard let (start, end) = BusinessCalendar.period(text) else { continue }
                if end > start {
                    days[weekday].append((start, end))
                } else {
                    // Crosses midnight: the evening today, the early hours tomorrow.
                    days[weekday].append((start, 1440))
                    if end > 0 { days[weekday % 7 + 1].append((0, end)) }
                }
            }
        }
        self.days = days.map { ranges in
            var merged: [(Int, Int)] = []
            for range in ranges.sorted(by: { $0.0 < $1.0 }) {
                if let last = merged.last, range.0 <= last.1 { merged[merged.count - 1].1 = max(last.1, range.1) } else { merged.append(range) }
            }
            return merged
        }
        var dated = Set<String>(), yearly = Set<String>()
        for text in calendar.holidays ?? [] {
            guard let key = BusinessCalendar.holidayKey(text) else { continue }
            if key.count == 10 { dated.insert(key) } else { yearly.insert(key) }
        }
        self.dated = dated
        self.yearly = yearly
        alwaysOpen = calendar.isAlwaysOpen
    }

    /// Local day number (days since 1970-01-01 in the zone) of an instant.
    func localDay(_ date: Date) -> Int {
        let local = Int((date.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: date))).rounded(.down))
        return local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
    }

    /// The instant of `minute` minutes into local day `day` (DST gaps move forward).
    func instant(day: Int, minute: Int) -> Date {
        let local = Double(day * 86_400 + minute * 60)
        let guess = Date(timeIntervalSince1970: local - Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: local))))
        return Date(timeIntervalSince1970: local - Double(zone.secondsFromGMT(for: guess)))
    }

    func isHoliday(day: Int) -> Bool {
        guard !dated.isEmpty || !yearly.isEmpty else { return false }
        let civil = CivilTime(Date(timeIntervalSince1970: Double(day) * 86_400), offsetSeconds: 0)
        let monthDay = String(format: "%02d-%02d", civil.month, civil.day)
        return yearly.contains(monthDay) || dated.contains(String(format: "%04d-", civil.year) + monthDay)
    }

    /// Open intervals of local day `day`, as instants.
    func openIntervals(day: Int) -> [(Date, Date)] {
        if isHoliday(day: day) { return [] }
        let weekday = ((day % 7) + 7 + 3) % 7 + 1
        return days[weekday].map { (instant(day: day, minute: $0.0), instant(day: day, minute: $0.1)) }
    }

    /// The instant `seconds` of business time after `start`.
    public func adding(_ seconds: TimeInterval, to start: Date) -> Date {
        guard !alwaysOpen else { return start.addingTimeInterval(seconds) }
        var remaining = max(0, seconds)
        let first = localDay(start)
        for day in first..<(first + Self.horizonDays) {
            for (open, close) in openIntervals(day: day) where close > start {
                let from = max(open, start)
                let available = close.timeIntervalSince(from)
                if remaining <= available { return from.addingTimeInterval(remaining) }
                remaining -= available
            }
        }
        return start.addingTimeInterval(Double(Self.horizonDays) * 86_400)
    }

    /// Business time between two instants (0 when `end` is not after `start`).
    public func seconds(from start: Date, to end: Date) -> TimeInterval {
        guard end > start else { return 0 }
        guard !alwaysOpen else { return end.timeIntervalSince(start) }
        var total: TimeInterval = 0
        for day in localDay(start)...localDay(end) {
            for (open, close) in openIntervals(day: day) {
                let from = max(open, start), to = min(close, end)
                if to > from { total += to.timeIntervalSince(from) }
            }
        }
        return total
    }
}

/// Compiled calendars by value: every ticket write of a tenant uses the same few.
final class ScheduleCache: @unchecked Sendable {
    static let shared = ScheduleCache()
    // `entries` is guarded by `lock`.
    private let lock = NSLock()
    private var entries: [BusinessCalendar: BusinessSchedule] = [:]
    static let capacity = 256

    func schedule(for calendar: BusinessCalendar) -> BusinessSchedule {
        if let hit = lock.withLock({ entries[calendar] }) { return hit }
        let compiled = BusinessSchedule(calendar)
        lock.withLock {
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[calendar] = compiled
        }
        return compiled
    }
}
