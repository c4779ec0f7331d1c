import DocketCore
import Foundation
import Hummingbird

/// `/api/v2/tickets`, plus the customer and conversation views of tickets.
struct TicketController: Sendable {
    let services: DocketServices
    let limits: HTTPLimits
    let lists: TicketListJSON

    static let listQuery: [Endpoint.QueryParameter] = [
        .init(
            name: "status", type: .string, description: "One or more of the pack's statuses, comma-separated (another answers 400 listing them)",
            pattern: #"^[a-z0-9_-]+(,[a-z0-9_-]+)*$"#),
        .init(name: "category", type: .string, description: "A category id of the pack (another answers 400 listing them)"),
        .init(name: "priority", type: .string, description: "low, medium, high or urgent", values: Priority.allCases.map(\.rawValue)),
        .init(name: "assignedAgent", type: .string, description: "Agent id; 'none' for unassigned tickets"),
        .init(name: "customerId", type: .string, description: "Customer id"),
        .init(name: "conversationId", type: .string, description: "Conversation id"),
        .init(name: "tag", type: .string, description: "A tag"),
        .init(name: "escalated", type: .boolean, description: "Only escalated (true) or not escalated (false) tickets"),
        .init(name: "queue", type: .string, description: "The queue a rule routed the ticket to; 'none' for tickets in no queue"),
        .date("createdFrom", "ISO 8601 date or date-time, inclusive"),
        .date("createdTo", "ISO 8601 date or date-time, inclusive"),
        .init(name: "source", type: .string, description: "The channel the ticket came from", values: TicketSource.allCases.map(\.rawValue)),
        .date("resolvedFrom", "ISO 8601 date or date-time, inclusive: resolved at or after"),
        .date("resolvedTo", "ISO 8601 date or date-time, inclusive"),
        .date("ratedFrom", "ISO 8601 date or date-time, inclusive: rated by the customer at or after"),
        .date("ratedTo", "ISO 8601 date or date-time, inclusive"),
        .init(name: "search", type: .string, description: "Full-text terms over ticket ID, subject, description and notes; accents and case folded"),
        .init(
            name: "sortBy", type: .string, description: "createdAt (default), updatedAt, priority, status or ticketId",
            values: ["createdAt", "updatedAt", "priority", "status", "ticketId"]),
        .init(name: "sortOrder", type: .string, description: "desc (default) or asc", values: ["asc", "desc"]),
        .page(),
        .limit(),
    ]

    static func query(from request: Request) throws -> TicketQuery {
        let reader = QueryReader(request)
        var query = TicketQuery()
        query.statuses = reader.list("status")
        query.category = reader.string("category")
        query.priority = try reader.value("priority", as: Priority.self)
        if let agent = reader.string("assignedAgent") { query.assignedAgent = agent == "none" ? "" : agent }
        query.customerId = reader.string("customerId")
        query.conversationId = reader.string("conversationId")
        query.tag = reader.string("tag")
        query.escalated = try reader.bool("escalated")
        if let queue = reader.string("queue") { query.queue = queue == "none" ? "" : queue }
        query.createdFrom = try reader.date("createdFrom")
        query.createdTo = try reader.date("createdTo")
        query.source = try reader.value("source", as: TicketSource.self)
        query.resolvedFrom = try reader.date("resolvedFrom")
        query.resolvedTo = try reader.date("resolvedTo")
        query.ratedFrom = try reader.date("ratedFrom")
        query.ratedTo = try reader.date("ratedTo")
        query.search = reader.string("search")
        query.sortBy = try reader.value("sortBy", as: TicketQuery.SortField.self) ?? .createdAt
        switch reader.string("sortOrder")?.lowercased() {
        case nil, "desc": query.ascending = false
        case "asc": query.ascending = true
        default: throw DocketError(.badRequest, "sortOrder must be asc or desc", field: "sortOrder")
        }
        query.page = try reader.int("page", default: 1)
        query.limit = try reader.int("limit", default: 20)
        return query
    }

    func register(_ routes: RouteRegistry) {
        let base = "/api/v2/tickets"

        routes.add(Endpoint(
            method: .get, path: base, summary: "List tickets with filters, sorting, pagination and full-text search",
            tag: "Tickets", access: "any role (customers see only their own tickets)", query: Self.listQuery,
            success: (200, "TicketList"), errors: [400]), use: list)

        routes.add(Endpoint(
            method: .post, path: base, summary: "Open a ticket", tag: "Tickets",
            access: "any role (customers open tickets for themselves)", body: "NewTicket",
            success: (201, "TicketEnvelope"), errors: [400, 403, 413, 415, 422]), use: create)

        routes.add(Endpoint(
            method: .get, path: "\(base)/stats/summary",
            summary: "Counts by status and priority, escalations, and per-agent performance", tag: "Tickets",
            access: "agent, admin",
            query: [
                .init(name: "agentId", type: .string, description: "Only tickets assigned to this agent"),
                .init(name: "customerId", type: .string, description: "Only tickets of this customer"),
                .date("createdFrom", "ISO 8601 date or date-time"),
                .date("createdTo", "ISO 8601 date or date-time"),
            ],
            success: (200, "StatsEnvelope"), errors: [400, 403]), use: statistics)

        routes.add(Endpoint(
            method: .get, path: "\(base)/:id", summary: "A ticket by its human ID (internal notes hidden from customers)",
            tag: "Tickets", access: "any role (customers: own tickets)", success: (200, "TicketEnvelope"), errors: [404]), use: show)

        routes.add(Endpoint(
            method: .get, path: "\(base)/:id/rule-audit",
            summary: "Every rule evaluation on the ticket: event, pack version, rule, actions proposed, applied and rejected (with why), errors, duration",
            tag: "Tickets", access: "agent, admin", success: (200, "RuleAuditEnvelope"), errors: [403, 404]), use: ruleAudit)

        routes.add(Endpoint(
            method: .get, path: "\(base)/:id/trace",
            summary: "Why the ticket is as it is: the rule evaluations of each change, newest first, with each handler's outcome, time, instructions and pack version, and the actions that decided",
            tag: "Tickets", access: "agent, admin", success: (200, "TicketTrace"), errors: [403, 404]), use: trace)

        routes.add(Endpoint(
            method: .post, path: "\(base)/:id/replay",
            summary: "Replay the ticket's recorded events through another pack version and compare with what was applied (writes nothing)",
            tag: "Tickets", access: "admin", body: "ReplayRequest", success: (200, "SimulationReport"),
            errors: [400, 403, 404, 413, 415, 422]), use: replay)

        routes.add(Endpoint(
            method: .put, path: "\(base)/:id", summary: "Change general fields (subject, description, category, priority, tags...)",
            tag: "Tickets", access: "agent, admin", body: "TicketPatch", success: (200, "TicketEnvelope"),
            errors: [400, 403, 404, 409, 413, 415, 422]), use: update)

        routes.add(Endpoint(
            method: .post, path: "\(base)/:id/assign", summary: "Assign to an agent (a new ticket opens)", tag: "Tickets",
            access: "agent, admin", body: "AssignRequest", success: (200, "TicketEnvelope"), errors: [400, 403, 404, 409, 422]), use: assign)

        routes.add(Endpoint(
            method: .post, path: "\(base)/:id/claim",
            summary: "The calling agent takes an unassigned ticket, atomically; 409 names who holds it", tag: "Tickets",
            access: "agent, admin", success: (200, "TicketEnvelope"), errors: [403, 404, 409]), use: claim)

        routes.add(Endpoint(
            method: .post, path: "\(base)/:id/status", summary: "Move along the workflow; 409 lists the allowed targets",
            tag: "Tickets", access: "agent, admin", body: "StatusRequest", success: (200, "TicketEnvelope"),
            errors: [400, 403, 404, 409, 422]), use: changeStatus)

        routes.add(Endpoint(
            method: .post, path: "\(base)/:id/notes",
            summary: "Add a note (staff: internal by default; customers: public only, and their reply may reopen the ticket)",
            tag: "Tickets", access: "any role (customers: own tickets)", body: "NoteRequest", success: (201, "TicketEnvelope"),
            errors: [400, 403, 404, 409, 413, 415, 422]), use: addNote)

        routes.add(Endpoint(
            method: .post, path: "\(base)/:id/resolve", summary: "Resolve with resolution notes", tag: "Tickets",
            access: "agent, admin", body: "ResolveRequest", success: (200, "TicketEnvelope"), errors: [400, 403, 404, 409, 422]), use: resolve)

        routes.add(Endpoint(
            method: .post, path: "\(base)/:id/escalate", summary: "Escalate, optionally to another agent", tag: "Tickets",
            access: "agent, admin", body: "EscalateRequest", success: (200, "TicketEnvelope"), errors: [400, 403, 404, 409, 422]), use: escalate)

        routes.add(Endpoint(
            method: .post, path: "\(base)/:id/feedback", summary: "The customer rates a resolved or closed ticket (1-5)",
            tag: "Tickets", access: "customer (own tickets)", body: "FeedbackRequest", success: (200, "TicketEnvelope"),
            errors: [400, 403, 404, 409, 422]), use: feedback)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/customers/:id/tickets", summary: "Tickets of one customer", tag: "Customers",
            access: "agent, admin, or that customer", query: Self.listQuery.filter { $0.name != "customerId" },
            success: (200, "TicketList"), errors: [400, 404]), use: customerTickets)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/conversations/:id/tickets", summary: "Tickets linked to one conversation",
            tag: "Tickets", access: "agent, admin", query: Self.listQuery.filter { $0.name != "conversationId" },
            success: (200, "TicketList"), errors: [400, 403]), use: conversationTickets)
    }

    // MARK: - Handlers

    @Sendable func list(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return try lists.response(try await services.tickets.listTickets(principal, try Self.query(from: request)), for: principal)
    }

    @Sendable func create(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let input = try await APICoding.decode(NewTicket.self, from: request, limit: limits.maxBodyBytes)
        let ticket = try await services.tickets.createTicket(try context.requirePrincipal(), input)
        return APICoding.response(writing: TicketEnvelope(ticket: ticket), status: .created)
    }

    @Sendable func statistics(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let reader = QueryReader(request)
        let filter = StatsFilter(
            assignedAgent: reader.string("agentId"), customerId: reader.string("customerId"),
            createdFrom: try reader.date("createdFrom"), createdTo: try reader.date("createdTo"))
        return try APICoding.response(StatsEnvelope(stats: try await services.reports.statistics(try context.requirePrincipal(), filter)))
    }

    @Sendable func show(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let ticket = try await services.tickets.ticket(try context.requirePrincipal(), try context.pathParameter("id"))
        return APICoding.response(writing: TicketEnvelope(ticket: ticket))
    }

    @Sendable func ruleAudit(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let id = try context.pathParameter("id")
        let audit = try await services.tickets.ruleAudit(try context.requirePrincipal(), id)
        return try APICoding.response(RuleAuditEnvelope(ticketId: id, audit: audit))
    }

    @Sendable func trace(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try APICoding.response(try await services.tickets.trace(try context.requirePrincipal(), try context.pathParameter("id")))
    }

    @Sendable func replay(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard principal.administers(principal.tenantId) else { throw DocketError.forbidden("admins replay tickets of their own tenant") }
        let body = try await APICoding.decode(ReplayRequest.self, from: request, limit: limits.maxBodyBytes)
        let report = try await services.tenants.replay(principal, ticketId: try context.pathParameter("id"), packId: body.pack, version: body.version)
        return try APICoding.response(report)
    }

    @Sendable func update(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let patch = try await APICoding.decode(TicketPatch.self, from: request, limit: limits.maxBodyBytes)
        let ticket = try await services.tickets.updateTicket(try context.requirePrincipal(), try context.pathParameter("id"), patch)
        return APICoding.response(writing: TicketEnvelope(ticket: ticket))
    }

    @Sendable func assign(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(AssignRequest.self, from: request, limit: limits.maxBodyBytes)
        let ticket = try await services.tickets.assign(try context.requirePrincipal(), try context.pathParameter("id"), to: body.agentId)
        return APICoding.response(writing: TicketEnvelope(ticket: ticket))
    }

    @Sendable func claim(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let ticket = try await services.tickets.claim(try context.requirePrincipal(), try context.pathParameter("id"))
        return APICoding.response(writing: TicketEnvelope(ticket: ticket))
    }

    @Sendable func changeStatus(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(StatusRequest.self, from: request, limit: limits.maxBodyBytes)
        let ticket = try await services.tickets.changeStatus(
            try context.requirePrincipal(), try context.pathParameter("id"), to: body.status, reason: body.reason)
        return APICoding.response(writing: TicketEnvelope(ticket: ticket))
    }

    @Sendable func addNote(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(NoteRequest.self, from: request, limit: limits.maxBodyBytes)
        let ticket = try await services.tickets.addNote(
            try context.requirePrincipal(), try context.pathParameter("id"), content: body.content, isInternal: body.isInternal)
        return APICoding.response(writing: TicketEnvelope(ticket: ticket), status: .created)
    }

    @Sendable func resolve(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(ResolveRequest.self, from: request, limit: limits.maxBodyBytes)
        let ticket = try await services.tickets.resolve(try context.requirePrincipal(), try context.pathParameter("id"), notes: body.resolutionNotes)
        return APICoding.response(writing: TicketEnvelope(ticket: ticket))
    }

    @Sendable func escalate(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(EscalateRequest.self, from: request, limit: limits.maxBodyBytes)
        let ticket = try await services.tickets.escalate(
            try context.requirePrincipal(), try context.pathParameter("id"), to: body.toAgentId, reason: body.reason)
        return APICoding.response(writing: TicketEnvelope(ticket: ticket))
    }

    @Sendable func feedback(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(FeedbackRequest.self, from: request, limit: limits.maxBodyBytes)
        let ticket = try await services.tickets.submitFeedback(
            try context.requirePrincipal(), try context.pathParameter("id"), rating: body.rating, comment: body.comment)
        return APICoding.response(writing: TicketEnvelope(ticket: ticket))
    }

    @Sendable func customerTickets(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let customerId = try context.pathParameter("id")
        _ = try await services.tenants.customer(principal, customerId)
        var query = try Self.query(from: request)
        query.customerId = customerId
        return try lists.response(try await services.tickets.listTickets(principal, query), for: principal)
    }

    @Sendable func conversationTickets(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard principal.isStaff else { throw DocketError.forbidden("this operation is for agents and admins") }
        var query = try Self.query(from: request)
        query.conversationId = try context.pathParameter("id")
        return try lists.response(try await services.tickets.listTickets(principal, query), for: principal)
    }
}
