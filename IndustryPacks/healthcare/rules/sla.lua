-- Patient support SLA escalation. Notes are fixed texts: nothing the patient wrote is copied.
local routing = require("docket.routing")

function on_sla_warning(event, ctx)
  return { { type = "add_internal_note", text = "SLA warning: this request is due soon." } }
end

function on_sla_breached(event, ctx)
  local ticket = event.ticket
  if ticket.category == "clinical" then
    local nurse = routing.least_loaded(ctx.agents, { "nurse" })
    return {
      { type = "add_tag", tag = "sla_breached" },
      { type = "escalate", to = nurse and nurse.id or nil, reason = "Clinical request past its SLA: call the patient now." },
    }
  end
  local actions = { { type = "add_tag", tag = "sla_breached" } }
  if ticket.priority == "low" or ticket.priority == "medium" then
    actions[#actions + 1] = { type = "set_priority", priority = "high" }
  end
  return actions
end
