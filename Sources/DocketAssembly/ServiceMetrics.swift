import DocketCore
import Logging
import Metrics
import Synchronization

/// Counts what the service does in /metrics (through swift-metrics, bootstrapped with
/// Prometheus at start) and logs what an operator should see:
///
/// - `docket_tickets_created_total{source}`: tickets created by every path;
/// - `docket_rule_evaluations_total{pack}`, `docket_rule_failures_total{pack}`,
///   `docket_rule_duration_seconds{pack}`: rule runs by the pack they belong to;
/// - `docket_sla_warnings_total`, `docket_sla_breaches_total`: SLA timers fired;
/// - `docket_rule_timers_fired_total`: rules' timers fired;
/// - `docket_sla_clocks_decided_total{tenant,priority,target,outcome}`: SLA clocks decided
///   (`met` or `missed`, as the SLA report counts them), and
///   `docket_sla_compliance_percent{tenant,priority,target}`: the share met of those decided
///   since the server started (the report reads any range from the store).
final class ServiceMetrics: ServiceObserver {
    private struct RuleMeters {
        let evaluated: Counter
        let failed: Counter
        let duration: Timer
    }

    private struct ComplianceKey: Hashable {
        let tenant: String
        let priority: String
        let target: String
    }

    private let logger: Logger
    private let warnings = Counter(label: "docket_sla_warnings_total")
    private let breaches = Counter(label: "docket_sla_breaches_total")
    private let ruleTimers = Counter(label: "docket_rule_timers_fired_total")
    private let ruleMeters = Mutex<[String: RuleMeters]>([:])
    private let compliance = Mutex<[ComplianceKey: (met: Int, decided: Int)]>([:])

    init(logger: Logger) {
        self.logger = logger
    }

    func ruleEvaluated(_ outcome: RuleOutcome, pack: String) {
        let meters = ruleMeters.withLock { meters in
            if let known = meters[pack] { return known }
            let dimensions = [("pack", pack)]
            let made = RuleMeters(
                evaluated: Counter(label: "docket_rule_evaluations_total", dimensions: dimensions),
                failed: Counter(label: "docket_rule_failures_total", dimensions: dimensions),
                duration: Timer(label: "docket_rule_duration_seconds", dimensions: dimensions))
            meters[pack] = made
            return made
        }
        meters.evaluated.increment()
        meters.duration.recordMicroseconds(outcome.durationMicros)
        if let error = outcome.error {
            meters.failed.increment()
            logger.warning("rule failed", metadata: ["pack.id": "\(pack)", "rule.name": "\(outcome.rule)", "error": "\(error)"])
        }
    }

    func timerFired(_ type: RuleEventType, ticket: Ticket) {
        if type == .ticketTimer {
            ruleTimers.increment()
        } else if type == .slaBreached {
            breaches.increment()
            logger.notice("SLA breached", metadata: ["tenant.id": "\(ticket.tenantId)", "ticket.id": "\(ticket.ticketId)"])
        } else {
            warnings.increment()
        }
    }

    func ticketCreated(_ ticket: Ticket) {
        Counter(label: "docket_tickets_created_total", dimensions: [("source", ticket.source.rawValue)]).increment()
    }

    func slaDecided(_ decisions: [SLADecision], ticket: Ticket) {
        for decision in decisions {
            let key = ComplianceKey(tenant: ticket.tenantId, priority: ticket.priority.rawValue, target: decision.kind.rawValue)
            let dimensions = [("tenant", key.tenant), ("priority", key.priority), ("target", key.target)]
            Counter(label: "docket_sla_clocks_decided_total", dimensions: dimensions + [("outcome", decision.met ? "met" : "missed")])
                .increment()
            // Recorded under the lock, so concurrent decisions cannot leave an older share last.
            compliance.withLock { counts in
                var count = counts[key] ?? (0, 0)
                count.decided += 1
                if decision.met { count.met += 1 }
                counts[key] = count
                Gauge(label: "docket_sla_compliance_percent", dimensions: dimensions).record(Double(count.met) * 100 / Double(count.decided))
            }
        }
    }
}
