-- A guest who mentions a hazard in a reply gets the manager, whatever the ticket was about.
local text = require("docket.text")
local w = require("words")

function on_note_added(event, ctx)
  if event.details.author ~= "customer" or event.ticket.category == "food_safety" then return nil end
  if text.contains_any(event.details.text or "", w.safety) then
    return {
      { type = "set_priority", priority = "urgent" },
      { type = "set_category", category = "food_safety" },
      { type = "route_to_queue", queue = "manager" },
      { type = "add_tag", tag = "food_safety" },
    }
  end
end
