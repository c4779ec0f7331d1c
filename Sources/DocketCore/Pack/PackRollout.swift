import Foundation

/// How a candidate pack version meets live traffic during a staged rollout.
public enum RolloutMode: String, Codable, Sendable, CaseIterable {
    /// The candidate is evaluated beside the active version on every event; its actions are
    /// recorded, never applied.
    case shadow
    /// The candidate decides for a share of tickets (`percent`), the active version for the rest.
    case canary
}

/// Where a rollout stands. Only `running` evaluates the candidate.
public enum RolloutState: String, Codable, Sendable {
    case running
    /// Ended by itself: a threshold was crossed (`reason` says which).
    case rolledBack = "rolled_back"
    /// The candidate became the active version.
    case promoted
    /// Ended by an admin.
    case aborted
}

/// When a rollout ends by itself. Rates are shares of the candidate's evaluations (0–1),
/// judged once the candidate has made `minEvents` evaluations; `maxBudgetOverruns` counts from
/// the first evaluation. A limit left out is not judged.
public struct RolloutLimits: Codable, Sendable, Equatable {
    /// Failing handler runs (a Lua error, a bad result, the budget) over the candidate's handler runs.
    public var maxErrorRate: Double?
    /// Handler runs that ran out of budget; more than this ends the rollout (0: any overrun).
    public var maxBudgetOverruns: Int?
    /// Events the two versions decided differently over the events seen.
    public var maxDifferenceRate: Double?
    /// Candidate handler runs before a rate is judged (default 20).
    public var minEvents: Int?

    public static let defaultMinEvents = 20

    public init(maxErrorRate: Double? = nil, maxBudgetOverruns: Int? = nil, maxDifferenceRate: Double? = nil, minEvents: Int? = nil) {
        self.maxErrorRate = maxErrorRate
        self.maxBudgetOverruns = maxBudgetOverruns
        self.maxDifferenceRate = maxDifferenceRate
        self.minEvents = minEvents
    }

    /// The limit `rollout` crosses now (`maxErrorRate`, `maxBudgetOverruns`, `maxDifferenceRate`)
    /// and why, or nil.
    public func crossed(_ rollout: PackRollout) -> (limit: String, reason: String)? {
        let candidate = rollout.candidate
        if let most = maxBudgetOverruns, candidate.budgetOverruns > most {
            return ("maxBudgetOverruns", "\(candidate.budgetOverruns) budget overrun\(candidate.budgetOverruns == 1 ? "" : "s") (at most \(most) allowed)")
        }
        guard candidate.evaluations >= (minEvents ?? Self.defaultMinEvents), candidate.evaluations > 0 else { return nil }
        if let most = maxErrorRate {
            let rate = Double(candidate.errors) / Double(candidate.evaluations)
            if rate > most {
                return ("maxErrorRate", "error rate \(Self.percent(rate)) over \(candidate.evaluations) evaluations (at most \(Self.percent(most)) allowed)")
            }
        }
        if let most = maxDifferenceRate, rollout.events > 0 {
            let rate = Double(rollout.differing) / Double(rollout.events)
            if rate > most {
                return ("maxDifferenceRate", "\(Self.percent(rate)) of \(rollout.events) events decided differently (at most \(Self.percent(most)) allowed)")
            }
        }
        return nil
    }

    static func percent(_ share: Double) -> String {
        let value = (share * 1_000).rounded() / 10
        return value == value.rounded() ? "\(Int(value)) %" : "\(value) %"
    }
}

/// One version's figures during a rollout.
public struct RolloutSide: Codable, Sendable, Equatable {
    /// Handler runs.
    public var evaluations = 0
    /// Handler runs that failed (budget overruns included) and actions the core refused.
    public var errors = 0
    public var budgetOverruns = 0
    /// Time in the handlers, µs.
    public var micros = 0
    /// Events this version decided (its actions applied).
    public var decided = 0

    public init() {}

    mutating func add(_ other: RolloutSide) {
        evaluations += other.evaluations
        errors += other.errors
        budgetOverruns += other.budgetOverruns
        micros += other.micros
        decided += other.decided
    }
}

/// One minute of a rollout, for its chart.
public struct RolloutBucket: Codable, Sendable, Equatable {
    public var start: Date
    public var events = 0
    public var differing = 0
    public var activeErrors = 0
    public var candidateErrors = 0
    public var candidateBudgetOverruns = 0

    public init(start: Date) { self.start = start }
}

/// What one change's rules did under both versions, added to its rollout at once.
public struct RolloutTally: Sendable, Equatable {
    public var events = 0
    public var differing = 0
    /// `candidate:assign`, `active:set_priority`: the action kinds only one version applied.
    public var differences: [String: Int] = [:]
    public var active = RolloutSide()
    public var candidate = RolloutSide()
    public var at: Date

    public init(at: Date) { self.at = at }

    /// Both changes' figures, as of the later one.
    public mutating func merge(_ other: RolloutTally) {
        events += other.events
        differing += other.differing
        for (kind, count) in other.differences { differences[kind, default: 0] += count }
        active.add(other.active)
        candidate.add(other.candidate)
        at = max(at, other.at)
    }
}

/// A tenant's staged rollout of a candidate pack version: its settings and its live
/// comparison. One per tenant at a time; the latest stays readable after it ended.
public struct PackRollout: Codable, Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var packId: String
    /// The candidate version.
    public var version: String
    /// `pack@version` active when it started.
    public var activeVersion: String
    public var mode: RolloutMode
    /// The candidate's share of tickets (canary), 0 < percent < 100.
    public var percent: Double?
    public var limits: RolloutLimits
    public var state: RolloutState
    public var startedAt: Date
    public var startedBy: String
    public var endedAt: Date?
    public var endedBy: String?
    /// Why it ended (the threshold crossed, or who ended it).
    public var reason: String?
    /// The limit it crossed when it rolled back by itself (`maxErrorRate`, `maxBudgetOverruns`,
    /// `maxDifferenceRate`), for clients that say it in their own words.
    public var crossed: String?
    /// Initial events of the changes evaluated under both versions.
    public var events = 0
    /// Events whose applied actions differ between the two versions.
    public var differing = 0
    /// The action kinds applied by only one version (`candidate:assign`), counted.
    public var differences: [String: Int] = [:]
    public var active = RolloutSide()
    public var candidate = RolloutSide()
    /// The latest minutes, oldest first (at most `maxBuckets`).
    public var series: [RolloutBucket] = []
    /// Bumped by every store write (stores that write conditionally use it).
    public var revision = 0

    public static let maxBuckets = 240

    public init(
        id: String, tenantId: String, packId: String, version: String, activeVersion: String, mode: RolloutMode, percent: Double?,
        limits: RolloutLimits, startedAt: Date, startedBy: String
    ) {
        self.id = id
        self.tenantId = tenantId
        self.packId = packId
        self.version = version
        self.activeVersion = activeVersion
        self.mode = mode
        self.percent = percent
        self.limits = limits
        self.state = .running
        self.startedAt = startedAt
        self.startedBy = startedBy
    }

    public var key: String { "\(packId)@\(version)" }

    /// Adds a change's figures; when they cross a limit the rollout ends here (`rolled_back`)
    /// and the active version decides the change. Otherwise the candidate decides it when
    /// `candidateWants` (a canary's ticket).
    public mutating func add(_ tally: RolloutTally, candidateWants: Bool) {
        events += tally.events
        differing += tally.differing
        for (kind, count) in tally.differences { differences[kind, default: 0] += count }
        active.add(tally.active)
        candidate.add(tally.candidate)
        let minute = Date(timeIntervalSince1970: (tally.at.timeIntervalSince1970 / 60).rounded(.down) * 60)
        if series.last?.start != minute {
            series.append(RolloutBucket(start: minute))
            if series.count > Self.maxBuckets { series.removeFirst(series.count - Self.maxBuckets) }
        }
        let last = series.count - 1
        series[last].events += tally.events
        series[last].differing += tally.differing
        series[last].activeErrors += tally.active.errors
        series[last].candidateErrors += tally.candidate.errors
        series[last].candidateBudgetOverruns += tally.candidate.budgetOverruns
        if let (limit, why) = limits.crossed(self) {
            end(.rolledBack, by: "rollout", reason: why, at: tally.at)
            crossed = limit
            active.decided += tally.events
        } else if candidateWants {
            candidate.decided += tally.events
        } else {
            active.decided += tally.events
        }
    }

    public mutating func end(_ state: RolloutState, by actor: String, reason: String, at: Date) {
        self.state = state
        endedBy = actor
        self.reason = reason
        endedAt = at
    }
}

/// What a tenant holds of its running rollout: enough to evaluate the candidate without reading
/// the rollout's record (which every change under it reads and writes anyway).
public struct RolloutPlan: Codable, Sendable, Equatable {
    public var id: String
    public var mode: RolloutMode
    public var percent: Double?
    public var startedAt: Date
    /// The candidate version's manifest.
    public var candidate: PackManifest

    public init(id: String, mode: RolloutMode, percent: Double?, startedAt: Date, candidate: PackManifest) {
        self.id = id
        self.mode = mode
        self.percent = percent
        self.startedAt = startedAt
        self.candidate = candidate
    }

    /// The tenant as the candidate sees it: its overrides over the candidate's manifest.
    public func candidateTenant(_ tenant: Tenant) -> Tenant {
        var copy = tenant
        copy.pack = candidate
        copy.rollout = nil
        return copy
    }

    /// Whether the candidate decides for `ticket` (canary only), the same on every instance
    /// and for the ticket's whole life: a ticket opened during the rollout was drawn when it
    /// was opened (and carries the rollout's id when drawn); an older ticket is drawn by a
    /// stable hash of the rollout and its id.
    public func candidateDecides(_ ticket: Ticket) -> Bool {
        guard mode == .canary, let percent else { return false }
        if ticket.canary == id { return true }
        if ticket.ticketId.isEmpty {
            // Being opened: drawn from what the ticket is made of, so the creation's second run
            // (in the routing turn) draws the same.
            let key = "\(id)/new/\(ticket.customerId)/\(ticket.createdAt.timeIntervalSince1970)/\(ticket.subject)/\(ticket.description)"
            return Self.share(of: key) < percent / 100
        }
        if ticket.createdAt >= startedAt { return false }
        return Self.share(of: "\(id)/\(ticket.tenantId)/\(ticket.ticketId)") < percent / 100
    }

    /// A stable number in 0..<1 for `key` (FNV-1a over its UTF-8, mixed): the same on every
    /// process and platform, unlike `Hasher`.
    public static func share(of key: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        var mixer = SplitMix(seed: hash)
        return Double(mixer.next() >> 11) / Double(UInt64(1) << 53)
    }
}
