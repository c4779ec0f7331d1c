import Foundation

/// What one ticket adds to a tenant's kept figures, as a function of the ticket alone (and the
/// tenant's zone and workflow). A change writes `contribution(after) − contribution(before)`
/// with the ticket, in the same write (`Outbox.report`); `docket reports rebuild` writes the sum
/// over every ticket. The two agree by construction, and a test holds them to it.
public struct ReportContribution: Sendable {
    public let zone: TimeZone
    let resolved: String
    let closed: String

    public init(_ tenant: Tenant) {
        self.init(zone: tenant.timeZone, resolved: tenant.workflow.resolved, closed: tenant.workflow.closed)
    }

    public init(zone: TimeZone, resolved: String, closed: String) {
        self.zone = zone
        self.resolved = resolved
        self.closed = closed
    }

    func isOpen(_ status: String) -> Bool { status != resolved && status != closed }

    /// The start of the tenant-local hour holding `date` (as an instant: two hours of a day the
    /// clocks go back are two different hours).
    public func hour(_ date: Date) -> Int64 {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let offset = Int64(TimeZones.offset(zone, at: date))
        let local = seconds + offset
        return local - Self.floorMod(local, 3600) - offset
    }

    /// The start of the tenant-local day holding the hour that starts at `hour`.
    public func day(ofHour hour: Int64) -> Int64 {
        let offset = Int64(TimeZones.offset(zone, at: Date(timeIntervalSince1970: TimeInterval(hour))))
        let local = hour + offset
        let midnight = local - Self.floorMod(local, 86_400) - offset
        // No change of offset between midnight and the hour: that midnight started the day.
        if Int64(TimeZones.offset(zone, at: Date(timeIntervalSince1970: TimeInterval(midnight)))) == offset { return midnight }
        // A day the clocks changed on before this hour: the calendar knows when it began (a
        // calendar is made only then; a change's figures are placed without one).
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return Int64(calendar.startOfDay(for: Date(timeIntervalSince1970: TimeInterval(hour))).timeIntervalSince1970)
    }

    static func floorMod(_ value: Int64, _ divisor: Int64) -> Int64 { ((value % divisor) + divisor) % divisor }

    /// The change `before` → `after` makes to the figures (`before` nil for a new ticket).
    public func change(before: Ticket?, after: Ticket) -> ReportDelta {
        let old = before.map(contribution) ?? .empty
        return ReportDelta.change(from: old, to: contribution(after))
    }

    /// What a stored change writes: the change of the ticket's contribution, and the figures of
    /// the rules it ran (the audit entries it added, stamped with the version it stores).
    public func written(before: Ticket?, after: Ticket) -> ReportDelta {
        var delta = change(before: before, after: after)
        // The change's entries are the last ones (entries are appended, the oldest trimmed).
        if let audit = after.ruleAudit, audit.last?.ticketVersion == after.version {
            let first = audit.lastIndex { $0.ticketVersion != after.version }.map { $0 + 1 } ?? audit.startIndex
            delta.add(rules(audit[first...]))
        }
        return delta
    }

    /// The figures of rule evaluations, in the hour each ran: per pack version, and per rule
    /// for those that failed or had an action rejected.
    public func rules(_ entries: some Collection<RuleAuditEntry>) -> ReportDelta {
        var delta = ReportDelta()
        var hours: [Date: (Int64, Int64)] = [:]
        for entry in entries {
            let placed = hours[entry.at] ?? { let hour = self.hour(entry.at); return (hour, self.day(ofHour: hour)) }()
            hours[entry.at] = placed
            let (hour, day) = placed
            var figures = ReportFigures()
            figures[.ruleEvaluations] = 1
            if entry.error != nil {
                figures[.ruleErrors] = 1
                if entry.overranBudget { figures[.ruleBudgetOverruns] = 1 }
            }
            figures[.ruleActions] = Int64(entry.applied.count)
            figures[.ruleRejected] = Int64(entry.rejected.count)
            figures[.ruleMicros] = Int64(entry.durationMicros)
            let version = "\(entry.packId)@\(entry.packVersion)"
            delta.rows[ReportKey(hour: hour, day: day, dimension: ReportKey.packDimension, value: version), default: ReportFigures()].add(figures)
            if entry.error != nil || !entry.rejected.isEmpty {
                let key = ReportKey(hour: hour, day: day, dimension: ReportKey.ruleDimension, value: "\(version) \(entry.rule)")
                delta.rows[key, default: ReportFigures()].add(figures)
            }
        }
        return delta
    }

    /// Everything `ticket` counts for.
    public func contribution(_ ticket: Ticket) -> ReportDelta {
        var out = Accumulator(ticket: ticket, owner: self)
        // Created, and its SLA targets as `GET /reports/sla` counts them, in its creation hour.
        out.add(.created, 1, at: ticket.createdAt)
        if isOpen(ticket.status) { out.add(.openNow, 1, at: ticket.createdAt) }
        for clock in ticket.sla.clocks ?? [] {
            let (measured, met, count, seconds) = Self.figures(clock.kind)
            if let wasMet = clock.met {
                out.add(measured, 1, at: ticket.createdAt)
                if wasMet { out.add(met, 1, at: ticket.createdAt) }
            } else if clock.breachedAt != nil {
                out.add(measured, 1, at: ticket.createdAt)
            }
            if clock.breachedAt != nil { out.add(.breaches, 1, at: ticket.createdAt) }
            if clock.stoppedAt != nil {
                let taken = Int64(clock.consumedSeconds.rounded())
                out.add(count, 1, at: ticket.createdAt)
                out.add(seconds, taken, at: ticket.createdAt)
                out.histogram(Self.duration(clock.kind), bucket: ReportHistogram.bucket(taken), 1, at: ticket.createdAt)
            }
        }
        if let tally = ticket.sla.nextReplies {
            out.add(.nextReplyMeasured, Int64(tally.measured), at: ticket.createdAt)
            out.add(.nextReplyMet, Int64(tally.met), at: ticket.createdAt)
            out.add(.breaches, Int64(tally.breached), at: ticket.createdAt)
            out.add(.nextReplies, Int64(tally.answered), at: ticket.createdAt)
            out.add(.nextReplySeconds, tally.seconds, at: ticket.createdAt)
            for (bucket, count) in tally.histogram {
                guard let bucket = Int(bucket) else { continue }
                out.histogram(.nextReply, bucket: bucket, Int64(count), at: ticket.createdAt)
            }
        }
        // What `stats/summary` counts, in its creation hour.
        if ticket.isEscalated { out.add(.escalated, 1, at: ticket.createdAt) }
        if ticket.resolution != nil { out.add(.resolutionRecorded, 1, at: ticket.createdAt) }
        if let answered = ticket.sla.firstResponseAt {
            out.add(.firstResponded, 1, at: ticket.createdAt)
            out.add(.firstResponseWallMillis, Int64((answered.timeIntervalSince(ticket.createdAt) * 1000).rounded()), at: ticket.createdAt)
        }
        if let met = ticket.sla.firstResponseMet {
            out.add(.firstResponseFlagMeasured, 1, at: ticket.createdAt)
            if met { out.add(.firstResponseFlagMet, 1, at: ticket.createdAt) }
        }
        if let met = ticket.sla.resolutionMet {
            out.add(.resolutionFlagMeasured, 1, at: ticket.createdAt)
            if met { out.add(.resolutionFlagMet, 1, at: ticket.createdAt) }
        }
        out.row(ReportKey.statusNowDimension, ticket.status, .created, 1, at: ticket.createdAt)
        // Resolved, in the hour of the resolution that stands.
        if let resolution = ticket.resolution, !isOpen(ticket.status) {
            out.add(.resolved, 1, at: resolution.resolvedAt)
        }
        // The backlog: every time the ticket opened or finished, from its status history.
        var history = ticket.statusHistory
        if history.first?.from != nil || history.isEmpty {
            let initial = history.first?.from ?? ticket.status
            history.insert(StatusChange(from: nil, to: initial, changedBy: "", reason: nil, timestamp: ticket.createdAt), at: 0)
        }
        for change in history {
            let wasOpen = change.from.map(isOpen) ?? false
            let nowOpen = isOpen(change.to)
            if wasOpen != nowOpen { out.add(.opened, nowOpen ? 1 : -1, at: change.timestamp) }
            if wasOpen, let from = change.from { out.status(from, -1, at: change.timestamp) }
            if nowOpen { out.status(change.to, 1, at: change.timestamp) }
        }
        if let feedback = ticket.customerFeedback {
            out.add(.ratings, 1, at: feedback.submittedAt)
            out.add(.ratingSum, Int64(feedback.rating), at: feedback.submittedAt)
            if let figure = Self.ratingFigure(feedback.rating) { out.add(figure, 1, at: feedback.submittedAt) }
        }
        return out.finish()
    }

    static func ratingFigure(_ rating: Int) -> ReportFigure? {
        switch rating {
        case 1: .rating1
        case 2: .rating2
        case 3: .rating3
        case 4: .rating4
        case 5: .rating5
        default: nil
        }
    }

    static func figures(_ kind: SLAClock.Kind) -> (measured: ReportFigure, met: ReportFigure, count: ReportFigure, seconds: ReportFigure) {
        switch kind {
        case .firstResponse: (.firstResponseMeasured, .firstResponseMet, .firstResponses, .firstResponseSeconds)
        case .nextReply: (.nextReplyMeasured, .nextReplyMet, .nextReplies, .nextReplySeconds)
        case .resolution: (.resolutionMeasured, .resolutionMet, .resolutions, .resolutionSeconds)
        }
    }

    static func duration(_ kind: SLAClock.Kind) -> ReportDuration {
        switch kind {
        case .firstResponse: .firstResponse
        case .nextReply: .nextReply
        case .resolution: .resolution
        }
    }

    /// Adds a ticket's figures under the whole tenant and each of its dimension values.
    /// Figures of the whole tenant and of every dimension are summed once per hour and put in
    /// each dimension's row at the end (the rows share one copy until one changes).
    private struct Accumulator {
        var delta = ReportDelta()
        /// Per hour: its day and the figures every dimension's row of the hour gets.
        var shared: [Int64: (day: Int64, figures: ReportFigures)] = [:]
        let keys: [(String, String)]
        let owner: ReportContribution
        var hours: [Date: (hour: Int64, day: Int64)] = [:]

        init(ticket: Ticket, owner: ReportContribution) {
            self.owner = owner
            keys = [("", "")] + ReportDimension.allCases.map { ($0.rawValue, $0.value(of: ticket)) }
        }

        mutating func place(_ date: Date) -> (hour: Int64, day: Int64) {
            if let known = hours[date] { return known }
            let hour = owner.hour(date)
            let placed = (hour, owner.day(ofHour: hour))
            hours[date] = placed
            return placed
        }

        mutating func add(_ figure: ReportFigure, _ amount: Int64, at date: Date) {
            guard amount != 0 else { return }
            let (hour, day) = place(date)
            shared[hour, default: (day, ReportFigures())].figures[figure] += amount
        }

        /// The delta: the shared figures in every dimension's row, no row of zeros.
        mutating func finish() -> ReportDelta {
            delta.rows.reserveCapacity(delta.rows.count + shared.count * keys.count)
            for (hour, (day, figures)) in shared where !figures.isZero {
                for (dimension, value) in keys {
                    let key = ReportKey(hour: hour, day: day, dimension: dimension, value: value)
                    if delta.rows[key] == nil {
                        delta.rows[key] = figures
                    } else {
                        delta.rows[key]!.add(figures)
                    }
                }
            }
            if delta.rows.values.contains(where: \.isZero) { delta.rows = delta.rows.filter { !$0.value.isZero } }
            return delta
        }

        mutating func status(_ status: String, _ amount: Int64, at date: Date) {
            row(ReportKey.statusDimension, status, .opened, amount, at: date)
        }

        /// One figure in one row of one dimension (not the whole tenant's).
        mutating func row(_ dimension: String, _ value: String, _ figure: ReportFigure, _ amount: Int64, at date: Date) {
            let (hour, day) = place(date)
            delta.rows[ReportKey(hour: hour, day: day, dimension: dimension, value: value), default: ReportFigures()][figure] += amount
        }

        mutating func histogram(_ duration: ReportDuration, bucket: Int, _ count: Int64, at date: Date) {
            guard count != 0 else { return }
            let (hour, day) = place(date)
            for (dimension, value) in keys {
                for (grain, start) in [(ReportHistogramKey.Grain.hour, hour), (.day, day)] {
                    let key = ReportHistogramKey(grain: grain, start: start, dimension: dimension, value: value, duration: duration, bucket: bucket)
                    delta.histogram[key, default: 0] += count
                }
            }
        }
    }
}
