-- Waiting for the guest (timers). A request put in "Waiting for the guest" reminds the guest
-- after a day and is resolved after three days without an answer; the guest's reply (which
-- moves it on) or any other status ends both.
local REMINDER, GIVE_UP = "guest_reminder", "guest_silent"

function on_status_changed(event, ctx)
  if event.details.to == "pending_customer" then
    return {
      { type = "schedule", name = REMINDER, after = "1d" },
      { type = "schedule", name = GIVE_UP, after = "3d" },
    }
  elseif event.details.from == "pending_customer" then
    return {
      { type = "cancel_timer", name = REMINDER },
      { type = "cancel_timer", name = GIVE_UP },
    }
  end
end

function on_ticket_timer(event, ctx)
  if event.ticket.status ~= "pending_customer" then return nil end
  if event.details.name == REMINDER then
    return {
      { type = "notify", target = "customer", message = "We are still waiting for your answer about " .. event.ticket.ticketId .. ". Just reply here when you can." },
    }
  elseif event.details.name == GIVE_UP then
    return {
      { type = "add_internal_note", text = "No answer from the guest in 3 days: resolved." },
      { type = "set_status", status = "resolved", reason = "no answer from the guest in 3 days" },
    }
  end
end
