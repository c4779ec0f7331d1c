import Foundation
import Testing

@testable import DocketCore

func utc(_ text: String) -> Date { try! Date.ISO8601FormatStyle().parse(text) }

@Suite("Business calendars")
struct BusinessCalendarTests {
    /// Mexico City, Monday to Saturday, lunch 14-15 (UTC-6 all year since 2022).
    static let mexico = BusinessCalendar(
        timeZone: "America/Mexico_City",
        week: Dictionary(uniqueKeysWithValues: ["monday", "tuesday", "wednesday", "thursday", "friday"].map { ($0, ["08:00-14:00", "15:00-18:00"]) }
            + [("saturday", ["09:00-13:00"])]),
        holidays: ["2026-12-25", "01-01"]
    ).schedule

    @Test func lunchBreaksAndEveningsAreSkipped() {
        // Monday 2026-11-16 13:30 local (19:30Z) + 1 h → 15:30 local (21:30Z).
        #expect(Self.mexico.adding(3600, to: utc("2026-11-16T19:30:00Z")) == utc("2026-11-16T21:30:00Z"))
        // Monday 17:30 + 1 h → Tuesday 08:30 local (14:30Z).
        #expect(Self.mexico.adding(3600, to: utc("2026-11-16T23:30:00Z")) == utc("2026-11-17T14:30:00Z"))
        // Saturday 12:30 + 1 h → Monday 08:30 (Sunday closed).
        #expect(Self.mexico.adding(3600, to: utc("2026-11-21T18:30:00Z")) == utc("2026-11-23T14:30:00Z"))
        // Starting at night counts from the next opening.
        #expect(Self.mexico.adding(60, to: utc("2026-11-17T05:00:00Z")) == utc("2026-11-17T14:01:00Z"))
        // Business time between Monday 13:00 and Tuesday 09:00: 1 + 3 + 1 hours.
        #expect(Self.mexico.seconds(from: utc("2026-11-16T19:00:00Z"), to: utc("2026-11-17T15:00:00Z")) == 5 * 3600)
    }

    @Test func holidaysAreClosedOnceOrEveryYear() {
        // Thursday 2026-12-24 17:30 + 1 h: Christmas is closed → Saturday 26th 09:30.
        #expect(Self.mexico.adding(3600, to: utc("2026-12-24T23:30:00Z")) == utc("2026-12-26T15:30:00Z"))
        // New Year (MM-DD, every year): Friday 2027-01-01 is closed → Saturday 2nd.
        #expect(Self.mexico.adding(60, to: utc("2027-01-01T00:00:00Z")) == utc("2027-01-02T15:01:00Z"))
        #expect(Self.mexico.seconds(from: utc("2026-12-25T00:00:00Z"), to: utc("2026-12-26T00:00:00Z")) == 0)
        let ics = """
            BEGIN:VCALENDAR
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20260916
            RRULE:FREQ=YEARLY
            SUMMARY:Independencia
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20261116
            SUMMARY:Revolución (observed)
            END:VEVENT
            END:VCALENDAR
            """
        #expect(BusinessCalendar.holidays(fromICalendar: ics) == ["09-16", "2026-11-16"])
    }

    @Test func periodsMayCrossMidnight() {
        let night = BusinessCalendar(timeZone: "UTC", week: ["monday": ["22:00-06:00"]]).schedule
        #expect(night.adding(2 * 3600, to: utc("2026-11-16T23:00:00Z")) == utc("2026-11-17T01:00:00Z"))
        #expect(night.seconds(from: utc("2026-11-16T21:00:00Z"), to: utc("2026-11-17T07:00:00Z")) == 8 * 3600)
        // Tuesday night is closed: the next opening is Monday 22:00 a week later.
        #expect(night.adding(9 * 3600, to: utc("2026-11-16T22:00:00Z")) == utc("2026-11-23T23:00:00Z"))
    }

    @Test func daylightSavingChangesAreWallClockHours() {
        // New York springs forward on Sunday 2026-03-08. Open 09:00-17:00 every day.
        let newYork = BusinessCalendar(
            timeZone: "America/New_York", week: Dictionary(uniqueKeysWithValues: BusinessCalendar.dayNames.map { ($0, ["09:00-17:00"]) })
        ).schedule
        // Saturday 16:00 EST (21:00Z) + 2 h → Sunday 10:00 EDT (14:00Z).
        #expect(newYork.adding(7200, to: utc("2026-03-07T21:00:00Z")) == utc("2026-03-08T14:00:00Z"))
        #expect(newYork.seconds(from: utc("2026-03-07T21:00:00Z"), to: utc("2026-03-08T14:00:00Z")) == 7200)
        // And back in November: Saturday 16:30 EDT + 1 h → Sunday 09:30 EST (14:30Z).
        #expect(newYork.adding(3600, to: utc("2026-10-31T20:30:00Z")) == utc("2026-11-01T14:30:00Z"))
    }

    @Test func noPeriodsMeansAroundTheClock() {
        let always = BusinessCalendar.allDay("Asia/Ho_Chi_Minh").schedule
        #expect(always.alwaysOpen)
        #expect(always.adding(86_400, to: utc("2026-11-16T00:00:00Z")) == utc("2026-11-17T00:00:00Z"))
    }

    @Test func badCalendarsNameTheField() {
        let bad = BusinessCalendar(timeZone: "Mars/Olympus", week: ["funday": ["9-5"], "monday": ["25:00-26:00"]], holidays: ["someday"])
        let fields = Set(bad.problems(field: "sla.calendar").map(\.field))
        #expect(fields == ["sla.calendar.timeZone", "sla.calendar.week.funday", "sla.calendar.week.monday[0]", "sla.calendar.holidays[0]"])
    }
}
