import Foundation

/// An event a change produced, waiting for the rules.
public struct PendingEvent: Sendable, Equatable {
    public var type: RuleEventType
    public var details: [String: String]

    public init(_ type: RuleEventType, _ details: [String: String] = [:]) {
        self.type = type
        self.details = details
    }
}

/// Runs a tenant's rules for the events of a change and applies what they decide: the rules
/// step of the change pipeline (`TicketWriter`), and of `simulate`.
struct RuleRunner: UseCase {
    let core: ServiceCore

    /// Whether rules gave the ticket to an agent (an `assign` action applied).
    static func routed(_ entries: [RuleAuditEntry]) -> Bool {
        entries.contains { $0.applied.contains { $0.hasPrefix("assign") } }
    }

    /// The turn routing decisions of a tenant take, one at a time.
}

extension RuleRunner {
    /// Runs the tenant's rules for `events` and everything they cause, applying valid actions
    /// to `ticket` (which the caller then stores in the same write) and auditing each rule.
    /// Returns the events as recorded for replay (`simulate`), which the caller stores after
    /// its write succeeded, and the new audit entries (announced as `rule_fired`).
    @discardableResult
    /// `customer`, when the caller has just read it, saves reading it again; so do `inputs`
    /// (the ticket's customer and the agents' loads) read with the ticket.
    func run(
        _ ticket: inout Ticket, events: [PendingEvent], tenant: Tenant, actor: String, now: Date, version: Int? = nil, customer known: Customer? = nil,
        inputs prefetched: RuleInputs? = nil
    ) async throws
        -> (records: [RecordedRuleEvent], entries: [RuleAuditEntry])
    {
        guard rules != nil else { return ([], []) }
        var records = events.map { event in
            RecordedRuleEvent(
                tenantId: tenant.id, ticketId: ticket.ticketId, type: event.type, details: event.details, actor: actor,
                ticket: Self.snapshot(ticket), packId: tenant.pack.id, packVersion: tenant.pack.version, applied: [], at: now)
        }
        // Follow-ups only come from actions, so when no rule handles the initial events nothing
        // can fire: skip loading the agents then (the common case for most updates).
        guard rulesHandle(tenant, where: { type in events.contains { $0.type.rawValue == type } }) else { return (records, []) }
        let agents: [AgentView], customer: CustomerView?
        if let prefetched {
            (agents, customer) = (
                try await agentViews(tenant, openTickets: prefetched.openTickets, presence: prefetched.presence), (known ?? prefetched.customer).map(Self.view)
            )
        } else if let known {
            (agents, customer) = (try await agentViews(tenant), Self.view(known))
        } else {
            // The customer and the agents' loads in one read.
            let inputs = try await stores.tickets.ruleInputs(tenantId: tenant.id, customerId: ticket.customerId, finished: Self.finished(tenant))
            (agents, customer) = (try await agentViews(tenant, openTickets: inputs.openTickets, presence: inputs.presence), inputs.customer.map(Self.view))
        }
        var entries: [(Int, RuleAuditEntry)]
        var shadow: [RuleAuditEntry] = []
        if let plan = tenant.rollout {
            let staged = try await staged(
                &ticket, plan: plan, events: events, tenant: tenant, actor: actor, agents: agents, customer: customer, now: now, version: version)
            (entries, shadow) = (staged.entries, staged.shadow)
            if staged.candidateDecided {
                for index in records.indices { records[index].packId = plan.candidate.id; records[index].packVersion = plan.candidate.version }
            }
        } else {
            entries = await evaluateChain(
                &ticket, events: events, tenant: tenant, actor: actor, agents: agents, customer: customer, now: now, version: version)
        }
        for (root, entry) in entries { records[root].applied += entry.applied }
        ticket.ruleAudit = RuleOutputBounds.trim((ticket.ruleAudit ?? []) + entries.map(\.1) + shadow)
        return (records, entries.map(\.1))
    }

    /// A change's rules during a staged rollout: both versions run from the same ticket; the
    /// rollout's record takes the figures (and may end the rollout there); the candidate's
    /// result is kept when it decides this ticket (a canary's share, while the rollout runs),
    /// the active version's otherwise. The other version's entries are kept in the audit as
    /// `shadow` (never applied, nothing sent).
    func staged(
        _ ticket: inout Ticket, plan: RolloutPlan, events: [PendingEvent], tenant: Tenant, actor: String, agents: [AgentView],
        customer: CustomerView?, now: Date, version: Int?
    ) async throws -> (entries: [(Int, RuleAuditEntry)], shadow: [RuleAuditEntry], candidateDecided: Bool) {
        var (active, candidate) = (ticket, ticket)
        let activeEntries = await evaluateChain(
            &active, events: events, tenant: tenant, actor: actor, agents: agents, customer: customer, now: now, version: version)
        let candidateEntries = await evaluateChain(
            &candidate, events: events, tenant: plan.candidateTenant(tenant), actor: actor, agents: agents, customer: customer, now: now,
            version: version, observe: false)
        let wants = plan.candidateDecides(ticket)
        let tally = RolloutKeeper.tally(events: events.count, active: activeEntries, candidate: candidateEntries, at: now)
        let decided = try await RolloutKeeper(core: core).add(tally, candidateWants: wants, plan: plan, tenantId: tenant.id)
        func marked(_ entries: [(Int, RuleAuditEntry)], _ role: String?) -> [(Int, RuleAuditEntry)] {
            entries.map { root, entry in
                var entry = entry
                entry.role = role
                if role == "shadow" {
                    entry.notifications = nil
                    entry.webhooks = nil
                    entry.mails = nil
                }
                return (root, entry)
            }
        }
        if decided {
            ticket = candidate
            if ticket.ticketId.isEmpty { ticket.canary = plan.id }
            return (marked(candidateEntries, "canary"), marked(activeEntries, "shadow").map(\.1), true)
        }
        ticket = active
        return (activeEntries, marked(candidateEntries, "shadow").map(\.1), false)
    }

    /// What rules see of a ticket, without notes, history and audit (they are not rule input).
    static func snapshot(_ ticket: Ticket) -> Ticket {
        var copy = ticket
        copy.notes = []
        copy.statusHistory = []
        copy.ruleAudit = nil
        return copy
    }

    func customerView(_ tenantId: String, _ customerId: String) async throws -> CustomerView? {
        try await stores.people.customer(tenantId: tenantId, id: customerId).map(Self.view)
    }

    static func view(_ customer: Customer) -> CustomerView {
        CustomerView(id: customer.id, tier: customer.tier, totalTickets: customer.statistics.totalTickets)
    }

    /// The tenant's active agents with their loads and presence; `everyoneOnline` (simulation,
    /// which replays the past) takes every agent as online.
    func agentViews(_ tenant: Tenant, everyoneOnline: Bool = false) async throws -> [AgentView] {
        try await agentViews(
            tenant, openTickets: try await stores.tickets.openTicketCounts(tenantId: tenant.id, finished: Self.finished(tenant)),
            everyoneOnline: everyoneOnline)
    }

    /// `presence`, when read with the loads, saves reading it apart.
    func agentViews(
        _ tenant: Tenant, openTickets counts: [String: Int], presence known: [String: PresenceMark]? = nil, everyoneOnline: Bool = false
    ) async throws -> [AgentView] {
        let agents = try await agentDirectory.agents(tenant.id).filter(\.isActive)
        guard !everyoneOnline, !agents.isEmpty else { return agents.map { AgentView(agent: $0, openTickets: counts[$0.id] ?? 0) } }
        let marks: [String: PresenceMark]
        if let known { marks = known } else { marks = try await stores.presence.presenceMarks(tenantId: tenant.id) }
        let now = clock.now()
        return agents.map { AgentView(agent: $0, openTickets: counts[$0.id] ?? 0, presence: marks[$0.id]?.status(at: now) ?? .offline) }
    }

    /// Evaluates `events` and their follow-ups to the depth limit, applying valid actions to
    /// `ticket`. Returns each audit entry with the index of the initial event it descends from.
    ///
    /// Where the engine lends an evaluator (`RuleEngine.withEvaluator`), the whole chain runs
    /// there: one hop to the engine's worker and back, not one per event that has rules. A chain
    /// that meets a webhook action before the tenant's endpoints are read stops, reads them, and
    /// runs again from the start (rules are functions of their input; nothing it did was kept).
    func evaluateChain(
        _ ticket: inout Ticket, events: [PendingEvent], tenant: Tenant, actor: String, agents: [AgentView], customer: CustomerView?,
        now: Date, version: Int? = nil,
        observe: Bool = true
    ) async -> [(Int, RuleAuditEntry)] {
        guard let rules else { return [] }
        let context = RuleContext(tenant: tenant, agents: agents, customer: customer, now: now)
        let apply: @Sendable (RuleAction, inout Ticket, String, PendingEvent) throws -> [PendingEvent] = { [self] action, ticket, rule, cause in
            try self.apply(action, to: &ticket, tenant: tenant, agents: agents, rule: rule, cause: cause, now: now)
        }
        let start = RuleChain(events: events, actor: actor, tenant: tenant, now: now, version: version)
        var endpoints: Set<String>?
        var chain: RuleChain?
        while chain == nil {
            let (before, known) = (ticket, endpoints)
            guard let lent = await rules.withEvaluator(for: context, { evaluator -> (Ticket, RuleChain)? in
                var (ticket, chain) = (before, start)
                chain.endpoints = known
                while let (step, event) = chain.next(ticket) {
                    let outcomes = evaluator.evaluate(event, context: context, skipping: chain.fired)
                    guard chain.take(outcomes, of: step, &ticket, apply: apply) else { return nil }
                }
                return (ticket, chain)
            }) else { break }
            if let (after, done) = lent {
                (ticket, chain) = (after, done)
            } else {
                endpoints = await webhookEndpoints(tenant.id)
            }
        }
        if chain == nil {
            // An engine without an evaluator: one `evaluate` per event.
            var each = start
            while let (step, event) = each.next(ticket) {
                let outcomes = await rules.evaluate(event, context: context, skipping: each.fired)
                if !each.take(outcomes, of: step, &ticket, apply: apply) {
                    each.endpoints = await webhookEndpoints(tenant.id)
                    _ = each.take(outcomes, of: step, &ticket, apply: apply)
                }
            }
            chain = each
        }
        guard let chain else { return [] }
        if observe, let observer {
            for outcome in chain.outcomes { observer.ruleEvaluated(outcome, pack: tenant.pack.id) }
        }
        return chain.entries
    }

    /// The ids of the tenant's webhook endpoints (what a rule's `webhook` action may name).
    func webhookEndpoints(_ tenantId: String) async -> Set<String> {
        Set(((try? await stores.webhooks.listWebhooks(tenantId: tenantId)) ?? []).map(\.id))
    }

    /// Validates one action against the pack and the workflow and applies it; returns the
    /// events it causes. `cause` is the initial event of the chain (a timer's firing, for
    /// everything its rules cause). Throws a `DocketError` saying
    /// why when it is rejected.
    func apply(
        _ action: RuleAction, to ticket: inout Ticket, tenant: Tenant, agents: [AgentView], rule: String, cause: PendingEvent, now: Date
    ) throws -> [PendingEvent] {
        let actor = "rule:\(rule)"
        switch action {
        case .setPriority(let priority):
            guard priority != ticket.priority else { return [] }
            let from = ticket.priority
            ticket.priority = priority
            Self.retarget(&ticket, tenant.sla.target(for: priority))
            return [PendingEvent(.priorityChanged, ["from": from.rawValue, "to": priority.rawValue])]
        case .setCategory(let category):
            guard tenant.category(category) != nil else { throw DocketError.invalid("category", "'\(category)' is not an active category of the pack") }
            guard category != ticket.category else { return [] }
            ticket.category = category
            return [PendingEvent(.ticketUpdated, ["field": "category"])]
        case .addTag(let tag):
            let clean = try Check.tags([tag])
            guard let value = clean.first else { return [] }
            if !ticket.tags.contains(value) {
                guard ticket.tags.count < TicketLimits.tags else { throw DocketError.invalid("tags", "a ticket holds at most \(TicketLimits.tags) tags") }
                ticket.tags.append(value)
            }
            return []
        case .removeTag(let tag):
            ticket.tags.removeAll { $0 == tag.lowercased() }
            return []
        case .routeToQueue(let queue):
            guard tenant.queues.contains(where: { $0.id == queue }) else { throw DocketError.invalid("queue", "'\(queue)' is not a queue of the pack") }
            ticket.queue = queue
            return []
        case .assign(let agentId, let strategy, let presence):
            let chosen: String
            if let agentId {
                guard agents.contains(where: { $0.agent.id == agentId }) else { throw DocketError.invalid("agent", "unknown agent '\(agentId)'") }
                chosen = agentId
            } else {
                let strategy = strategy ?? "least_loaded"
                guard let routed = try Self.route(ticket: ticket, strategy: strategy, tenant: tenant, agents: agents, anyPresence: presence == "any")
                else {
                    // Nobody of the queue is online: the ticket waits in its queue, and the
                    // assignment is carried out when a fitting agent comes online (`PresenceKeeper`).
                    if ticket.waiting == nil { ticket.waiting = WaitingAssignment(strategy: strategy, rule: rule, since: now) }
                    return []
                }
                chosen = routed
            }
            guard ticket.assignedAgent != chosen else { return [] }
            try Self.take(&ticket, agent: chosen, by: actor, reason: "assigned by rule", workflow: tenant.workflow, now: now)
            return [PendingEvent(.assigned, ["agent": chosen])]
        case .setSLAPolicy(let name):
            guard tenant.sla.policies?.contains(where: { $0.name == name }) == true else {
                throw DocketError.invalid("sla_policy", "the pack defines no SLA policy named '\(name)'")
            }
            // The clocks are re-targeted with the ticket's next SLA update, in this same write.
            ticket.sla.policy = name
            return []
        case .escalate(let to, let reason):
            if let to, !agents.contains(where: { $0.agent.id == to }) { throw DocketError.invalid("to", "unknown agent '\(to)'") }
            let text = try Check.text(reason, field: "reason", max: TicketLimits.reason)
            guard ticket.status != tenant.workflow.closed else { throw DocketError(.conflict, "a closed ticket cannot be escalated") }
            ticket.escalation = Escalation(escalatedTo: to, escalatedBy: actor, reason: text, escalatedAt: now)
            if let to, ticket.assignedAgent != to {
                try Self.take(&ticket, agent: to, by: actor, reason: "escalated by rule", workflow: tenant.workflow, now: now)
            }
            return [PendingEvent(.escalated, ["reason": text])]
        case .setStatus(let status, let reason):
            let from = ticket.status
            guard status != from else { return [] }
            try Self.transition(&ticket, to: status, by: actor, reason: reason ?? "rule", workflow: tenant.workflow, now: now)
            return [PendingEvent(.statusChanged, ["from": from, "to": status])]
        case .addInternalNote(let text):
            let content = try Check.text(text, field: "text", max: TicketLimits.note)
            guard ticket.notes.count < 1_000 else { throw DocketError(.conflict, "the ticket holds the maximum of 1000 notes") }
            guard ticket.notes.count(where: { $0.authorId.hasPrefix("rule:") }) < RuleOutputBounds.notesPerTicket else {
                throw DocketError(.conflict, "the ticket holds the maximum of \(RuleOutputBounds.notesPerTicket) notes from rules")
            }
            ticket.notes.append(Note(
                id: IdentifierGenerator.make(), authorId: actor, authorRole: .system, content: content, isInternal: true, timestamp: now))
            return []
        case .notify(let target, let message):
            // Checked here; delivered as a `notification` live event once the write succeeded.
            _ = try Check.text(message, field: "message", max: 1_000)
            switch LiveRoom(target) {
            case .staff: break
            case .queue(let queue):
                guard tenant.queues.contains(where: { $0.id == queue }) else { throw DocketError.invalid("target", "'\(queue)' is not a queue of the pack") }
            case .ticket, .customer:
                throw DocketError.invalid("target", "notify targets are staff, queue:<id>, agent:<id>, assignee or customer")
            case nil:
                if target == "assignee" {
                    guard ticket.assignedAgent != nil else { throw DocketError(.conflict, "the ticket has no assignee to notify") }
                } else if target == "customer" {
                    break
                } else if target.hasPrefix("agent:") {
                    let agent = String(target.dropFirst("agent:".count))
                    guard agents.contains(where: { $0.agent.id == agent }) else { throw DocketError.invalid("target", "unknown agent '\(agent)'") }
                } else {
                    throw DocketError.invalid("target", "notify targets are staff, queue:<id>, agent:<id>, assignee or customer")
                }
            }
            return []
        case .webhook:
            // Checked against the tenant's endpoints in `evaluateChain`; sent once the write succeeded.
            return []
        case .sendMail(let template):
            // Sent by mail out from the `rule_mail` event, once the write succeeded.
            guard MailTemplate.reserved[template] == nil else {
                throw DocketError.invalid("template", "'\(template)' words Docket's own mail (mailTemplates.\(template)): rules send templates of other names")
            }
            guard tenant.pack.mailTemplates?[template] != nil else {
                throw DocketError.invalid("template", "no mail template '\(template.prefix(64))' in the pack (mailTemplates)")
            }
            return []
        case .schedule(let name, let after, let business, let keep):
            guard !SLAKeeper.finished(ticket, tenant.workflow) || keep else {
                throw DocketError(.conflict, "the ticket is \(ticket.status): a timer on it needs keep = true")
            }
            try TimerKeeper.schedule(
                &ticket, name: name, after: after, business: business, keep: keep, rule: rule, cause: cause, tenant: tenant, now: now)
            return []
        case .cancelTimer(let name):
            TimerKeeper.cancel(&ticket, name: name)
            return []
        }
    }

    /// Picks an agent for the ticket's queue among those online (all, with `anyPresence`):
    /// `least_loaded` (fewest open tickets under capacity, then id) or `round_robin` (by ticket
    /// number over the queue's agents with capacity). Nil when the queue has agents but none of
    /// them is online.
    static func route(ticket: Ticket, strategy: String, tenant: Tenant, agents: [AgentView], anyPresence: Bool = false) throws -> String? {
        guard strategy == "least_loaded" || strategy == "round_robin" else {
            throw DocketError.invalid("strategy", "unknown routing strategy '\(strategy)' (least_loaded, round_robin)")
        }
        let skills = Set(tenant.queues.first { $0.id == ticket.queue }?.skills ?? [])
        let fitting = agents.filter { skills.isEmpty || !skills.isDisjoint(with: $0.agent.skills) }
        let present = anyPresence ? fitting : fitting.filter { $0.presence == .online }
        if present.isEmpty, !fitting.isEmpty { return nil }
        let eligible = present.filter { $0.openTickets < $0.agent.capacity }
            .sorted { $0.agent.id < $1.agent.id }
        guard !eligible.isEmpty else {
            throw DocketError(.conflict, "no agent of queue '\(ticket.queue ?? "-")' has capacity left")
        }
        let leastLoaded = eligible.min { ($0.openTickets, $0.agent.id) < ($1.openTickets, $1.agent.id) }!.agent.id
        switch strategy {
        case "least_loaded":
            return leastLoaded
        case "round_robin":
            // Rotates by ticket number; before creation the number is unknown, so least loaded.
            return ticket.number > 0 ? eligible[(ticket.number - 1) % eligible.count].agent.id : leastLoaded
        default:
            throw DocketError.invalid("strategy", "unknown routing strategy '\(strategy)' (least_loaded, round_robin)")
        }
    }
}

/// One chain of rule evaluations: the events waiting (the initial ones, then the follow-ups
/// applied actions cause, to the depth limit), the rules that fired (each at most once), and
/// the audit entries. `UseCase.evaluateChain` drives it, on the engine's worker when it can.
struct RuleChain: Sendable {
    struct Step: Sendable {
        var event: PendingEvent
        var depth: Int
        var cause: String
        /// The initial event it descends from.
        var root: Int
    }

    private var queue: [Step]
    private(set) var fired = Set<String>()
    private(set) var entries: [(Int, RuleAuditEntry)] = []
    /// Every outcome, in order, for the observer (told once the chain is done).
    private(set) var outcomes: [RuleOutcome] = []
    /// The tenant's webhook endpoints; nil until read (a chain meeting a webhook action asks).
    var endpoints: Set<String>?
    let tenant: Tenant
    let now: Date
    /// The ticket version the change will store (recorded in each audit entry).
    let version: Int?

    /// The initial events, which follow-ups descend from.
    let initial: [PendingEvent]

    init(events: [PendingEvent], actor: String, tenant: Tenant, now: Date, version: Int? = nil) {
        self.version = version
        initial = events
        queue = events.enumerated().map { Step(event: $0.element, depth: 0, cause: actor, root: $0.offset) }
        self.tenant = tenant
        self.now = now
    }

    /// The next event, as rules see it with `ticket` as it is now.
    mutating func next(_ ticket: Ticket) -> (Step, RuleEvent)? {
        guard !queue.isEmpty else { return nil }
        let step = queue.removeFirst()
        return (step, RuleEvent(type: step.event.type, ticket: ticket, details: step.event.details, actor: step.cause))
    }

    /// Applies what the rules answered for `step` to `ticket` and audits it. False, with
    /// nothing done, when an outcome has a webhook action and the endpoints are not known yet.
    mutating func take(
        _ outcomes: [RuleOutcome], of step: Step, _ ticket: inout Ticket,
        apply: (RuleAction, inout Ticket, String, PendingEvent) throws -> [PendingEvent]
    ) -> Bool {
        let webhooks = outcomes.contains { $0.actions.contains { if case .webhook = $0 { true } else { false } } }
        if webhooks, endpoints == nil { return false }
        for outcome in outcomes {
            fired.insert(outcome.rule)
            self.outcomes.append(outcome)
            var entry = RuleAuditEntry(
                event: step.event.type.rawValue, packId: tenant.pack.id, packVersion: tenant.pack.version, rule: outcome.rule,
                proposed: outcome.actions.map(\.summary), applied: [], rejected: [], error: outcome.error,
                durationMicros: outcome.durationMicros, depth: step.depth, at: now)
            entry.instructions = outcome.instructions > 0 ? outcome.instructions : nil
            entry.ticketVersion = version
            var cuts = RuleOutputBounds.Cuts()
            for proposed in outcome.actions {
                var action = proposed
                // A rule note is cut, not refused: the rule meant to say something.
                if case .addInternalNote(let text) = action, text.count > RuleOutputBounds.note {
                    action = .addInternalNote(RuleOutputBounds.cut(text, to: RuleOutputBounds.note, "add_internal_note", &cuts))
                }
                if case .webhook(let endpoint, let name) = action {
                    let event = name ?? LiveEventType.ruleWebhook.rawValue
                    if endpoints?.contains(endpoint) != true {
                        entry.rejected.append(.init(action: action.summary, reason: "no webhook '\(endpoint)' in this workspace (GET /api/v2/webhooks lists them)"))
                    } else if !RuleWebhook.validEvent(event) {
                        entry.rejected.append(.init(
                            action: action.summary, reason: "event '\(event.prefix(64))' must be 1-64 lower-case letters, digits, _ or ."))
                    } else {
                        entry.applied.append(action.summary)
                        entry.webhooks = (entry.webhooks ?? []) + [RuleWebhook(endpoint: endpoint, event: event)]
                    }
                    continue
                }
                do {
                    let followUps = try apply(action, &ticket, outcome.rule, initial[step.root])
                    entry.applied.append(action.summary)
                    if case .notify(let target, let message) = action {
                        entry.notifications = (entry.notifications ?? []) + [RuleNotification(target: target, message: message)]
                    }
                    if case .sendMail(let template) = action { entry.mails = (entry.mails ?? []) + [template] }
                    for followUp in followUps {
                        if step.depth + 1 < TicketService.maxRuleDepth {
                            queue.append(Step(event: followUp, depth: step.depth + 1, cause: "rule:\(outcome.rule)", root: step.root))
                        } else {
                            entry.rejected.append(.init(
                                action: "follow-up \(followUp.type.rawValue)",
                                reason: "depth limit of \(TicketService.maxRuleDepth) reached; not evaluated"))
                        }
                    }
                } catch let error as DocketError {
                    entry.rejected.append(.init(action: action.summary, reason: error.message))
                } catch {
                    entry.rejected.append(.init(action: action.summary, reason: "\(error)"))
                }
            }
            entries.append((step.root, RuleOutputBounds.bound(entry, earlier: cuts.lines)))
        }
        return true
    }
}
