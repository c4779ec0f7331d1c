-- docket.actions: building the list of actions a handler returns. The core checks each one
-- (category in the pack, queue known, agent with capacity) before applying it.
local M = {}

--- Appends `action` to `actions`.
function M.add(actions, action)
  actions[#actions + 1] = action
end

--- Sets `category` when the ticket came in uncategorised (its category is `uncategorised`,
--- "other" unless given): what the customer chose is kept.
function M.categorise(actions, ticket, category, uncategorised)
  if ticket.category == (uncategorised or "other") and category ~= ticket.category then
    actions[#actions + 1] = { type = "set_category", category = category }
  end
end

--- Files the ticket: its category (as `categorise`), its queue, and, with `strategy`
--- ("least_loaded" or "round_robin"), an agent of that queue.
function M.file(actions, ticket, category, queue, strategy)
  M.categorise(actions, ticket, category)
  actions[#actions + 1] = { type = "route_to_queue", queue = queue }
  if strategy then actions[#actions + 1] = { type = "assign", strategy = strategy } end
end

return M
