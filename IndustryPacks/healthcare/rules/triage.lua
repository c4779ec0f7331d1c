-- Clinic triage: urgency words make a request urgent for the triage nurses with a fixed note
-- telling staff to call; other requests go to their desk. Tags are fixed words only.
local text = require("docket.text")
local t = require("terms")

local function categorise(actions, ticket, category)
  if ticket.category == "other" then
    actions[#actions + 1] = { type = "set_category", category = category }
  end
end

function on_ticket_created(event, ctx)
  local ticket = event.ticket
  local body = ticket.subject .. " " .. ticket.description
  local actions = {}

  if text.contains_any(body, t.emergency) then
    return {
      { type = "set_priority", priority = "urgent" },
      { type = "set_category", category = "clinical" },
      { type = "route_to_queue", queue = "triage_nurse" },
      { type = "add_tag", tag = "call_patient" },
      { type = "assign", strategy = "least_loaded" },
      { type = "add_internal_note", text = t.call_note },
    }
  end
  if text.contains_any(body, t.worrying) then
    if ticket.priority == "low" or ticket.priority == "medium" then
      actions[#actions + 1] = { type = "set_priority", priority = "high" }
    end
    actions[#actions + 1] = { type = "set_category", category = "clinical" }
    actions[#actions + 1] = { type = "route_to_queue", queue = "triage_nurse" }
    return actions
  end

  if text.contains_any(body, t.prescriptions) then
    categorise(actions, ticket, "prescriptions")
    actions[#actions + 1] = { type = "route_to_queue", queue = "pharmacy" }
  elseif text.contains_any(body, t.appointments) then
    categorise(actions, ticket, "appointments")
    actions[#actions + 1] = { type = "route_to_queue", queue = "scheduling" }
    actions[#actions + 1] = { type = "assign", strategy = "round_robin" }
  elseif text.contains_any(body, t.records) then
    categorise(actions, ticket, "records")
    actions[#actions + 1] = { type = "route_to_queue", queue = "records" }
    if ticket.priority == "medium" then actions[#actions + 1] = { type = "set_priority", priority = "low" } end
  elseif text.contains_any(body, t.billing) then
    categorise(actions, ticket, "billing")
    actions[#actions + 1] = { type = "route_to_queue", queue = "billing" }
  end
  return actions
end
