local hours = require("docket.hours")
local T = {}

local schedule = hours.weekdays({ { "08:00", "14:00" }, { "15:00", "18:00" } }, true)

local function at(weekday, hour, minute, day)
  return { year = 2026, month = 11, day = day or 18, weekday = weekday, hour = hour, minute = minute or 0 }
end

function T.open_in_the_morning_and_afternoon()
  assert(hours.is_open(at(3, 9), schedule))
  assert(hours.is_open(at(3, 15, 30), schedule))
  assert(hours.is_open(at(6, 10), schedule))
end

function T.closed_at_lunch_at_night_and_sunday()
  assert(not hours.is_open(at(3, 14, 30), schedule))
  assert(not hours.is_open(at(3, 18), schedule))
  assert(not hours.is_open(at(3, 7, 59), schedule))
  assert(not hours.is_open(at(7, 10), schedule))
end

function T.holidays_close_the_day()
  assert(not hours.is_open(at(3, 9, 0, 18), schedule, { "2026-11-18" }))
  assert(hours.is_open(at(3, 9, 0, 18), schedule, { "2026-12-25" }))
end

function T.minutes_until_open()
  assert(hours.minutes_until_open(at(3, 9), schedule) == 0)
  assert(hours.minutes_until_open(at(3, 14, 30), schedule) == 30)
  assert(hours.minutes_until_open(at(6, 19), schedule) == 5 * 60 + 24 * 60 + 8 * 60)  -- Saturday 19:00 -> Monday 08:00
end

function T.rejects_bad_times()
  assert(not pcall(hours.is_open, at(3, 9), { [3] = { { "8am", "14:00" } } }))
end

return T
