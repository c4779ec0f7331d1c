-- LUXFREE SLA escalation. A warning leaves a note for the team; a breach of the first
-- response raises the ticket one level and hands it to the least-loaded supervisor (skill
-- "supervisor"); a breached urgent ticket is escalated with the reason.
local routing = require("docket.routing")

local RAISE = { low = "medium", medium = "high", high = "urgent", urgent = "urgent" }
local NAMES = { firstResponse = "primera respuesta", nextReply = "siguiente respuesta", resolution = "resolución" }

function on_sla_warning(event, ctx)
  local target = NAMES[event.details.target] or event.details.target
  return {
    { type = "add_internal_note", text = "Aviso de SLA: la " .. target .. " vence " .. (event.details.dueAt or "pronto") .. "." },
  }
end

function on_sla_breached(event, ctx)
  local ticket = event.ticket
  local target = NAMES[event.details.target] or event.details.target
  local actions = { { type = "add_tag", tag = "sla_vencido" } }
  if ticket.priority == "urgent" then
    local supervisor = routing.least_loaded(ctx.agents, { "supervisor" })
    actions[#actions + 1] = {
      type = "escalate", to = supervisor and supervisor.id or nil, reason = "SLA vencido: " .. target .. " de un reporte urgente",
    }
    return actions
  end
  actions[#actions + 1] = { type = "set_priority", priority = RAISE[ticket.priority] }
  if event.details.target == "firstResponse" then
    local supervisor = routing.least_loaded(ctx.agents, { "supervisor" })
    if supervisor then actions[#actions + 1] = { type = "assign", agent = supervisor.id } end
  end
  return actions
end
