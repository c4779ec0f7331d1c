import DocketCore
import Foundation

/// Puts events and contexts on the Lua stack as the tables rules receive, directly.
enum RuleInput {
    static func ticket(_ t: Ticket, on stack: LuaStack) {
        stack.newTable(fields: 20)
        stack.field("ticketId", t.ticketId)
        stack.field("subject", t.subject)
        stack.field("description", t.description)
        stack.field("category", t.category)
        stack.field("priority", t.priority.rawValue)
        stack.field("status", t.status)
        stack.field("customerId", t.customerId)
        stack.field("source", t.source.rawValue)
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
            stack.newTable(fields: 6)
            stack.field("id", view.agent.id)
            stack.field("name", view.agent.name)
            stack.field("role", view.agent.role.rawValue)
            stack.field("skills", strings: view.agent.skills)
            stack.field("capacity", view.agent.capacity)
            stack.field("openTickets", view.openTickets)
            stack.set(index + 1)
        }
        stack.set("agents")
    }
}

/// Reads a rule's result strictly: nil or a list of action tables.
enum ActionDecoder {
    static let maxActions = 50

    static func decode(_ value: LuaValue) throws -> [RuleAction] {
        if value == .null { return [] }
        guard let items = value.arrayValue else {
            throw RuleError(.result, "a rule must return a list of actions (or nothing), not \(kind(value))")
        }
        guard items.count <= maxActions else { throw RuleError(.result, "a rule may return at most \(maxActions) actions") }
        return try items.enumerated().map { index, item in
            do { return try action(item) } catch let error as RuleError {
                throw RuleError(.result, "action \(index + 1): \(error.message)")
            }
        }
    }

    static func kind(_ value: LuaValue) -> String {
        switch value {
        case .null: "nil"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .table: "a table"
        }
    }

    static func string(_ item: LuaValue, _ key: String, required: Bool = true) throws -> String? {
        switch item[key] {
        case .string(let text)?: return text
        case nil, .null?:
            if required { throw RuleError(.result, "'\(key)' is required") }
            return nil
        case let other?: throw RuleError(.result, "'\(key)' must be a string, not \(kind(other))")
        }
    }

    static func action(_ item: LuaValue) throws -> RuleAction {
        guard case .table = item else { throw RuleError(.result, "must be a table with a 'type', not \(kind(item))") }
        let type = try string(item, "type")!
        switch type {
        case "set_priority":
            let name = try string(item, "priority")!
            guard let priority = Priority(rawValue: name) else { throw RuleError(.result, "unknown priority '\(name)'") }
            return .setPriority(priority)
        case "set_category": return .setCategory(try string(item, "category")!)
        case "add_tag": return .addTag(try string(item, "tag")!)
        case "remove_tag": return .removeTag(try string(item, "tag")!)
        case "route_to_queue": return .routeToQueue(try string(item, "queue")!)
        case "assign":
            let agent = try string(item, "agent", required: false)
            let strategy = try string(item, "strategy", required: false)
            guard (agent == nil) != (strategy == nil) else { throw RuleError(.result, "assign needs exactly one of 'agent' or 'strategy'") }
            return .assign(agent: agent, strategy: strategy)
        case "set_sla_policy": return .setSLAPolicy(try string(item, "policy")!)
        case "escalate": return .escalate(to: try string(item, "to", required: false), reason: try string(item, "reason")!)
        case "set_status": return .setStatus(try string(item, "status")!, reason: try string(item, "reason", required: false))
        case "add_internal_note": return .addInternalNote(try string(item, "text")!)
        case "notify": return .notify(target: try string(item, "target")!, message: try string(item, "message")!)
        default: throw RuleError(.result, "unknown action type '\(type)'")
        }
    }
}
