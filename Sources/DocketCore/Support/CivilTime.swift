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
        self.init(date, offsetSeconds: TimeZones.offset(timeZone, at: date))
    }

    public init(_ date: Date, offsetSeconds: Int) {
        // Nearest millisecond, as stores keep dates: an instant stored as ...554 ms whose double
        // reads 553.9999 must not come out one millisecond early.
        let totalMillis = Int((date.timeIntervalSince1970 * 1000).rounded()) + offsetSeconds * 1000
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

    /// `2026-11-18T16:00:00.000Z` for a UTC civil time (years 0...9999; written digit by
    /// digit: string interpolation cost more than the rest of a rule's input together).
    public var iso8601UTC: String {
        String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var rest = Swift.max(0, value)
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(year, 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(hour, 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(minute, 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(second, 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            put(millisecond, 3, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// ISO 8601 in UTC with milliseconds.
    public static func iso8601(_ date: Date) -> String { CivilTime(date, offsetSeconds: 0).iso8601UTC }
}

/// Time zones by identifier, parsed once, and their current UTC offsets.
public enum TimeZones {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: TimeZone] = [:]
    /// Per zone: the offset found last and the span it holds for (up to the zone's next
    /// transition, at most a day). Asking Foundation costs microseconds on every rule input.
    nonisolated(unsafe) private static var offsets: [String: (from: Date, until: Date, seconds: Int)] = [:]

    public static func named(_ identifier: String) -> TimeZone? {
        lock.lock()
        defer { lock.unlock() }
        if let zone = cache[identifier] { return zone }
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        cache[identifier] = zone
        return zone
    }

    /// `zone.secondsFromGMT(for: date)`, remembered until the zone's next transition.
    public static func offset(_ zone: TimeZone, at date: Date) -> Int {
        let key = zone.identifier
        if let known = lock.withLock({ offsets[key] }), known.from <= date, date < known.until { return known.seconds }
        let seconds = zone.secondsFromGMT(for: date)
        let dayLater = date.addingTimeInterval(86_400)
        let until = min(zone.nextDaylightSavingTimeTransition(after: date) ?? dayLater, dayLater)
        lock.withLock {
            if offsets.count > 1_000 { offsets.removeAll() }
            offsets[key] = (date, until, seconds)
        }
        return seconds
    }
}
