-- A patient's reply with urgency words escalates the request to the triage nurses.
local text = require("docket.text")
local t = require("terms")

function on_note_added(event, ctx)
  if event.details.author ~= "customer" or event.ticket.priority == "urgent" then return nil end
  if text.contains_any(event.details.text or "", t.emergency) then
    return {
      { type = "set_priority", priority = "urgent" },
      { type = "route_to_queue", queue = "triage_nurse" },
      { type = "add_tag", tag = "call_patient" },
      { type = "add_internal_note", text = t.reply_note },
    }
  end
end
