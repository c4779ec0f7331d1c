import Foundation

/// Signing in to the console: passwords (hashed by a `PasswordHasher`), sessions, one-time
/// password links (invitations and resets) and the customer sessions a tenant's widget vouches
/// for. Tokens and hashes of link secrets are made by the adapter (the core has no crypto).
public struct AccountService: UseCase {
    let core: ServiceCore
    let hasher: any PasswordHasher
    public let throttle: LoginThrottle
    public let policy: SessionPolicy

    public init(core: ServiceCore, hasher: any PasswordHasher, throttle: LoginThrottle = LoginThrottle(), policy: SessionPolicy = .init()) {
        self.core = core
        self.hasher = hasher
        self.throttle = throttle
        self.policy = policy
    }

    /// Password rules: long enough to resist guessing, short enough for bcrypt (72 bytes).
    public static let minPasswordLength = 10
    public static let maxPasswordBytes = 72
    /// How long a one-time password link stays valid.
    public static let passwordLinkLifetime: TimeInterval = 72 * 3600

    /// The person behind a session, with what the console shows.
    public struct SignedIn: Sendable {
        public var session: Session
        public var principal: Principal
        public var name: String
        public var email: String?
    }

    // MARK: - Sign in and out

    /// Checks the password of the tenant's account with this e-mail. Every failure answers the
    /// same `unauthorized` (an unknown tenant or e-mail is indistinguishable from a wrong
    /// password, in words and in time); repeated failures are refused with `tooManyRequests`.
    public func login(tenantId: String, email rawEmail: String, password: String, address: String) async throws -> SignedIn {
        let email = rawEmail.trimmingCharacters(in: .whitespaces).lowercased()
        let tenantId = tenantId.trimmingCharacters(in: .whitespaces)
        guard !tenantId.isEmpty, tenantId.count <= 100 else { throw DocketError.invalid("tenant", "must be 1-100 characters") }
        guard !email.isEmpty, email.count <= 254 else { throw DocketError.invalid("email", "must be 1-254 characters") }
        guard !password.isEmpty, password.utf8.count <= 1024 else { throw DocketError.invalid("password", "must be 1-1024 bytes") }
        let key = "\(tenantId)/\(email)"
        let now = clock.now()
        if let wait = throttle.retryAfter(account: key, address: address, now: now) {
            let seconds = Int(wait.rounded(.up))
            throw DocketError(
                .tooManyRequests, "too many failed sign-ins: try again in \(seconds) s", details: ["retryAfter": [String(seconds)]])
        }
        let account = try await tenants.tenant(tenantId) == nil ? nil : try await stores.accounts.account(tenantId: tenantId, email: email)
        // The same work whether or not the account exists, so time tells nothing either.
        let matches = try await hasher.verify(password, hash: account?.passwordHash ?? hasher.decoyHash)
        guard let account, account.passwordHash != nil, matches, !account.disabled else {
            throttle.failed(account: key, address: address, now: clock.now())
            throw DocketError(.unauthorized, "the tenant, e-mail or password is not right")
        }
        throttle.succeeded(account: key)
        let agent = try await stores.people.agent(tenantId: tenantId, id: account.agentId)
        guard agent?.isActive ?? true else {
            throw DocketError(.unauthorized, "this account is deactivated: ask an admin of the workspace")
        }
        let session = try await startSession(Principal(tenantId: tenantId, role: account.role, subject: account.agentId))
        return SignedIn(session: session, principal: session.principal, name: agent?.name ?? email, email: email)
    }

    /// The live session with this id and who it is, or nil when it is unknown, ended, idle too
    /// long or older than the longest session allowed.
    public func liveSession(id: String) async throws -> Session? {
        guard let session = try await stores.accounts.session(id: id), session.endedAt == nil else { return nil }
        let now = clock.now()
        guard now.timeIntervalSince(session.renewedAt) <= policy.idle, now.timeIntervalSince(session.createdAt) <= policy.longest else {
            return nil
        }
        return session
    }

    /// Records activity on a live session (the adapter calls it when it issues a fresh token).
    public func renew(_ session: Session) async throws -> Bool {
        try await stores.accounts.renewSession(id: session.id, at: clock.now())
    }

    public func logout(sessionId: String) async throws {
        _ = try await stores.accounts.endSession(id: sessionId, at: clock.now())
    }

    func startSession(_ principal: Principal) async throws -> Session {
        let now = clock.now()
        let session = Session(
            id: IdentifierGenerator.make(), tenantId: principal.tenantId, role: principal.role, subject: principal.subject,
            createdAt: now, renewedAt: now)
        try await stores.accounts.insertSession(session)
        return session
    }

    /// Who a session's principal is, for the console's header.
    public func describe(_ principal: Principal) async throws -> (name: String, email: String?) {
        switch principal.role {
        case .customer:
            let customer = try await stores.people.customer(tenantId: principal.tenantId, id: principal.subject)
            let name = [customer?.firstName, customer?.lastName].compactMap { $0 }.joined(separator: " ")
            return (name.isEmpty ? principal.subject : name, customer?.email)
        default:
            let agent = try await stores.people.agent(tenantId: principal.tenantId, id: principal.subject)
            return (agent?.name ?? principal.subject, agent?.email)
        }
    }

    // MARK: - Accounts

    /// `docket user create`: the agent record (made if the e-mail has none) and its password.
    public func createUser(tenantId: String, email rawEmail: String, name: String?, role: Role, agentId: String?, password: String) async throws
        -> Account
    {
        guard role == .admin || role == .agent || role == .supervisor || role == .platform else {
            throw DocketError.invalid("role", "must be admin, supervisor, agent or platform")
        }
        let email = rawEmail.trimmingCharacters(in: .whitespaces).lowercased()
        try Self.checkPassword(password)
        let operatorPrincipal = Principal(tenantId: tenantId, role: .platform, subject: "cli")
        let existing = try await stores.accounts.account(tenantId: tenantId, email: email)
        let agentId = try await {
            if let existing { return existing.agentId }
            if let agentId, try await stores.people.agent(tenantId: tenantId, id: agentId) != nil { return agentId }
            let local = String(email.split(separator: "@").first ?? "agent")
            let id = agentId ?? String(local.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }.prefix(40))
            let agent = try await TenantService(core: core).createAgent(
                operatorPrincipal, NewAgent(id: id, name: name ?? local, email: email, role: role == .agent ? .agent : role == .supervisor ? .supervisor : .admin))
            return agent.id
        }()
        let now = clock.now()
        let account = Account(
            tenantId: tenantId, email: email, agentId: agentId, role: role, passwordHash: try await hasher.hash(password),
            createdAt: existing?.createdAt ?? now, updatedAt: now)
        try await stores.accounts.saveAccount(account)
        _ = try await stores.accounts.endSessions(tenantId: tenantId, subject: agentId, at: now)
        return account
    }

    static func checkPassword(_ password: String) throws {
        guard password.count >= minPasswordLength else {
            throw DocketError.invalid("password", "must be at least \(minPasswordLength) characters")
        }
        guard password.utf8.count <= maxPasswordBytes else {
            throw DocketError.invalid("password", "must be at most \(maxPasswordBytes) bytes (bcrypt reads no more)")
        }
    }

    /// An admin's one-time link for an agent to choose a password: an invitation when the agent
    /// has none yet, a reset otherwise. `id` is the hash of the link's secret (the adapter keeps
    /// the secret and shows it once).
    public func createPasswordLink(_ principal: Principal, agentId: String, id: String) async throws -> PasswordLink {
        try Self.requireAdmin(principal)
        _ = try await tenant(for: principal)
        guard let agent = try await stores.people.agent(tenantId: principal.tenantId, id: agentId) else { throw DocketError.notFound("agent", agentId) }
        guard let email = agent.email?.lowercased() else {
            throw DocketError.invalid("email", "agent '\(agentId)' has no e-mail address to sign in with")
        }
        let account = try await stores.accounts.account(tenantId: principal.tenantId, email: email)
        if let account, account.agentId != agentId {
            throw DocketError(.conflict, "the e-mail \(email) already signs in as agent '\(account.agentId)'")
        }
        let now = clock.now()
        let link = PasswordLink(
            id: id, tenantId: principal.tenantId, email: email, agentId: agentId, role: Role(agent.role),
            purpose: account?.passwordHash == nil ? .invite : .reset, createdBy: principal.subject, createdAt: now,
            expiresAt: now.addingTimeInterval(Self.passwordLinkLifetime))
        try await stores.accounts.insertPasswordLink(link)
        return link
    }

    /// What became of a password link's mail.
    public enum LinkDelivery: Sendable, Equatable {
        /// The tenant sends no mail (no relay): the link is for the admin to pass on.
        case notMailed
        /// It went to the agent's address (and is not shown to the admin).
        case mailed
        /// The relay refused it or could not be reached: the link is shown to pass on, with why.
        case failed(String)
    }

    /// Mails a one-time link to the agent it is for, through the tenant's relay, when the tenant
    /// sends mail: an invitation or a reset, in the tenant's language, marked automatic.
    public func mailPasswordLink(_ link: PasswordLink, url: String) async throws -> LinkDelivery {
        let tenant = try await tenant(for: Principal(tenantId: link.tenantId, role: .admin, subject: link.createdBy))
        guard let sender = core.mailSender, let config = tenant.overrides.mail, let relay = config.relay, let from = config.sender else { return .notMailed }
        let agent = try await stores.people.agent(tenantId: link.tenantId, id: link.agentId)
        var mail = MailWriting.passwordLink(
            link, url: url, tenant: tenant, from: from, name: agent?.name, texts: AssistantTexts(tenant), at: clock.now())
        if let template = tenant.pack.mailTemplates?[link.purpose == .invite ? "invitation" : "password_reset"] {
            let values = [
                "agent.name": agent?.name ?? link.email, "tenant.name": tenant.name, "link.url": url,
                "link.expires": MailWriting.time(link.expiresAt, tenant),
            ]
            // In the template's HTML the address is escaped, so `<a href="{{link.url}}">` works.
            mail = MailWriting.worded(mail, by: template, values: values) { $0 }
        }
        do {
            try await sender.send(mail, envelopeFrom: from, via: relay, signing: config.signingKey(for: from))
            return .mailed
        } catch {
            return .failed(String("\(error)".prefix(300)))
        }
    }

    /// Spends a one-time link: sets the password, ends the person's other sessions, signs in.
    public func usePasswordLink(id: String, password: String) async throws -> SignedIn {
        try Self.checkPassword(password)
        let hash = try await hasher.hash(password)
        guard let link = try await stores.accounts.consumePasswordLink(id: id, at: clock.now()) else {
            throw DocketError(.notFound, "this link is unknown, used or expired: ask an admin for a new one")
        }
        let now = clock.now()
        let existing = try await stores.accounts.account(tenantId: link.tenantId, email: link.email)
        try await stores.accounts.saveAccount(Account(
            tenantId: link.tenantId, email: link.email, agentId: link.agentId, role: existing?.role ?? link.role, passwordHash: hash,
            createdAt: existing?.createdAt ?? now, updatedAt: now))
        _ = try await stores.accounts.endSessions(tenantId: link.tenantId, subject: link.agentId, at: now)
        let session = try await startSession(Principal(tenantId: link.tenantId, role: existing?.role ?? link.role, subject: link.agentId))
        let agent = try await stores.people.agent(tenantId: link.tenantId, id: link.agentId)
        return SignedIn(session: session, principal: session.principal, name: agent?.name ?? link.email, email: link.email)
    }

    /// Whether the agent can sign in (an account with a password), for the admin's agent list.
    public func account(_ principal: Principal, agentId: String) async throws -> Account? {
        try Self.requireStaff(principal)
        return try await stores.accounts.account(tenantId: principal.tenantId, agentId: agentId)
    }

    // MARK: - Customers through the tenant's widget

    /// Replaces the tenant's widget secret (the adapter generated it and shows it once).
    public func setWidgetSecret(_ principal: Principal, secret: String) async throws {
        try Self.requireAdmin(principal)
        _ = try await tenant(for: principal)
        try await stores.accounts.setWidgetSecret(tenantId: principal.tenantId, secret: secret)
    }

    public func widgetSecret(tenantId: String) async throws -> String? {
        try await stores.accounts.widgetSecret(tenantId: tenantId)
    }

    /// A customer session for a customer the tenant's site vouched for (the adapter checked the
    /// signature); the customer record is made on first sight, and its name and e-mail filled in.
    /// The site vouches for the name, so a long one is shortened (first and last name to 100
    /// characters each), never refused: a refusal would leave the customer's chat page dead. An
    /// e-mail longer than an address can be (254) is left out.
    public func customerSession(tenantId: String, customerId: String, name: String?, email: String?) async throws -> SignedIn {
        guard try await tenants.tenant(tenantId) != nil else { throw DocketError(.unauthorized, "unknown tenant '\(tenantId)'") }
        let id = try Check.identifier(customerId, field: "sub") ?? customerId
        if try await stores.people.customer(tenantId: tenantId, id: id) == nil {
            let parts = (name ?? "").split(separator: " ", maxSplits: 1).map(String.init)
            let customer = Customer(
                id: id, tenantId: tenantId, phoneNumber: nil, firstName: Check.shortened(parts.first, max: 100),
                lastName: Check.shortened(parts.count > 1 ? parts[1] : nil, max: 100),
                email: (email?.count ?? 0) <= 254 ? Check.shortened(email, max: 254) : nil, createdAt: clock.now())
            do { try await stores.people.insertCustomer(customer) } catch let error as DocketError where error.code == .conflict {}
        }
        let session = try await startSession(Principal(tenantId: tenantId, role: .customer, subject: id))
        let described = try await describe(session.principal)
        return SignedIn(session: session, principal: session.principal, name: described.name, email: described.email)
    }
}

/// How long sessions last.
public struct SessionPolicy: Sendable {
    /// A session not renewed for this long is over (the console renews while it is open).
    public var idle: TimeInterval
    /// No session lasts longer than this, renewed or not.
    public var longest: TimeInterval

    public init(idle: TimeInterval = 30 * 60, longest: TimeInterval = 12 * 3600) {
        self.idle = idle
        self.longest = longest
    }
}

extension Session {
    public var principal: Principal { Principal(tenantId: tenantId, role: role, subject: subject) }
}
