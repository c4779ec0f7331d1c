-- Restaurant triage: food safety first (urgent, manager on duty, a note telling staff what to
-- do), then delivery, reservations, billing and feedback.
local text = require("docket.text")
local act = require("docket.actions")
local w = require("words")

function on_ticket_created(event, ctx)
  local ticket = event.ticket
  local body = ticket.subject .. " " .. ticket.description
  local actions = {}

  local hazard = text.find_any(body, w.safety)
  if hazard then
    actions[#actions + 1] = { type = "set_priority", priority = "urgent" }
    actions[#actions + 1] = { type = "set_category", category = "food_safety" }
    actions[#actions + 1] = { type = "route_to_queue", queue = "manager" }
    actions[#actions + 1] = { type = "add_tag", tag = "food_safety" }
    actions[#actions + 1] = { type = "assign", strategy = "least_loaded" }
    actions[#actions + 1] = {
      type = "add_internal_note",
      text = "Food safety report: call the guest within 10 minutes, keep the batch and log the incident.",
    }
    return actions
  end

  if text.contains_any(body, w.delivery) then
    act.file(actions, ticket, "delivery", "delivery")
    if text.contains_any(body, { "never arrived", "still waiting" }) and ticket.priority ~= "urgent" then
      actions[#actions + 1] = { type = "set_priority", priority = "high" }
    end
  elseif text.contains_any(body, w.reservation) then
    act.file(actions, ticket, "reservations", "reservations", "least_loaded")
  elseif text.contains_any(body, w.billing) then
    act.file(actions, ticket, "billing", "guest_relations")
  elseif text.contains_any(body, w.praise) then
    act.file(actions, ticket, "feedback", "guest_relations")
    actions[#actions + 1] = { type = "set_priority", priority = "low" }
    actions[#actions + 1] = { type = "add_tag", tag = "praise" }
  end
  return actions
end
