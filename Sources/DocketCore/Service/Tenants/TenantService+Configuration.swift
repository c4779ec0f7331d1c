import Foundation

/// Whether provisioning created, refreshed or left a tenant alone.
public enum ProvisionOutcome: String, Sendable {
    case created, packUpdated = "pack_updated", unchanged
}

extension TenantService {
    /// The tenant a principal belongs to; nil when it does not exist.
    public func tenant(id: String) async throws -> Tenant? { try await tenants.tenant(id) }

    /// Creates the tenant from `pack`, or refreshes its pack defaults when the pack changed.
    /// Overrides the tenant's admins made are kept.
    public func provisionTenant(id: String, name: String, pack: PackManifest) async throws -> (Tenant, ProvisionOutcome) {
        let now = clock.now()
        for _ in 0..<ServiceCore.maxAttempts {
            if var tenant = try await stores.tenants.tenant(id: id) {
                if tenant.pack == pack { tenants.remember(tenant); return (tenant, .unchanged) }
                let expected = tenant.version
                tenant.pack = pack
                tenant.version = expected + 1
                tenant.updatedAt = now
                if try await stores.tenants.updateTenant(tenant, expectedVersion: expected) {
                    tenants.remember(tenant)
                    return (tenant, .packUpdated)
                }
                continue
            }
            let tenant = Tenant(id: id, name: name, pack: pack, createdAt: now)
            do {
                try await stores.tenants.insertTenant(tenant)
                tenants.remember(tenant)
                return (tenant, .created)
            } catch let error as DocketError where error.code == .conflict {
                continue
            }
        }
        throw DocketError(.conflict, "tenant '\(id)' is being changed by others; retry")
    }

    /// The tenant's effective configuration (pack defaults with overrides applied).
    public func configuration(_ principal: Principal) async throws -> Tenant {
        try await tenant(for: principal)
    }

    /// Checks the caller may read `key`: staff read everything, customers the categories and terminology.
    public func requireConfigRead(_ principal: Principal, _ key: ConfigKey?) throws {
        if principal.isStaff { return }
        guard let key, key == .ticketCategories || key == .terminology else {
            throw DocketError.forbidden("this configuration is for agents and admins")
        }
    }

    public func setCategories(_ principal: Principal, _ categories: [TicketCategory]) async throws -> Tenant {
        let problems = PackManifest.categoryProblems(categories, fieldPrefix: "categories")
        if let first = problems.first {
            throw DocketError(.validation, problems.map(\.description).joined(separator: "; "), field: first.field)
        }
        return try await changeConfiguration(principal, .ticketCategories) { tenant in
            guard categories.contains(where: { $0.id == tenant.pack.defaultCategory && $0.active }) else {
                throw DocketError.invalid("categories", "must keep the default category '\(tenant.pack.defaultCategory)' active")
            }
            tenant.overrides.categories = categories
        }
    }

    public func setAssistant(_ principal: Principal, _ value: AssistantConfiguration) async throws -> Tenant {
        for (field, text) in [
            ("assistantName", value.assistantName), ("companyName", value.companyName), ("ticketNoun", value.ticketNoun),
            ("ticketNounPlural", value.ticketNounPlural), ("language", value.language),
        ] {
            _ = try Check.text(text, field: field, max: TicketLimits.shortText)
        }
        _ = try Check.text(value.primaryServiceIssue, field: "primaryServiceIssue", max: 1000, required: false)
        _ = try Check.text(value.serviceType, field: "serviceType", max: 1000, required: false)
        return try await changeConfiguration(principal, .assistant) { $0.overrides.assistant = value }
    }

    public func setTerminology(_ principal: Principal, _ value: Terminology) async throws -> Tenant {
        for (field, text) in [
            ("ticketSingular", value.ticketSingular), ("ticketPlural", value.ticketPlural), ("createVerb", value.createVerb),
            ("customerNoun", value.customerNoun), ("agentNoun", value.agentNoun), ("resolveVerb", value.resolveVerb),
        ] {
            _ = try Check.text(text, field: field, max: 100)
        }
        return try await changeConfiguration(principal, .terminology) { $0.overrides.terminology = value }
    }

    public func setTicketIdFormat(_ principal: Principal, _ value: TicketIDFormat) async throws -> Tenant {
        if let problem = value.problems(fieldPrefix: "").first { throw DocketError.invalid(problem.field, problem.message) }
        return try await changeConfiguration(principal, .ticketIdFormat) { $0.overrides.ticketIdFormat = value }
    }

    /// Replaces the SLA calendar of the tenant's pack. Tickets' due times follow at their next
    /// change (a clock is re-planned whenever its ticket is written).
    public func setBusinessHours(_ principal: Principal, _ calendar: BusinessCalendar) async throws -> Tenant {
        if let problem = calendar.problems(field: "calendar").first { throw DocketError.invalid(problem.field, problem.message) }
        var calendar = calendar
        if let file = calendar.holidayCalendar {
            // What GET answered for the pack's calendar names its holiday file; its dates are
            // already in `holidays`, so sending it back is fine. Any other file is not the tenant's.
            guard file == (try await tenant(for: principal)).pack.sla.calendar?.holidayCalendar else {
                throw DocketError.invalid("calendar.holidayCalendar", "list the holidays in 'holidays' (a tenant has no pack files)")
            }
            calendar.holidayCalendar = nil
        }
        let chosen = calendar
        return try await changeConfiguration(principal, .businessHours) { $0.overrides.calendar = chosen }
    }

    /// Replaces the addresses the tenant receives mail at. An address is one tenant's: one
    /// another tenant receives at is refused (checked against every tenant, at this moment).
    public func setMail(_ principal: Principal, _ value: TenantMail) async throws -> Tenant {
        try Self.requireAdmin(principal)
        let previous = try await tenant(for: principal).overrides.mail
        var checked = try value.validated(keeping: previous)
        if let keys = checked.dkim {
            var completedKeys: [DKIMKey] = []
            for (index, key) in keys.enumerated() { completedKeys.append(try await completed(key, field: "dkim[\(index)]")) }
            checked.dkim = completedKeys
        }
        let addresses = checked.addresses
        var page = 1
        while true {
            let tenants = try await stores.tenants.listTenants(page: page, limit: 100)
            for other in tenants.items where other.id != principal.tenantId {
                if let taken = other.overrides.mail?.addresses.first(where: addresses.contains) {
                    throw DocketError(.conflict, "another workspace receives mail at '\(taken)'", field: "addresses")
                }
            }
            if tenants.items.count < 100 { break }
            page += 1
        }
        let tenant = try await changeConfiguration(principal, .mail) { $0.overrides.mail = checked }
        // Mail out starts here: what the log holds from before is not sent.
        if checked.relay != nil, try await stores.mailOutlets.mailOutlet(tenantId: tenant.id) == nil {
            _ = try await stores.mailOutlets.saveMailOutlet(MailOutlet(tenantId: tenant.id, cursor: try await live.latestId(tenantId: tenant.id)), expectedVersion: nil)
        }
        return tenant
    }

    /// What the tenant's mail out did so far (nil before it sent anything).
    public func mailOutlet(_ principal: Principal) async throws -> MailOutlet? {
        guard principal.isStaff else { throw DocketError.forbidden("only staff read the mail settings") }
        return try await stores.mailOutlets.mailOutlet(tenantId: principal.tenantId)
    }

    /// Where each of the tenant's configured mailboxes' fetch stands (those not fetched yet left out).
    public func mailboxStates(_ principal: Principal, _ mail: TenantMail?) async throws -> [MailboxState] {
        guard principal.isStaff else { throw DocketError.forbidden("only staff read the mail settings") }
        var states: [MailboxState] = []
        for mailbox in mail?.mailboxes ?? [] {
            if let state = try await stores.mailboxes.mailboxState(tenantId: principal.tenantId, mailboxId: mailbox.id) { states.append(state) }
        }
        return states
    }

    /// A DKIM key with both halves: a given private key read for its public one, a missing one made.
    func completed(_ key: DKIMKey, field: String) async throws -> DKIMKey {
        if key.privateKey != nil, key.publicKey != nil { return key }
        guard let maker = core.dkimKeys else {
            throw DocketError(.conflict, "this server makes and reads no DKIM keys", field: field)
        }
        var out = key
        do {
            let pem: String
            if let given = key.privateKey { pem = given } else { pem = try await maker.makePrivateKey() }
            out.privateKey = pem
            out.publicKey = try maker.publicKey(of: pem)
        } catch {
            throw DocketError.invalid("\(field).privateKey", "not an RSA private key of 1024 to 4096 bits in PEM")
        }
        return out
    }

    /// Drops the override of `key`, so the pack's value applies again.
    public func resetConfiguration(_ principal: Principal, _ key: ConfigKey) async throws -> Tenant {
        try await changeConfiguration(principal, key) { tenant in
            switch key {
            case .ticketCategories: tenant.overrides.categories = nil
            case .assistant: tenant.overrides.assistant = nil
            case .terminology: tenant.overrides.terminology = nil
            case .ticketIdFormat: tenant.overrides.ticketIdFormat = nil
            case .businessHours: tenant.overrides.calendar = nil
            case .mail: tenant.overrides.mail = nil
            }
        }
    }
}

extension TenantService {
    func changeConfiguration(_ principal: Principal, _ key: ConfigKey, _ change: (inout Tenant) throws -> Void) async throws -> Tenant {
        try Self.requireAdmin(principal)
        for _ in 0..<ServiceCore.maxAttempts {
            guard var tenant = try await stores.tenants.tenant(id: principal.tenantId) else {
                throw DocketError(.unauthorized, "unknown tenant '\(principal.tenantId)'")
            }
            let expected = tenant.version
            let now = clock.now()
            try change(&tenant)
            tenant.overrides.changes[key.rawValue] = ConfigChange(updatedBy: principal.subject, updatedAt: now)
            tenant.version = expected + 1
            tenant.updatedAt = now
            if try await stores.tenants.updateTenant(tenant, expectedVersion: expected) {
                tenants.remember(tenant)
                return tenant
            }
        }
        throw DocketError(.conflict, "configuration is being changed by others; retry")
    }
}
