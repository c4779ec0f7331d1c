local act = require("docket.actions")
local T = {}

function T.categorise_keeps_a_chosen_category()
  local list = {}
  act.categorise(list, { category = "billing" }, "delivery")
  assert(#list == 0)
  act.categorise(list, { category = "other" }, "delivery")
  assert(#list == 1 and list[1].type == "set_category" and list[1].category == "delivery")
  act.categorise(list, { category = "general" }, "delivery", "general")
  assert(#list == 2 and list[2].category == "delivery")
end

function T.file_categorises_routes_and_assigns_in_that_order()
  local list = {}
  act.file(list, { category = "other" }, "billing", "finance", "least_loaded")
  assert(#list == 3)
  assert(list[1].type == "set_category" and list[1].category == "billing")
  assert(list[2].type == "route_to_queue" and list[2].queue == "finance")
  assert(list[3].type == "assign" and list[3].strategy == "least_loaded")
  local plain = {}
  act.file(plain, { category = "billing" }, "billing", "finance")
  assert(#plain == 1 and plain[1].type == "route_to_queue")
end

function T.add_appends()
  local list = {}
  act.add(list, { type = "add_tag", tag = "vip" })
  act.add(list, { type = "add_tag", tag = "late" })
  assert(#list == 2 and list[2].tag == "late")
end

return T
