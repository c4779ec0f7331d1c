-- LUXFREE follow-up: a customer reporting danger in a reply makes the ticket urgent again,
-- and a ticket reopened by the customer is tagged so supervisors can review it.
local text = require("docket.text")
local words = require("keywords")

function on_note_added(event, ctx)
  local d = event.details
  if d.author ~= "customer" then return nil end
  if event.ticket.priority ~= "urgent" and text.contains_any(d.text or "", words.danger) then
    return {
      { type = "set_priority", priority = "urgent" },
      { type = "add_tag", tag = "riesgo_electrico" },
      { type = "add_internal_note", text = "El usuario reporta una condición peligrosa en su respuesta." },
    }
  end
end

function on_status_changed(event, ctx)
  local d = event.details
  if d.from == "resolved" and d.to == "open" then
    return { { type = "add_tag", tag = "reabierto" } }
  end
end
