import CLuaShim
import DocketCore
import Foundation

/// Puts events and contexts on the Lua stack as the tables rules receive, directly.
enum RuleInput {
    static func ticket(_ t: Ticket, on stack: LuaStack) {
        stack.newTable(fields: 23)
        stack.field("ticketId", t.ticketId)
        stack.field("subject", t.subject)
        stack.field("description", t.description)
        stack.field("category", t.category)
        stack.field("priority", t.priority.rawValue)
        stack.field("status", t.status)
        stack.field("customerId", t.customerId)
        stack.field("source", t.source.rawValue)
        // The way the customer reached us (`email`, `web`, `whatsapp`, ...): the source, by the
        // name rules read channels by.
        stack.field("channel", t.source.rawValue)
        stack.field("tags", strings: t.tags)
        stack.field("createdAt", CivilTime.iso8601(t.createdAt))
        stack.field("escalated", t.isEscalated)
        stack.field("number", t.number)
        stack.field("attachments", t.attachments.count)
        stack.field("subcategory", t.subcategory)
        stack.field("assignedAgent", t.assignedAgent)
        stack.field("queue", t.queue)
        stack.field("conversationId", t.conversationId)
        stack.field("fields", map: t.fields ?? [:])
        stack.field("firstResponseAt", t.sla.firstResponseAt.map(CivilTime.iso8601))
        stack.field("timers", map: Dictionary(uniqueKeysWithValues: (t.timers ?? []).map { ($0.name, CivilTime.iso8601($0.dueAt)) }))
        if let location = t.location {
            stack.newTable(fields: 2)
            stack.field("address", location.address)
            stack.field("description", location.description)
            stack.set("location")
        }
    }

    static func event(_ event: RuleEvent, on stack: LuaStack) {
        stack.newTable(fields: 4)
        stack.field("type", event.type.rawValue)
        stack.field("actor", event.actor)
        ticket(event.ticket, on: stack)
        stack.set("ticket")
        stack.field("details", map: event.details)
    }

    /// Changes whenever the tenant's configuration does (every tenant write bumps its version).
    static func tenantKey(_ context: RuleContext) -> String {
        "\(context.tenant.id)@\(context.tenant.version)@\(context.tenant.pack.version)"
    }

    static func tenantTable(_ tenant: Tenant, on stack: LuaStack) {
        stack.newTable(fields: 7)
        stack.field("id", tenant.id)
        stack.field("locale", tenant.pack.locale)
        stack.field("timeZone", tenant.pack.timeZone)
        stack.field("defaultCategory", tenant.pack.defaultCategory)
        let categories = tenant.categories.filter(\.active)
        stack.newTable(array: categories.count)
        for (index, category) in categories.enumerated() {
            stack.newTable(fields: 2)
            stack.field("id", category.id)
            stack.field("label", category.label)
            stack.set(index + 1)
        }
        stack.set("categories")
        stack.newTable(array: tenant.queues.count)
        for (index, queue) in tenant.queues.enumerated() {
            stack.newTable(fields: 3)
            stack.field("id", queue.id)
            stack.field("name", queue.name)
            stack.field("skills", strings: queue.skills ?? [])
            stack.set(index + 1)
        }
        stack.set("queues")
        let terms = tenant.terminology
        stack.newTable(fields: 4)
        stack.field("ticketSingular", terms.ticketSingular)
        stack.field("ticketPlural", terms.ticketPlural)
        stack.field("customerNoun", terms.customerNoun)
        stack.field("agentNoun", terms.agentNoun)
        stack.set("terminology")
    }

    static func context(_ context: RuleContext, on stack: LuaStack) {
        let tenant = context.tenant
        stack.newTable(fields: 6)
        stack.field("now", context.now.timeIntervalSince1970)
        stack.field("nowIso", CivilTime.iso8601(context.now))

        let parts = CivilTime(context.now, timeZone: tenant.timeZone)
        stack.newTable(fields: 6)
        stack.field("year", parts.year)
        stack.field("month", parts.month)
        stack.field("day", parts.day)
        stack.field("hour", parts.hour)
        stack.field("minute", parts.minute)
        stack.field("weekday", parts.weekday)
        stack.set("local")

        stack.newTable(fields: 3)
        if let customer = context.customer {
            stack.field("id", customer.id)
            stack.field("totalTickets", customer.totalTickets)
            stack.field("tier", customer.tier)
        }
        stack.set("customer")

        if !stack.pushCachedTenant(tenantKey(context)) {
            tenantTable(tenant, on: stack)
        }
        stack.set("tenant")

        stack.newTable(array: context.agents.count)
        for (index, view) in context.agents.enumerated() {
            stack.newTable(fields: 7)
            stack.field("id", view.agent.id)
            stack.field("name", view.agent.name)
            stack.field("role", view.agent.role.rawValue)
            stack.field("skills", strings: view.agent.skills)
            stack.field("capacity", view.agent.capacity)
            stack.field("openTickets", view.openTickets)
            stack.field("presence", view.presence.rawValue)
            stack.set(index + 1)
        }
        stack.set("agents")
    }
}

/// Reads a rule's result strictly, straight off the Lua stack with raw access only (no
/// metamethod of a returned table ever runs): nil or a list of action tables.
enum ActionDecoder {
    static let maxActions = 50

    static func decode(_ stack: LuaStack, at index: Int32) throws -> [RuleAction] {
        let state = stack.state
        let list = lua_absindex(state, index)
        switch lua_type(state, list) {
        case LUA_TNIL, LUA_TNONE: return []
        case LUA_TTABLE: break
        default: throw RuleError(.result, "a rule must return a list of actions (or nothing), not \(kind(state, list))")
        }
        guard lua_checkstack(state, 8) != 0 else { throw RuleError(.result, "Lua stack exhausted") }
        let count = Int(lua_rawlen(state, list))
        var keys = 0
        lua_pushnil(state)
        while lua_next(state, list) != 0 {
            docket_lua_pop(state, 1)
            keys += 1
            if keys > maxActions { break }
        }
        if keys > maxActions {
            docket_lua_pop(state, 1)
            throw RuleError(.result, count > maxActions ? "a rule may return at most \(maxActions) actions" : "result tables may have string keys or be sequences, not both")
        }
        if count == 0 {
            guard keys == 0 else { throw RuleError(.result, "a rule must return a list of actions (or nothing), not a table") }
            return []
        }
        guard keys == count else { throw RuleError(.result, "result tables may have string keys or be sequences, not both") }
        var actions: [RuleAction] = []
        actions.reserveCapacity(count)
        for position in 1...count {
            lua_rawgeti(state, list, lua_Integer(position))
            defer { docket_lua_pop(state, 1) }
            do {
                actions.append(try action(state, lua_absindex(state, -1)))
            } catch let error as RuleError {
                throw RuleError(.result, "action \(position): \(error.message)")
            }
        }
        return actions
    }

    static func kind(_ state: OpaquePointer, _ index: Int32) -> String {
        switch lua_type(state, index) {
        case LUA_TNIL, LUA_TNONE: "nil"
        case LUA_TBOOLEAN: "a boolean"
        case LUA_TNUMBER: "a number"
        case LUA_TSTRING: "a string"
        case LUA_TTABLE: "a table"
        default: "a \(String(cString: lua_typename(state, lua_type(state, index))))"
        }
    }

    /// The boolean field `key` of the table at `table` (raw), false when absent.
    static func flag(_ state: OpaquePointer, _ table: Int32, _ key: StaticString) throws -> Bool {
        LuaStack(state: state).push(key: key)
        let type = lua_rawget(state, table)
        defer { docket_lua_pop(state, 1) }
        switch type {
        case LUA_TBOOLEAN: return lua_toboolean(state, -1) != 0
        case LUA_TNIL: return false
        default: throw RuleError(.result, "'\(key)' must be true or false, not \(kind(state, -1))")
        }
    }

    /// The string field `key` of the table at `table` (raw), nil when absent.
    static func string(_ state: OpaquePointer, _ table: Int32, _ key: StaticString, required: Bool = true) throws -> String? {
        LuaStack(state: state).push(key: key)
        let type = lua_rawget(state, table)
        defer { docket_lua_pop(state, 1) }
        switch type {
        case LUA_TSTRING:
            var length = 0
            let text = docket_lua_tolstring(state, -1, &length)
            guard length <= LuaSandbox.maxResultStringBytes else {
                throw RuleError(.result, "result string too long (\(length) bytes, at most \(LuaSandbox.maxResultStringBytes))")
            }
            return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
        case LUA_TNIL:
            if required { throw RuleError(.result, "'\(key)' is required") }
            return nil
        default:
            throw RuleError(.result, "'\(key)' must be a string, not \(kind(state, -1))")
        }
    }

    static func action(_ state: OpaquePointer, _ item: Int32) throws -> RuleAction {
        guard lua_type(state, item) == LUA_TTABLE else { throw RuleError(.result, "must be a table with a 'type', not \(kind(state, item))") }
        func text(_ key: StaticString) throws -> String { try string(state, item, key)! }
        func optional(_ key: StaticString) throws -> String? { try string(state, item, key, required: false) }
        let type = try text("type")
        switch type {
        case "set_priority":
            let name = try text("priority")
            guard let priority = Priority(rawValue: name) else { throw RuleError(.result, "unknown priority '\(name)'") }
            return .setPriority(priority)
        case "set_category": return .setCategory(try text("category"))
        case "add_tag": return .addTag(try text("tag"))
        case "remove_tag": return .removeTag(try text("tag"))
        case "route_to_queue": return .routeToQueue(try text("queue"))
        case "assign":
            let agent = try optional("agent")
            let strategy = try optional("strategy")
            guard (agent == nil) != (strategy == nil) else { throw RuleError(.result, "assign needs exactly one of 'agent' or 'strategy'") }
            let presence = try optional("presence")
            if let presence {
                guard strategy != nil else { throw RuleError(.result, "assign's 'presence' goes with a 'strategy'") }
                guard presence == "online" || presence == "any" else { throw RuleError(.result, "assign's 'presence' is 'online' or 'any'") }
            }
            return .assign(agent: agent, strategy: strategy, presence: presence)
        case "set_sla_policy": return .setSLAPolicy(try text("policy"))
        case "escalate": return .escalate(to: try optional("to"), reason: try text("reason"))
        case "set_status": return .setStatus(try text("status"), reason: try optional("reason"))
        case "add_internal_note": return .addInternalNote(try text("text"))
        case "notify": return .notify(target: try text("target"), message: try text("message"))
        case "webhook": return .webhook(endpoint: try text("endpoint"), event: try optional("event"))
        case "schedule":
            return .schedule(
                name: try text("name"), after: try text("after"), business: try flag(state, item, "business"), keep: try flag(state, item, "keep"))
        case "cancel_timer": return .cancelTimer(name: try text("name"))
        case "send_mail": return .sendMail(template: try text("template"))
        default: throw RuleError(.result, "unknown action type '\(type)'")
        }
    }
}
