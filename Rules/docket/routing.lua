-- docket.routing: choosing agents from ctx.agents. These helpers only pick; the core
-- validates the resulting assign action (agent exists, has capacity) before applying it.
-- They pick among agents who are online (`agent.presence`); `{ presence = "any" }` as the
-- last argument picks among everyone.
local M = {}

local function has_skill(agent, skill)
  for _, s in ipairs(agent.skills) do
    if s == skill then return true end
  end
  return false
end
M.has_skill = has_skill

--- Whether the agent is there to take a ticket (always, with `options.presence == "any"`).
function M.is_online(agent, options)
  return (options and options.presence == "any") or agent.presence == nil or agent.presence == "online"
end

--- Agents online with every one of `skills` and spare capacity, sorted by id.
function M.candidates(agents, skills, options)
  local out = {}
  for _, agent in ipairs(agents) do
    local ok = agent.openTickets < agent.capacity and M.is_online(agent, options)
    for _, skill in ipairs(skills or {}) do
      if not has_skill(agent, skill) then ok = false end
    end
    if ok then out[#out + 1] = agent end
  end
  table.sort(out, function(a, b) return a.id < b.id end)
  return out
end

--- The candidate with the fewest open tickets (ties broken by id), or nil.
function M.least_loaded(agents, skills, options)
  local best
  for _, agent in ipairs(M.candidates(agents, skills, options)) do
    if not best or agent.openTickets < best.openTickets then best = agent end
  end
  return best
end

--- Rotates over the candidates by a number (e.g. the ticket number), or nil.
function M.round_robin(agents, skills, n, options)
  local list = M.candidates(agents, skills, options)
  if #list == 0 then return nil end
  return list[((n or 1) - 1) % #list + 1]
end

--- An assign action for the least-loaded agent with `skills`, or nil.
function M.assign_least_loaded(agents, skills, options)
  local agent = M.least_loaded(agents, skills, options)
  return agent and { type = "assign", agent = agent.id } or nil
end

return M
