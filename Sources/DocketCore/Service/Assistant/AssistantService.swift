import Foundation

/// One tool call as the assistant API sends it: `arguments` is a JSON string.
public struct AssistantToolCall: Codable, Sendable {
    public struct Function: Codable, Sendable {
        public var name: String
        public var arguments: String
    }

    public var id: String
    public var type: String
    public var function: Function

    public init(id: String, name: String, arguments: String) {
        self.id = id
        type = "function"
        function = Function(name: name, arguments: arguments)
    }
}

/// The tool calls of one assistant run and who they are for.
public struct AssistantToolCallRequest: Codable, Sendable {
    /// The customer's WhatsApp number, in any common form (`+52 55 1234 5678`, `0052...`, `521...`).
    public var phoneNumber: String
    /// The customer's open conversation, linked to created tickets.
    public var conversationId: String?
    public var toolCalls: [AssistantToolCall]

    enum CodingKeys: String, CodingKey {
        case phoneNumber, conversationId
        case toolCalls = "tool_calls"
    }
}

/// What goes back to the assistant API (`submit_tool_outputs`): `output` is a JSON string.
public struct AssistantToolOutput: Codable, Sendable, Equatable {
    public var toolCallId: String
    public var output: String

    enum CodingKeys: String, CodingKey {
        case toolCallId = "tool_call_id"
        case output
    }
}

/// A key as its creator sees it once: the record and the full secret.

extension AssistantService {
    /// The forms a WhatsApp number arrives in, most likely first: as given, `00` as `+`, with
    /// `+` when it lacks one, and Mexico's mobile `+521` as `+52`.
    static func phoneCandidates(_ raw: String) -> [String] {
        var text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("00") { text = "+" + text.dropFirst(2) }
        guard let normalized = try? Check.phone(text) else { return [] }
        var out = [normalized]
        if !normalized.hasPrefix("+") {
            let digits = String(normalized.drop { $0 == "0" })
            out.append("+" + digits)
        }
        for candidate in out where candidate.hasPrefix("+521") && candidate.count == 14 {
            out.append("+52" + candidate.dropFirst(4))
        }
        return out
    }

    func failure(_ message: String) -> String { wire.toolOutput(["success": false, "error": .string(message)]) }

    func output(
        for call: AssistantToolCall, tenant: Tenant, customer: Customer?, request: AssistantToolCallRequest, texts: AssistantTexts
    ) async throws -> String {
        guard !call.id.isEmpty, call.id.count <= 128 else { return failure(texts.malformed("tool_call_id must be 1-128 characters")) }
        // Idempotent per call id: a repeated id answers what the first answered.
        let now = clock.now()
        if let record = try await stores.toolCalls.claimToolCall(tenantId: tenant.id, callId: call.id, at: now) {
            if let output = record.output { return output }
            if now.timeIntervalSince(record.createdAt) < AssistantService.abandonedToolCallSeconds { return failure(texts.inProgress) }
        }
        let output = try await execute(call, tenant: tenant, customer: customer, request: request, texts: texts)
        try await stores.toolCalls.completeToolCall(tenantId: tenant.id, callId: call.id, output: output)
        return output
    }

    func execute(
        _ call: AssistantToolCall, tenant: Tenant, customer: Customer?, request: AssistantToolCallRequest, texts: AssistantTexts
    ) async throws -> String {
        guard call.type == "function" else { return failure(texts.malformed("type must be 'function'")) }
        guard [AssistantToolDefinitions.createTool, AssistantToolDefinitions.lookupTool].contains(call.function.name) else {
            return failure(texts.unknownTool(String(call.function.name.prefix(64))))
        }
        guard let customer else { return failure(texts.unknownCustomer) }
        guard call.function.arguments.utf8.count <= AssistantService.maxToolArgumentBytes else {
            return failure(texts.malformed("arguments are larger than \(AssistantService.maxToolArgumentBytes) bytes"))
        }
        guard let arguments = wire.toolArguments(call.function.arguments),
            case .object(let fields) = arguments
        else { return failure(texts.malformed("arguments must be a JSON object")) }
        let assistant = Principal(tenantId: tenant.id, role: .assistant, subject: "assistant")
        do {
            if call.function.name == AssistantToolDefinitions.createTool {
                return try await createFromAssistant(fields, tenant: tenant, customer: customer, request: request, texts: texts, as: assistant)
            }
            return try await lookupForAssistant(fields, tenant: tenant, customer: customer, texts: texts)
        } catch let error as DocketError where [.badRequest, .validation, .invalidTransition, .conflict].contains(error.code) {
            return failure(texts.malformed(error.message))
        }
    }

    static func string(_ fields: [String: JSONValue], _ key: String, required: Bool) throws -> String? {
        switch fields[key] {
        case .string(let text)?: return text
        case nil, .null?:
            if required { throw DocketError(.badRequest, "\(key) is required") }
            return nil
        default: throw DocketError(.badRequest, "\(key) must be a string")
        }
    }

    func createFromAssistant(
        _ fields: [String: JSONValue], tenant: Tenant, customer: Customer, request: AssistantToolCallRequest, texts: AssistantTexts,
        as assistant: Principal
    ) async throws -> String {
        let subject = try Self.string(fields, "subject", required: true)!
        let description = try Self.string(fields, "description", required: true)!
        var extra: [String: String] = [:]
        var category = tenant.pack.defaultCategory
        if let asked = try Self.string(fields, "category", required: false) {
            if tenant.category(asked) != nil { category = asked } else { extra["requestedCategory"] = String(asked.prefix(100)) }
        }
        var priority = Priority.medium
        if let asked = try Self.string(fields, "priority", required: false) {
            if let known = Priority(rawValue: asked.lowercased()) { priority = known } else { extra["requestedPriority"] = String(asked.prefix(100)) }
        }
        var location: Location?
        switch fields["location"] {
        case .object(let place)?:
            location = Location(
                address: try Self.string(place, "address", required: false), description: try Self.string(place, "description", required: false),
                coordinates: nil)
        case nil, .null?: break
        default: throw DocketError(.badRequest, "location must be an object")
        }
        var input = NewTicket(
            subject: subject, description: description, category: category, priority: priority, customerId: customer.id,
            conversationId: request.conversationId, location: location)
        input.fields = extra.isEmpty ? nil : extra
        let ticket = try await tickets.createTicket(assistant, input)
        return wire.toolOutput([
            "success": true, "ticket_id": .string(ticket.ticketId), "status": .string(ticket.status),
            "status_label": .string(tenant.workflow.status(ticket.status)?.label ?? ticket.status),
            "priority": .string(ticket.priority.rawValue), "category": .string(ticket.category),
            "category_label": .string(tenant.category(ticket.category)?.label ?? ticket.category),
            "message": .string(texts.created(ticket.ticketId)),
        ])
    }

    func lookupForAssistant(_ fields: [String: JSONValue], tenant: Tenant, customer: Customer, texts: AssistantTexts) async throws -> String {
        let wanted = try Self.string(fields, "ticket_id", required: false)?.trimmingCharacters(in: .whitespaces)
        switch fields["lookup_recent"] {
        case nil, .null?, .bool?: break
        default: throw DocketError(.badRequest, "lookup_recent must be a boolean")
        }
        let viewer = Principal(tenantId: tenant.id, role: .customer, subject: customer.id)
        if let wanted, !wanted.isEmpty {
            guard wanted.count <= 64, let ticket = try await stores.tickets.ticket(tenantId: tenant.id, ticketId: wanted.uppercased()),
                ticket.customerId == customer.id
            else { return failure(texts.notFound(String(wanted.prefix(64)))) }
            return wire.toolOutput(["success": true, "ticket": Self.summary(ticket.visible(to: viewer), tenant: tenant, notes: true)])
        }
        var query = TicketQuery()
        query.customerId = customer.id
        query.limit = 5
        let recent = try await stores.tickets.listTickets(tenantId: tenant.id, query: query).items
        var out: [String: JSONValue] = ["success": true, "tickets": .array(recent.map { Self.summary($0.visible(to: viewer), tenant: tenant, notes: false) })]
        if recent.isEmpty { out["message"] = .string(texts.noTickets) }
        return wire.toolOutput(.object(out))
    }

    /// A ticket as the customer may see it: public notes only (the caller passes the visible copy).
    static func summary(_ ticket: Ticket, tenant: Tenant, notes: Bool) -> JSONValue {
        var out: [String: JSONValue] = [
            "ticket_id": .string(ticket.ticketId), "subject": .string(ticket.subject), "status": .string(ticket.status),
            "status_label": .string(tenant.workflow.status(ticket.status)?.label ?? ticket.status),
            "priority": .string(ticket.priority.rawValue), "category": .string(ticket.category),
            "category_label": .string(tenant.category(ticket.category)?.label ?? ticket.category),
            "created_at": .string(CivilTime.iso8601(ticket.createdAt)), "updated_at": .string(CivilTime.iso8601(ticket.updatedAt)),
        ]
        if notes {
            out["public_notes"] = .array(ticket.notes.filter { !$0.isInternal }.suffix(5).map { note in
                ["author": .string(note.authorRole.rawValue), "content": .string(String(note.content.prefix(1_000))), "at": .string(CivilTime.iso8601(note.timestamp))]
            })
            if let resolution = ticket.resolution {
                out["resolved_at"] = .string(CivilTime.iso8601(resolution.resolvedAt))
            }
        }
        return .object(out)
    }
}

extension AssistantService {
    // MARK: - Tools

    /// The tenant's tool definitions, from its active categories, terminology and ID format.
    public func assistantTools(_ principal: Principal) async throws -> [JSONValue] {
        guard principal.role == .assistant || principal.isStaff else { throw DocketError.forbidden("this is for the assistant and staff") }
        return AssistantToolDefinitions.make(try await tenant(for: principal))
    }

    /// Runs the tool calls of one assistant run; business failures are outputs, never errors.
    public func assistantToolCalls(_ principal: Principal, _ request: AssistantToolCallRequest) async throws -> [AssistantToolOutput] {
        guard principal.role == .assistant else { throw DocketError.forbidden("tool calls come from an assistant API key") }
        let tenant = try await tenant(for: principal)
        guard (1...AssistantService.maxToolCalls).contains(request.toolCalls.count) else {
            throw DocketError(.badRequest, "tool_calls must hold 1 to \(AssistantService.maxToolCalls) calls", field: "tool_calls")
        }
        let texts = AssistantTexts(tenant)
        var customer: Customer?
        for phone in Self.phoneCandidates(request.phoneNumber) where customer == nil {
            customer = try await stores.people.customer(tenantId: tenant.id, phone: phone)
        }
        var outputs: [AssistantToolOutput] = []
        for call in request.toolCalls {
            outputs.append(AssistantToolOutput(
                toolCallId: call.id, output: try await output(for: call, tenant: tenant, customer: customer, request: request, texts: texts)))
        }
        return outputs
    }
}
