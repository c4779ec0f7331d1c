-- Sen Việt SLA escalation: a warning leaves a note; a breach raises the ticket one level and
-- tags it; a missed refund goes to the least-loaded finance agent.
local routing = require("docket.routing")

local RAISE = { low = "medium", medium = "high", high = "urgent", urgent = "urgent" }
local NAMES = { firstResponse = "phản hồi đầu tiên", nextReply = "phản hồi tiếp theo", resolution = "giải quyết" }

function on_sla_warning(event, ctx)
  return { { type = "add_internal_note", text = "Cảnh báo SLA: hạn " .. (NAMES[event.details.target] or "?") .. " sắp đến." } }
end

function on_sla_breached(event, ctx)
  local ticket = event.ticket
  local actions = { { type = "add_tag", tag = "qua_han_sla" } }
  if ticket.priority ~= "urgent" then
    actions[#actions + 1] = { type = "set_priority", priority = RAISE[ticket.priority] }
  end
  if ticket.category == "return_refund" and not ticket.assignedAgent then
    local agent = routing.least_loaded(ctx.agents, { "finance" })
    if agent then actions[#actions + 1] = { type = "assign", agent = agent.id } end
  end
  return actions
end
