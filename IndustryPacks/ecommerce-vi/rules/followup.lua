-- A customer who writes again that the parcel has not arrived, after the promised date,
-- raises the ticket to high; a wish to cancel is tagged for the orders team.
local text = require("docket.text")
local w = require("words")

function on_note_added(event, ctx)
  if event.details.author ~= "customer" then return nil end
  local ticket = event.ticket
  local message = event.details.text or ""
  local actions = {}
  local promised = ticket.fields.promisedDate
  if text.contains_any(message, w.not_received) and type(promised) == "string" then
    local t = ctx["local"]
    local today = string.format("%04d-%02d-%02d", t.year, t.month, t.day)
    if today > promised and (ticket.priority == "low" or ticket.priority == "medium") then
      actions[#actions + 1] = { type = "set_priority", priority = "high" }
      actions[#actions + 1] = { type = "add_tag", tag = "tre_hen_giao" }
    end
  end
  if text.contains_any(message, w.cancel) then
    actions[#actions + 1] = { type = "add_tag", tag = "muon_huy" }
  end
  return actions
end
