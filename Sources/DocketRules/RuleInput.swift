import DocketCore
import Foundation

/// Converts events and contexts into the tables rules receive.
enum RuleInput {
    static func iso(_ date: Date) -> LuaValue { .string(CivilTime.iso8601(date)) }

    static func ticket(_ t: Ticket) -> LuaValue {
        var fields: [String: LuaValue] = [
            "ticketId": .string(t.ticketId), "subject": .string(t.subject), "description": .string(t.description),
            "category": .string(t.category), "priority": .string(t.priority.rawValue), "status": .string(t.status),
            "customerId": .string(t.customerId), "source": .string(t.source.rawValue), "tags": .array(t.tags.map { .string($0) }),
            "createdAt": iso(t.createdAt), "escalated": .bool(t.isEscalated), "number": .int(Int64(t.number)),
            "attachments": .int(Int64(t.attachments.count)),
        ]
        if let value = t.subcategory { fields["subcategory"] = .string(value) }
        if let value = t.assignedAgent { fields["assignedAgent"] = .string(value) }
        if let value = t.queue { fields["queue"] = .string(value) }
        if let value = t.conversationId { fields["conversationId"] = .string(value) }
        fields["fields"] = .table((t.fields ?? [:]).mapValues { .string($0) })
        if let location = t.location {
            var loc: [String: LuaValue] = [:]
            if let address = location.address { loc["address"] = .string(address) }
            if let description = location.description { loc["description"] = .string(description) }
            fields["location"] = .table(loc)
        }
        return .table(fields)
    }

    static func event(_ event: RuleEvent) -> LuaValue {
        .table([
            "type": .string(event.type.rawValue), "actor": .string(event.actor), "ticket": ticket(event.ticket),
            "details": .table(event.details.mapValues { .string($0) }),
        ])
    }

    static func context(_ context: RuleContext) -> LuaValue {
        let tenant = context.tenant
        let parts = CivilTime(context.now, timeZone: tenant.timeZone)
        let local: LuaValue = .table([
            "year": .int(Int64(parts.year)), "month": .int(Int64(parts.month)), "day": .int(Int64(parts.day)),
            "hour": .int(Int64(parts.hour)), "minute": .int(Int64(parts.minute)), "weekday": .int(Int64(parts.weekday)),
        ])
        let terms = tenant.terminology
        var customer: [String: LuaValue] = [:]
        if let view = context.customer {
            customer = ["id": .string(view.id), "totalTickets": .int(Int64(view.totalTickets))]
            if let tier = view.tier { customer["tier"] = .string(tier) }
        }
        return .table([
            "customer": .table(customer),
            "now": .double(context.now.timeIntervalSince1970), "nowIso": iso(context.now), "local": local,
            "tenant": .table([
                "id": .string(tenant.id), "locale": .string(tenant.pack.locale), "timeZone": .string(tenant.pack.timeZone),
                "defaultCategory": .string(tenant.pack.defaultCategory),
                "categories": .array(tenant.categories.filter(\.active).map { .table(["id": .string($0.id), "label": .string($0.label)]) }),
                "queues": .array(tenant.queues.map { queue in
                    .table(["id": .string(queue.id), "name": .string(queue.name), "skills": .array((queue.skills ?? []).map { .string($0) })])
                }),
                "terminology": .table([
                    "ticketSingular": .string(terms.ticketSingular), "ticketPlural": .string(terms.ticketPlural),
                    "customerNoun": .string(terms.customerNoun), "agentNoun": .string(terms.agentNoun),
                ]),
            ]),
            "agents": .array(context.agents.map { view in
                .table([
                    "id": .string(view.agent.id), "name": .string(view.agent.name), "role": .string(view.agent.role.rawValue),
                    "skills": .array(view.agent.skills.map { .string($0) }), "capacity": .int(Int64(view.agent.capacity)),
                    "openTickets": .int(Int64(view.openTickets)),
                ])
            }),
        ])
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
