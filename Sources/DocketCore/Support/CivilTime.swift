import Foundation

/// Wall-clock fields of an instant in a time zone, computed with integer arithmetic
/// (Foundation's Calendar and date formatting cost tens of microseconds per call on Linux).
public struct CivilTime: Sendable, Equatable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var millisecond: Int
    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    public var weekday: Int

    public init(_ date: Date, timeZone: TimeZone) {
        self.init(date, offsetSeconds: timeZone.secondsFromGMT(for: date))
    }

    public init(_ date: Date, offsetSeconds: Int) {
        let totalMillis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) + offsetSeconds * 1000
        let millisPerDay = 86_400_000
        var days = totalMillis / millisPerDay
        var rest = totalMillis % millisPerDay
        if rest < 0 {
            rest += millisPerDay
            days -= 1
        }
        hour = rest / 3_600_000
        minute = rest / 60_000 % 60
        second = rest / 1000 % 60
        millisecond = rest % 1000
        // 1970-01-01 was a Thursday (ISO 4).
        weekday = ((days % 7) + 7 + 3) % 7 + 1
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// `2026-11-18T16:00:00.000Z` for a UTC civil time.
    public var iso8601UTC: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(millisecond, 3))Z"
    }

    /// ISO 8601 in UTC with milliseconds.
    public static func iso8601(_ date: Date) -> String { CivilTime(date, offsetSeconds: 0).iso8601UTC }
}

/// Time zones by identifier, parsed once.
public enum TimeZones {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: TimeZone] = [:]

    public static func named(_ identifier: String) -> TimeZone? {
        lock.lock()
        defer { lock.unlock() }
        if let zone = cache[identifier] { return zone }
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        cache[identifier] = zone
        return zone
    }
}
