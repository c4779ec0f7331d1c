-- LUXFREE waiting rules (timers). An assigned ticket the agent has not answered within 2
-- business hours goes to another agent of its queue (the least loaded), with a note saying
-- why; with no one else, the queue is told. Assigning again starts the 2 hours again, and the
-- first public answer (or a finished ticket) ends the wait.
local routing = require("docket.routing")

local NAME = "sin_respuesta"

local function queue_skills(ctx, queue)
  for _, q in ipairs(ctx.tenant.queues) do
    if q.id == queue then return q.skills end
  end
  return {}
end

function on_assigned(event, ctx)
  if event.ticket.firstResponseAt then return nil end
  return { { type = "schedule", name = NAME, after = "2h", business = true } }
end

function on_status_changed(event, ctx)
  if event.ticket.firstResponseAt and event.ticket.timers[NAME] then
    return { { type = "cancel_timer", name = NAME } }
  end
end

function on_ticket_timer(event, ctx)
  local ticket = event.ticket
  if event.details.name ~= NAME or ticket.firstResponseAt or not ticket.assignedAgent then return nil end
  local others = {}
  for _, agent in ipairs(ctx.agents) do
    if agent.id ~= ticket.assignedAgent then others[#others + 1] = agent end
  end
  local next_agent = routing.least_loaded(others, queue_skills(ctx, ticket.queue))
  if next_agent then
    return {
      { type = "add_internal_note", text = "Sin respuesta de " .. ticket.assignedAgent .. " en 2 horas hábiles: pasa a " .. next_agent.name .. "." },
      { type = "assign", agent = next_agent.id },
    }
  end
  local actions = {
    { type = "add_internal_note", text = "Sin respuesta de " .. ticket.assignedAgent .. " en 2 horas hábiles y nadie más en la cola." },
  }
  if ticket.queue then
    actions[#actions + 1] = { type = "notify", target = "queue:" .. ticket.queue, message = "Reporte " .. ticket.ticketId .. " sin respuesta en 2 horas hábiles." }
  end
  return actions
end
