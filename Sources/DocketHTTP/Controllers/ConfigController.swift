import DocketCore
import Hummingbird

/// `/api/v2/config`: the tenant's categories, assistant, terminology and ticket ID format.
/// Reads: staff (customers may read categories and terminology). Writes and resets: admins.
/// A PUT body that is the object itself, or the object as the GET of the same route answered
/// it (`{"format": {...}}`, `{"calendar": {...}}`, `{"terminology": {...}}`, `{"config": {...}}`):
/// what a client read, it may send back.
struct BareOrWrapped<Value: Decodable>: Decodable {
    var value: Value

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static var wrappers: Set<String> { ["format", "calendar", "terminology", "config", "mail"] }

    init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: Key.self), container.allKeys.count == 1,
            let key = container.allKeys.first, Self.wrappers.contains(key.stringValue)
        {
            value = try container.decode(Value.self, forKey: key)
        } else {
            value = try Value(from: decoder)
        }
    }
}

struct ConsoleConfig: Codable, Sendable {
    struct Queue: Codable, Sendable {
        var id: String
        var name: String
    }
    var tenantId: String
    var tenantName: String
    var locale: String
    var timeZone: String
    var terminology: Terminology
    var categories: [TicketCategory]
    var workflow: Workflow
    var queues: [Queue]
    var priorities: [Priority]
}

struct ConfigController: Sendable {
    let services: DocketServices
    let limits: HTTPLimits

    func register(_ routes: RouteRegistry) {
        let base = "/api/v2/config"

        routes.add(Endpoint(
            method: .get, path: "\(base)/console", summary: "What the console needs to speak the tenant's language: locale, words, categories, workflow, queues",
            tag: "Configuration", access: "any role", success: (200, "ConsoleConfig"), errors: []), use: console)

        routes.add(Endpoint(
            method: .get, path: "\(base)/ticket-categories", summary: "Ticket categories", tag: "Configuration",
            access: "any role", success: (200, "CategoriesBody"), errors: []), use: categories)

        routes.add(Endpoint(
            method: .put, path: "\(base)/ticket-categories", summary: "Replace the ticket categories", tag: "Configuration",
            access: "admin", body: "CategoriesBody", success: (200, "CategoriesBody"), errors: [400, 403, 413, 415, 422]), use: setCategories)

        routes.add(Endpoint(
            method: .get, path: "\(base)/assistant", summary: "AI assistant configuration", tag: "Configuration",
            access: "agent, admin", success: (200, "AssistantBody"), errors: [403]), use: assistant)

        routes.add(Endpoint(
            method: .put, path: "\(base)/assistant", summary: "Replace the AI assistant configuration", tag: "Configuration",
            access: "admin", body: "AssistantConfiguration", success: (200, "AssistantBody"), errors: [400, 403, 413, 415, 422]), use: setAssistant)

        routes.add(Endpoint(
            method: .get, path: "\(base)/terminology", summary: "Terminology (what a ticket is called...)", tag: "Configuration",
            access: "any role", success: (200, "TerminologyBody"), errors: []), use: terminology)

        routes.add(Endpoint(
            method: .put, path: "\(base)/terminology", summary: "Replace the terminology", tag: "Configuration",
            access: "admin", body: "Terminology", success: (200, "TerminologyBody"), errors: [400, 403, 413, 415, 422]), use: setTerminology)

        routes.add(Endpoint(
            method: .get, path: "\(base)/ticket-id-format", summary: "Ticket ID format", tag: "Configuration",
            access: "agent, admin", success: (200, "IDFormatBody"), errors: [403]), use: idFormat)

        routes.add(Endpoint(
            method: .put, path: "\(base)/ticket-id-format",
            summary: "Replace the ticket ID format (numbering continues; existing IDs never change)", tag: "Configuration",
            access: "admin", body: "TicketIDFormat", success: (200, "IDFormatBody"), errors: [400, 403, 413, 415, 422]), use: setIDFormat)

        routes.add(Endpoint(
            method: .get, path: "\(base)/business-hours", summary: "The SLA calendar in force (the tenant's, else the pack's)",
            tag: "Configuration", access: "agent, admin", success: (200, "BusinessHoursBody"), errors: [403]), use: businessHours)

        routes.add(Endpoint(
            method: .put, path: "\(base)/business-hours",
            summary: "Replace the SLA calendar (time zone, weekly periods, holidays); due times follow at each ticket's next change",
            tag: "Configuration", access: "admin", body: "BusinessCalendar", success: (200, "BusinessHoursBody"), errors: [400, 403, 413, 415, 422]), use: setBusinessHours)

        routes.add(Endpoint(
            method: .get, path: "\(base)/mail", summary: "The addresses the tenant receives mail at (none until an admin sets them)",
            tag: "Configuration", access: "agent, admin", success: (200, "MailConfigBody"), errors: [403]), use: mail)

        routes.add(Endpoint(
            method: .put, path: "\(base)/mail",
            summary: "Replace the addresses the tenant receives mail at (each one tenant's; a +tag after the local part reaches the same tenant)",
            tag: "Configuration", access: "admin", body: "TenantMail", success: (200, "MailConfigBody"), errors: [400, 403, 409, 413, 415, 422]), use: setMail)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/mail/quarantine",
            summary: "The mails that could not be read (newest 100), each with the reason; their bytes are not shown",
            tag: "Configuration", access: "admin", success: (200, "QuarantineList"), errors: [403]), use: quarantine)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/mail/quarantine/:id/accept",
            summary: "Accept a quarantined mail anyway: read with raised limits (or its first bytes as text) and received like any mail",
            tag: "Configuration", access: "admin", success: (200, "QuarantineAcceptance"), errors: [403, 404, 409, 422]), use: acceptQuarantined)

        routes.add(Endpoint(
            method: .delete, path: "/api/v2/mail/quarantine/:id", summary: "Discard a quarantined mail", tag: "Configuration",
            access: "admin", success: (204, nil), errors: [403, 404]), use: discardQuarantined)

        routes.add(Endpoint(
            method: .post, path: "\(base)/reset/:key",
            summary: "Drop an override so the pack's value applies again (ticket_categories, assistant_configuration, ticket_terminology, ticket_id_format, business_hours, mail)",
            tag: "Configuration", access: "admin", success: (200, "ResetBody"), errors: [400, 403],
            pathValues: ["key": ConfigKey.allCases.map(\.rawValue)]), use: reset)

        routes.add(Endpoint(
            method: .get, path: "\(base)/all", summary: "Every configuration of the tenant, with its pack and what is overridden",
            tag: "Configuration", access: "admin", success: (200, "AllConfigurationsEnvelope"), errors: [403]), use: all)
    }

    // MARK: - Handlers

    /// The tenant's configuration, when the principal may read `key` of it.
    func read(_ key: ConfigKey?, _ principal: Principal) async throws -> Tenant {
        try services.tenants.requireConfigRead(principal, key)
        return try await services.tenants.configuration(principal)
    }

    @Sendable func console(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let tenant = try await services.tenants.configuration(try context.requirePrincipal())
        return try APICoding.response(ConsoleConfig(
            tenantId: tenant.id, tenantName: tenant.name, locale: tenant.pack.locale, timeZone: tenant.pack.timeZone,
            terminology: tenant.terminology, categories: tenant.categories.filter(\.active), workflow: tenant.workflow,
            queues: (tenant.pack.queues ?? []).map { .init(id: $0.id, name: $0.name) }, priorities: Priority.allCases))
    }

    @Sendable func categories(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let tenant = try await read(.ticketCategories, try context.requirePrincipal())
        return try APICoding.response(CategoriesBody(categories: tenant.categories))
    }

    @Sendable func setCategories(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(CategoriesBody.self, from: request, limit: limits.maxBodyBytes)
        let tenant = try await services.tenants.setCategories(try context.requirePrincipal(), body.categories)
        return try APICoding.response(CategoriesBody(categories: tenant.categories))
    }

    @Sendable func assistant(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let tenant = try await read(.assistant, try context.requirePrincipal())
        return try APICoding.response(AssistantBody(config: tenant.assistant))
    }

    @Sendable func setAssistant(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(BareOrWrapped<AssistantConfiguration>.self, from: request, limit: limits.maxBodyBytes).value
        let tenant = try await services.tenants.setAssistant(try context.requirePrincipal(), body)
        return try APICoding.response(AssistantBody(config: tenant.assistant))
    }

    @Sendable func terminology(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let tenant = try await read(.terminology, try context.requirePrincipal())
        return try APICoding.response(TerminologyBody(terminology: tenant.terminology))
    }

    @Sendable func setTerminology(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(BareOrWrapped<Terminology>.self, from: request, limit: limits.maxBodyBytes).value
        let tenant = try await services.tenants.setTerminology(try context.requirePrincipal(), body)
        return try APICoding.response(TerminologyBody(terminology: tenant.terminology))
    }

    @Sendable func idFormat(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let tenant = try await read(.ticketIdFormat, try context.requirePrincipal())
        return try APICoding.response(IDFormatBody(format: tenant.ticketIdFormat))
    }

    @Sendable func setIDFormat(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(BareOrWrapped<TicketIDFormat>.self, from: request, limit: limits.maxBodyBytes).value
        let tenant = try await services.tenants.setTicketIdFormat(try context.requirePrincipal(), body)
        return try APICoding.response(IDFormatBody(format: tenant.ticketIdFormat))
    }

    @Sendable func businessHours(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let tenant = try await read(.businessHours, try context.requirePrincipal())
        return try APICoding.response(BusinessHoursBody(calendar: tenant.businessHours))
    }

    @Sendable func setBusinessHours(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(BareOrWrapped<BusinessCalendar>.self, from: request, limit: limits.maxBodyBytes).value
        let tenant = try await services.tenants.setBusinessHours(try context.requirePrincipal(), body)
        return try APICoding.response(BusinessHoursBody(calendar: tenant.businessHours))
    }

    @Sendable func mail(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let tenant = try await read(.mail, principal)
        return try APICoding.response(try await mailBody(tenant, principal))
    }

    @Sendable func setMail(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(BareOrWrapped<TenantMail>.self, from: request, limit: limits.maxBodyBytes).value
        let principal = try context.requirePrincipal()
        let tenant = try await services.tenants.setMail(principal, body)
        return try APICoding.response(try await mailBody(tenant, principal))
    }

    /// The mail settings as shown, with mail out's figures and each mailbox's fetch.
    func mailBody(_ tenant: Tenant, _ principal: Principal) async throws -> MailConfigBody {
        let outlet = try await services.tenants.mailOutlet(principal).map(MailConfigBody.OutletFigures.init)
        let mailboxes = try await services.tenants.mailboxStates(principal, tenant.overrides.mail).map(MailConfigBody.MailboxFigures.init)
        return MailConfigBody(mail: (tenant.overrides.mail ?? TenantMail(addresses: [])).shown, outlet: outlet, mailboxes: mailboxes.isEmpty ? nil : mailboxes)
    }

    @Sendable func quarantine(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let (mails, total) = try await services.mail.quarantined(try context.requirePrincipal())
        return try APICoding.response(QuarantineList(quarantine: mails, total: total))
    }

    @Sendable func acceptQuarantined(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let outcome = try await services.mail.acceptQuarantined(try context.requirePrincipal(), id: try context.pathParameter("id"))
        switch outcome {
        case .stored(let ticketId, let created): return try APICoding.response(QuarantineAcceptance(result: "stored", ticketId: ticketId, created: created))
        case .ignored(let reason): return try APICoding.response(QuarantineAcceptance(result: "ignored", reason: reason))
        case .bounced(let addresses): return try APICoding.response(QuarantineAcceptance(result: "bounced", reason: addresses.joined(separator: ", ")))
        case .busy: throw DocketError(.conflict, "the same mail is being stored now; try again in a minute")
        }
    }

    @Sendable func discardQuarantined(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        try await services.mail.discardQuarantined(try context.requirePrincipal(), id: try context.pathParameter("id"))
        return Response(status: .noContent)
    }

    @Sendable func reset(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let name = try context.pathParameter("key")
        guard let key = ConfigKey(name: name) else {
            throw DocketError(
                .badRequest, "unknown configuration key '\(name)'", field: "key",
                details: ["keys": ConfigKey.allCases.map(\.rawValue)])
        }
        let tenant = try await services.tenants.resetConfiguration(try context.requirePrincipal(), key)
        return try APICoding.response(ResetBody(key: key.rawValue, configurations: AllConfigurations(tenant)))
    }

    @Sendable func all(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard principal.role.isAdmin else { throw DocketError.forbidden("this operation is for admins") }
        let tenant = try await services.tenants.configuration(principal)
        return try APICoding.response(AllConfigurationsEnvelope(configurations: AllConfigurations(tenant)))
    }
}
