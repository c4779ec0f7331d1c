-- Sen Việt triage: refunds to finance (least loaded), parcels not received after the
-- promised date are high, VIP customers are raised, and each topic goes to its queue.
local text = require("docket.text")
local act = require("docket.actions")
local w = require("words")

local RAISE = { low = "medium", medium = "high", high = "urgent", urgent = "urgent" }
local RANK = { low = 1, medium = 2, high = 3, urgent = 4 }

-- "2026-11-18" for today in the shop's time zone.
local function today(ctx)
  local t = ctx["local"]
  return string.format("%04d-%02d-%02d", t.year, t.month, t.day)
end

-- True when the order carries a promised date (YYYY-MM-DD) that has passed.
local function past_promise(ticket, ctx)
  local promised = ticket.fields.promisedDate
  if type(promised) ~= "string" or not promised:match("^%d%d%d%d%-%d%d%-%d%d$") then return false end
  return today(ctx) > promised
end

function on_ticket_created(event, ctx)
  local ticket = event.ticket
  local body = ticket.subject .. " " .. ticket.description
  local actions = {}
  local priority = ticket.priority

  if text.contains_any(body, w.refund) then
    act.file(actions, ticket, "return_refund", "finance", "least_loaded")
  elseif text.contains_any(body, w.not_received) then
    act.file(actions, ticket, "delivery", "delivery")
    if past_promise(ticket, ctx) then
      if RANK[priority] < RANK.high then priority = "high" end
      actions[#actions + 1] = { type = "add_tag", tag = "tre_hen_giao" }
    end
  elseif text.contains_any(body, w.payment) then
    act.file(actions, ticket, "payment", "finance")
  elseif text.contains_any(body, w.delivery) then
    act.file(actions, ticket, "delivery", "delivery")
  elseif text.contains_any(body, w.order) then
    act.file(actions, ticket, "order", "orders")
  elseif text.contains_any(body, w.product) then
    act.file(actions, ticket, "product", "product")
  end

  if text.contains_any(body, w.fraud) then
    if RANK[priority] < RANK.high then priority = "high" end
    actions[#actions + 1] = { type = "add_tag", tag = "nghi_lua_dao" }
  end
  if ctx.customer.tier == "vip" then
    priority = RAISE[priority]
    actions[#actions + 1] = { type = "add_tag", tag = "vip" }
  end
  if priority ~= ticket.priority then
    table.insert(actions, 1, { type = "set_priority", priority = priority })
  end
  return actions
end
