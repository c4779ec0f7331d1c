local routing = require("docket.routing")
local T = {}

local agents = {
  { id = "carla", skills = { "electrical" }, capacity = 5, openTickets = 5 },
  { id = "ana", skills = { "electrical", "on_call" }, capacity = 5, openTickets = 3 },
  { id = "beto", skills = { "electrical" }, capacity = 5, openTickets = 1 },
  { id = "dora", skills = { "billing" }, capacity = 5, openTickets = 0 },
}

function T.least_loaded_respects_skills_and_capacity()
  assert(routing.least_loaded(agents, { "electrical" }).id == "beto")
  assert(routing.least_loaded(agents, { "billing" }).id == "dora")
  assert(routing.least_loaded(agents, { "plumbing" }) == nil)
end

function T.full_agents_are_skipped()
  local list = routing.candidates(agents, { "electrical" })
  assert(#list == 2 and list[1].id == "ana" and list[2].id == "beto")
end

function T.round_robin_rotates()
  assert(routing.round_robin(agents, { "electrical" }, 1).id == "ana")
  assert(routing.round_robin(agents, { "electrical" }, 2).id == "beto")
  assert(routing.round_robin(agents, { "electrical" }, 3).id == "ana")
end

function T.agents_not_online_are_skipped_unless_asked()
  local team = {
    { id = "eva", skills = { "electrical" }, capacity = 5, openTickets = 0, presence = "away" },
    { id = "fer", skills = { "electrical" }, capacity = 5, openTickets = 0, presence = "offline" },
    { id = "gil", skills = { "electrical" }, capacity = 5, openTickets = 4, presence = "online" },
  }
  assert(routing.least_loaded(team, { "electrical" }).id == "gil")
  assert(routing.least_loaded(team, { "electrical" }, { presence = "any" }).id == "eva")
  assert(routing.round_robin(team, { "electrical" }, 2).id == "gil")
  assert(#routing.candidates(team, { "electrical" }, { presence = "any" }) == 3)
  team[3].presence = "offline"
  assert(routing.least_loaded(team, { "electrical" }) == nil)
end

function T.assign_action()
  local action = routing.assign_least_loaded(agents, { "on_call" })
  assert(action.type == "assign" and action.agent == "ana")
end

return T
