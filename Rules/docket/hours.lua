-- docket.hours: business-hours arithmetic on ctx.local (the tenant's wall clock).
-- A schedule maps ISO weekdays (1 = Monday ... 7 = Sunday) to lists of {"HH:MM", "HH:MM"}
-- periods; several periods per day model a lunch break. Holidays are "YYYY-MM-DD" strings.
local M = {}

local function minutes(hhmm)
  local h, m = hhmm:match("^(%d%d?):(%d%d)$")
  if not h then error("docket.hours: '" .. tostring(hhmm) .. "' is not HH:MM", 3) end
  return tonumber(h) * 60 + tonumber(m)
end

local function date_key(local_time)
  return string.format("%04d-%02d-%02d", local_time.year, local_time.month, local_time.day)
end

--- True when `local_time` falls inside an opening period of `schedule` and is not a holiday.
function M.is_open(local_time, schedule, holidays)
  if holidays then
    local today = date_key(local_time)
    for _, day in ipairs(holidays) do
      if day == today then return false end
    end
  end
  local periods = schedule[local_time.weekday] or {}
  local now = local_time.hour * 60 + local_time.minute
  for _, period in ipairs(periods) do
    if now >= minutes(period[1]) and now < minutes(period[2]) then return true end
  end
  return false
end

--- Minutes until the schedule next opens (0 when open now); nil when it never opens in 14 days.
function M.minutes_until_open(local_time, schedule, holidays)
  if M.is_open(local_time, schedule, holidays) then return 0 end
  local now = local_time.hour * 60 + local_time.minute
  for offset = 0, 13 do
    local weekday = (local_time.weekday - 1 + offset) % 7 + 1
    for _, period in ipairs(schedule[weekday] or {}) do
      local start = minutes(period[1])
      if offset > 0 or start > now then
        return offset * 1440 + start - now
      end
    end
  end
  return nil
end

--- The same schedule for Monday to Friday (or to Saturday with `saturday = true`).
function M.weekdays(periods, saturday)
  local schedule = {}
  for day = 1, saturday and 6 or 5 do schedule[day] = periods end
  return schedule
end

return M
