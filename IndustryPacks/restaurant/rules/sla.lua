-- Guest care SLA escalation: warnings leave a note; a breached food-safety request goes to the
-- manager on duty and is escalated; other breaches are raised one level.
local routing = require("docket.routing")

local RAISE = { low = "medium", medium = "high", high = "urgent", urgent = "urgent" }

function on_sla_warning(event, ctx)
  return { { type = "add_internal_note", text = "SLA warning: the " .. (event.details.target or "target") .. " is due soon." } }
end

function on_sla_breached(event, ctx)
  local ticket = event.ticket
  if ticket.category == "food_safety" then
    local manager = routing.least_loaded(ctx.agents, { "manager" })
    return {
      { type = "add_tag", tag = "sla_breached" },
      { type = "escalate", to = manager and manager.id or nil, reason = "Food safety request past its SLA" },
    }
  end
  local actions = { { type = "add_tag", tag = "sla_breached" } }
  if ticket.priority ~= "urgent" then actions[#actions + 1] = { type = "set_priority", priority = RAISE[ticket.priority] } end
  return actions
end
