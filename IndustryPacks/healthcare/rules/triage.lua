-- Clinic triage: urgency words make a request urgent for the triage nurses with a fixed note
-- telling staff to call; other requests go to their desk. Tags are fixed words only.
local text = require("docket.text")
local act = require("docket.actions")
local t = require("terms")

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
    act.file(actions, ticket, "prescriptions", "pharmacy")
  elseif text.contains_any(body, t.appointments) then
    act.file(actions, ticket, "appointments", "scheduling", "round_robin")
  elseif text.contains_any(body, t.records) then
    act.file(actions, ticket, "records", "records")
    if ticket.priority == "medium" then actions[#actions + 1] = { type = "set_priority", priority = "low" } end
  elseif text.contains_any(body, t.billing) then
    act.file(actions, ticket, "billing", "billing")
  end
  return actions
end
