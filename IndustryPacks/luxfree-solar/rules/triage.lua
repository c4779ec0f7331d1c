-- LUXFREE triage: danger words make a ticket urgent and electrical; other requests are
-- categorised and routed to their queue. After hours, urgent tickets go to the on-call agent.
local text = require("docket.text")
local act = require("docket.actions")
local hours = require("docket.hours")
local routing = require("docket.routing")
local words = require("keywords")

-- Mexico City office: Monday to Saturday, 08:00-14:00 and 15:00-18:00 (lunch 14-15).
local OFFICE = hours.weekdays({ { "08:00", "14:00" }, { "15:00", "18:00" } }, true)

function on_ticket_created(event, ctx)
  local ticket = event.ticket
  local body = ticket.subject .. " " .. ticket.description
  local actions = {}

  local danger = text.find_any(body, words.danger)
  if danger then
    actions[#actions + 1] = { type = "set_priority", priority = "urgent" }
    actions[#actions + 1] = { type = "set_category", category = "electrical_issue" }
    actions[#actions + 1] = { type = "route_to_queue", queue = "electrical" }
    actions[#actions + 1] = { type = "add_tag", tag = "riesgo_electrico" }
    if not hours.is_open(ctx["local"], OFFICE) then
      local on_call = routing.least_loaded(ctx.agents, { "on_call" })
      if on_call then
        actions[#actions + 1] = { type = "escalate", to = on_call.id, reason = "Urgencia eléctrica fuera de horario (" .. danger .. ")" }
      else
        actions[#actions + 1] = { type = "add_internal_note", text = "Urgencia eléctrica fuera de horario y sin agente de guardia disponible: llamar al supervisor." }
      end
    end
    return actions
  end

  if text.contains_any(body, words.billing) then
    act.file(actions, ticket, "billing", "billing", "least_loaded")
  elseif text.contains_any(body, words.installation) then
    act.file(actions, ticket, "solar_installation", "installation", "round_robin")
  elseif text.contains_any(body, words.lighting) then
    act.file(actions, ticket, "light_malfunction", "field")
  elseif text.contains_any(body, words.maintenance) then
    act.file(actions, ticket, "maintenance", "field")
  end
  if ticket.priority == "low" and ticket.source == "whatsapp" and #actions > 0 then
    actions[#actions + 1] = { type = "set_priority", priority = "medium" }
  end
  return actions
end
