import DocketCore
import DocketPacks
import DocketTestSupport
import DocketWire
import Foundation
import Testing

/// The kept report figures on every store: what the changes added in their own writes equals
/// what `docket reports rebuild` computes from the tickets, under concurrent writers too, and
/// the reports built on them equal a brute-force count over the same tickets in the tenant's
/// time zone (with a DST change, a half-hour zone and a 45-minute one).
@Suite("Report figures, on every store")
struct ReportContractTests {
    static let admin = Principal(tenantId: "t", role: .admin, subject: "boss")
    static let agents = ["ana", "bea", "caro"]
    static let customers = ["c1", "c2", "c3", "c4"]
    static func agent(_ id: String) -> Principal { Principal(tenantId: "t", role: .agent, subject: id) }
    static func customer(_ id: String) -> Principal { Principal(tenantId: "t", role: .customer, subject: id) }

    /// The LUXFREE pack in `zone`, no rules, three agents and four customers.
    static func desk(_ kind: StoreKind, zone: String, clock: ManualClock) async throws -> (DocketServices, any TicketStore) {
        let store = try await kind.make()
        let services = DocketServices(store: store, wire: DocketWireFormat(), clock: clock, tenantCacheSeconds: 0, rules: ScriptedRules(actions: [:]))
        var pack = try PackLoader(root: RoutingContractTests.packs).load("luxfree-solar")
        pack.timeZone = zone
        _ = try await services.tenants.provisionTenant(id: "t", name: "T", pack: pack)
        for id in customers {
            _ = try await services.tenants.createCustomer(admin, NewCustomer(id: id, phoneNumber: "+52 55 1234 00\(id.suffix(1))0", firstName: id))
        }
        for id in agents { _ = try await services.tenants.createAgent(admin, NewAgent(id: id, name: id.capitalized, capacity: 50)) }
        return (services, store)
    }

    static let categories = ["solar_installation", "light_malfunction", "maintenance", "billing"]
    static let sources: [TicketSource] = [.web, .whatsapp, .mobile_app, .ai]
    static let statuses = ["open", "in_progress", "pending_customer", "waiting_internal", "resolved", "closed"]

    /// One random step on one of `tickets` (or a new ticket): what agents and customers do.
    static func step(_ services: DocketServices, _ random: inout SplitMix, tickets: [String]) async throws -> String? {
        let roll = random.below(100)
        if roll < 22 || tickets.isEmpty {
            let customer = customers[random.below(customers.count)]
            let ticket = try await services.tickets.createTicket(admin, NewTicket(
                subject: "Falla \(random.below(1000))", description: "Sin luz", category: categories[random.below(categories.count)],
                priority: Priority.allCases[random.below(Priority.allCases.count)], customerId: customer,
                source: sources[random.below(sources.count)]))
            return ticket.ticketId
        }
        let id = tickets[random.below(tickets.count)]
        let ticket = try await services.tickets.ticket(admin, id)
        do {
            switch roll {
            case ..<36: _ = try await services.tickets.claim(agent(agents[random.below(agents.count)]), id)
            case ..<50: _ = try await services.tickets.addNote(admin, id, content: "Vamos en camino", isInternal: random.below(4) == 0)
            case ..<62: _ = try await services.conversations.postMessage(customer(ticket.customerId), id, NewMessage(content: "¿Y entonces?"))
            case ..<78: _ = try await services.tickets.changeStatus(admin, id, to: statuses[random.below(statuses.count)], reason: nil)
            case ..<86: _ = try await services.tickets.resolve(admin, id, notes: "Listo")
            case ..<92: _ = try await services.tickets.assign(admin, id, to: agents[random.below(agents.count)])
            case ..<95: _ = try await services.tickets.escalate(admin, id, to: agents[random.below(agents.count)], reason: "Cliente molesto")
            default:
                _ = try await services.tickets.submitFeedback(customer(ticket.customerId), id, rating: 1 + random.below(5), comment: nil)
            }
        } catch is DocketError {
            // A step the workflow does not allow from here: nothing was written.
        }
        return nil
    }

    /// Drives `steps` random steps, the clock moving 1 to 180 minutes between them.
    static func drive(_ services: DocketServices, clock: ManualClock, seed: UInt64, steps: Int) async throws -> [String] {
        var random = SplitMix(seed: seed)
        var tickets: [String] = []
        for _ in 0..<steps {
            clock.advance(by: TimeInterval(60 * (1 + random.below(180))))
            if let id = try await step(services, &random, tickets: tickets) { tickets.append(id) }
        }
        return tickets
    }

    /// Every ticket of the tenant.
    static func all(_ store: some TicketStore) async throws -> [Ticket] {
        var query = TicketQuery()
        query.limit = TicketQuery.maxLimit
        var out: [Ticket] = []
        while true {
            let page = try await store.listTickets(tenantId: "t", query: query)
            out += page.items
            if page.items.count < query.limit { return out }
            query.page += 1
        }
    }

    /// The kept figures as the store answers them, every dimension, every hour.
    static func kept(_ store: some TicketStore) async throws -> (rows: [String: [ReportRow]], histogram: [String: [ReportHistogramRow]]) {
        try await store.settleReports()
        var rows: [String: [ReportRow]] = [:], histogram: [String: [ReportHistogramRow]] = [:]
        for dimension in [""] + ReportDimension.allCases.map(\.rawValue) + [ReportKey.statusDimension, ReportKey.statusNowDimension] {
            rows[dimension] = try await store.reportRows(tenantId: "t", dimension: dimension, values: nil, from: 0, to: 1 << 40, byDay: false)
                .filter { !$0.figures.isZero }
            rows["day/" + dimension] = try await store.reportRows(tenantId: "t", dimension: dimension, values: nil, from: 0, to: 1 << 40, byDay: true)
                .filter { !$0.figures.isZero }
            for grain in [ReportHistogramKey.Grain.hour, .day] {
                histogram["\(dimension)/\(grain)"] = try await store.reportHistogram(
                    tenantId: "t", grain: grain, dimension: dimension, values: nil, from: 0, to: 1 << 40)
            }
        }
        return (rows, histogram)
    }

    /// The same, summed from the tickets by the contribution function.
    static func expected(_ tickets: [Ticket], tenant: Tenant) -> (rows: [String: [ReportRow]], histogram: [String: [ReportHistogramRow]]) {
        let contribution = ReportContribution(tenant)
        var delta = ReportDelta()
        for ticket in tickets { delta.add(contribution.contribution(ticket)) }
        var rows: [String: [ReportRow]] = [:], histogram: [String: [ReportHistogramRow]] = [:]
        for dimension in [""] + ReportDimension.allCases.map(\.rawValue) + [ReportKey.statusDimension, ReportKey.statusNowDimension] {
            rows[dimension] = delta.rows(dimension: dimension, values: nil, from: 0, to: 1 << 40, byDay: false).filter { !$0.figures.isZero }
            rows["day/" + dimension] = delta.rows(dimension: dimension, values: nil, from: 0, to: 1 << 40, byDay: true).filter { !$0.figures.isZero }
            for grain in [ReportHistogramKey.Grain.hour, .day] {
                histogram["\(dimension)/\(grain)"] = delta.histogramRows(grain: grain, dimension: dimension, values: nil, from: 0, to: 1 << 40)
            }
        }
        return (rows, histogram)
    }

    static let start = Date(timeIntervalSince1970: 1_792_886_400)  // 2026-10-24 00:00 UTC: Madrid's clocks go back on the 25th

    @Test(arguments: StoreKind.available)
    func whatTheChangesKeptEqualsARebuildFromTheTickets(kind: StoreKind) async throws {
        let clock = ManualClock(Self.start)
        let (services, store) = try await Self.desk(kind, zone: "Europe/Madrid", clock: clock)
        _ = try await Self.drive(services, clock: clock, seed: 7, steps: 160)
        let tickets = try await Self.all(store)
        #expect(tickets.count > 20)
        let tenant = try #require(try await store.tenant(id: "t"))
        let incremental = try await Self.kept(store)
        let expected = Self.expected(tickets, tenant: tenant)
        #expect(incremental.rows == expected.rows)
        #expect(incremental.histogram == expected.histogram)
        // Something of everything was kept.
        let totals = (incremental.rows[""] ?? []).reduce(into: ReportFigures()) { $0.add($1.figures) }
        for figure in [ReportFigure.created, .resolved, .firstResponses, .nextReplies, .resolutions, .ratings, .openNow] {
            #expect(totals[figure] > 0, "no \(figure) in the drive")
        }
        #expect(totals[.created] == Int64(tickets.count))

        // Rebuild writes the same figures.
        #expect(try await services.reports.rebuild(tenantId: "t") == tickets.count)
        let rebuilt = try await Self.kept(store)
        #expect(rebuilt.rows == expected.rows)
        #expect(rebuilt.histogram == expected.histogram)
        // And changes go on adding to the rebuilt figures.
        _ = try await Self.drive(services, clock: clock, seed: 8, steps: 30)
        let after = try await Self.kept(store)
        #expect(after.rows == Self.expected(try await Self.all(store), tenant: tenant).rows)
    }

    /// `stats/summary` from the kept figures (whole hours) and the tickets of the part-hours at
    /// either end equals a count over the tickets themselves, for periods that start and end
    /// anywhere (mid-hour, on an hour, open-ended), in a zone whose hours start at :30 UTC.
    @Test(arguments: StoreKind.available)
    func theSummaryFromTheKeptFiguresEqualsACountOfTheTickets(kind: StoreKind) async throws {
        let clock = ManualClock(Self.start)
        let (services, store) = try await Self.desk(kind, zone: "Asia/Kolkata", clock: clock)
        _ = try await Self.drive(services, clock: clock, seed: 21, steps: 200)
        let tickets = try await Self.all(store)
        let tenant = try #require(try await store.tenant(id: "t"))
        #expect(!(try await store.reportsStale(tenantId: "t")))
        let end = clock.now()
        var random = SplitMix(seed: 5)
        var periods: [(Date?, Date?)] = [(nil, nil), (Self.start.addingTimeInterval(1800), nil), (nil, end.addingTimeInterval(-7 * 3600 - 61))]
        for _ in 0..<6 {
            let a = Self.start.addingTimeInterval(TimeInterval(random.below(Int(end.timeIntervalSince(Self.start)))))
            let b = a.addingTimeInterval(TimeInterval(random.below(5 * 86_400)))
            periods.append((a, b))
        }
        // On the hour in the tenant's zone (Kolkata's hours start at :30 UTC), and within one hour.
        periods.append((Self.start.addingTimeInterval(86_400 + 1800), Self.start.addingTimeInterval(3 * 86_400 + 1800)))
        periods.append((Self.start.addingTimeInterval(86_400 + 100), Self.start.addingTimeInterval(86_400 + 1700)))
        var escalated = 0
        for (from, to) in periods {
            let inPeriod = tickets.filter { ticket in
                (from.map { ticket.createdAt >= $0 } ?? true) && (to.map { ticket.createdAt <= $0 } ?? true)
            }
            let summary = try await services.reports.statistics(Self.admin, StatsFilter(createdFrom: from, createdTo: to))
            #expect(summary.total == inPeriod.count, "\(String(describing: from)) – \(String(describing: to))")
            for status in tenant.workflow.statuses.map(\.id) {
                #expect(summary.byStatus[status] == inPeriod.count { $0.status == status })
            }
            for priority in Priority.allCases {
                #expect(summary.byPriority[priority.rawValue] == inPeriod.count { $0.priority == priority })
            }
            #expect(summary.escalated == inPeriod.count(where: \.isEscalated))
            escalated += summary.escalated
            let byAgent = Dictionary(grouping: inPeriod.filter { $0.assignedAgent != nil }, by: { $0.assignedAgent! })
            #expect(Set(summary.agents.map(\.agentId)) == Set(byAgent.keys))
            for agent in summary.agents {
                let own = byAgent[agent.agentId] ?? []
                #expect(agent.assigned == own.count && agent.resolved == own.count { $0.resolution != nil })
                let answered = own.compactMap { ticket in ticket.sla.firstResponseAt.map { $0.timeIntervalSince(ticket.createdAt) } }
                if answered.isEmpty {
                    #expect(agent.avgFirstResponseSeconds == nil)
                } else {
                    let average = answered.reduce(0, +) / Double(answered.count)
                    #expect(abs((agent.avgFirstResponseSeconds ?? -1) - average) < 0.001, "to the millisecond")
                }
                func percent(_ flags: [Bool?]) -> Double? {
                    let measured = flags.compactMap { $0 }
                    return measured.isEmpty ? nil : (Double(measured.count(where: { $0 })) * 1000 / Double(measured.count)).rounded() / 10
                }
                #expect(agent.firstResponseSlaMetPercent == percent(own.map(\.sla.firstResponseMet)))
                #expect(agent.resolutionSlaMetPercent == percent(own.map(\.sla.resolutionMet)))
            }
            // One agent's summary (counted from their tickets) agrees.
            let ana = try await services.reports.statistics(Self.admin, StatsFilter(assignedAgent: "ana", createdFrom: from, createdTo: to))
            #expect(ana.total == (byAgent["ana"] ?? []).count)
        }
        #expect(escalated > 0, "the drive escalated tickets")
    }

    @Test(arguments: StoreKind.available)
    func concurrentWritersKeepExactFigures(kind: StoreKind) async throws {
        let clock = ManualClock(Self.start)
        let (services, store) = try await Self.desk(kind, zone: "Asia/Kolkata", clock: clock)
        // Eight writers at once, each its own sequence of creates and changes.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    var random = SplitMix(seed: UInt64(100 + writer))
                    var tickets: [String] = []
                    for _ in 0..<25 {
                        if let id = try await Self.step(services, &random, tickets: tickets) { tickets.append(id) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let tenant = try #require(try await store.tenant(id: "t"))
        let tickets = try await Self.all(store)
        let kept = try await Self.kept(store)
        #expect(kept.rows == Self.expected(tickets, tenant: tenant).rows)
        #expect(kept.histogram == Self.expected(tickets, tenant: tenant).histogram)
        #expect((kept.rows[""] ?? []).reduce(0) { $0 + $1.figures[.created] } == Int64(tickets.count))
    }

    // MARK: - The reports against a brute-force count

    /// Local days of `zone` from the day holding `from` to the one holding `to`.
    static func days(from: Date, to: Date, zone: TimeZone) -> [Date] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var out: [Date] = []
        var day = calendar.startOfDay(for: from)
        while day < to {
            out.append(day)
            day = calendar.date(byAdding: .day, value: 1, to: day)!
        }
        return out
    }

    static func exactPercentile(_ values: [Int64], _ fraction: Double) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
    }

    @Test(arguments: StoreKind.available, ["Europe/Madrid", "Asia/Kolkata", "Pacific/Chatham", "America/Mexico_City"])
    func reportsEqualABruteForceCountInTheTenantsZone(kind: StoreKind, zone: String) async throws {
        let clock = ManualClock(Self.start)
        let (services, store) = try await Self.desk(kind, zone: zone, clock: clock)
        _ = try await Self.drive(services, clock: clock, seed: UInt64(zone.utf8.count), steps: 150)
        let tickets = try await Self.all(store)
        let tenant = try #require(try await store.tenant(id: "t"))
        let timeZone = try #require(TimeZone(identifier: zone))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let days = Self.days(from: Self.start, to: clock.now(), zone: timeZone)
        let from = days[0], to = clock.now().addingTimeInterval(1)
        let request = ReportRequest(from: from, to: to, interval: .day)
        func day(_ date: Date) -> Date { calendar.startOfDay(for: date) }
        let finished = [tenant.workflow.resolved, tenant.workflow.closed]

        // Volume: created and resolved per local day.
        let volume = try await services.reports.volume(Self.admin, request)
        #expect(volume.buckets.map(\.start) == days)
        for bucket in volume.buckets {
            let start = try #require(bucket.start)
            #expect(bucket.figures.created == Int64(tickets.filter { day($0.createdAt) == start }.count), "created on \(start)")
            let resolved = tickets.filter { ticket in
                guard let at = ticket.resolution?.resolvedAt, finished.contains(ticket.status) else { return false }
                return day(at) == start
            }
            #expect(bucket.figures.resolved == Int64(resolved.count), "resolved on \(start)")
        }
        #expect(volume.totals.figures.created == Int64(tickets.count))

        // Volume by category: each group's figures, and they add up.
        let byCategory = try await services.reports.volume(Self.admin, ReportRequest(from: from, to: to, interval: .day, by: .category))
        for bucket in byCategory.buckets {
            let start = try #require(bucket.start)
            for category in Self.categories {
                let count = tickets.filter { $0.category == category && day($0.createdAt) == start }.count
                #expect((bucket.groups?[category]?.created ?? 0) == Int64(count))
            }
        }

        // Backlog: open at the end of each local day, from the status histories.
        let backlog = try await services.reports.backlog(Self.admin, request)
        func status(of ticket: Ticket, before instant: Date) -> String? {
            guard ticket.createdAt < instant else { return nil }
            return ticket.statusHistory.last { $0.timestamp < instant }?.to ?? ticket.statusHistory.first?.from ?? ticket.status
        }
        for (index, bucket) in backlog.buckets.enumerated() {
            // The hour holding the day's end is the last one counted (figures are kept per hour).
            let end = index + 1 < days.count ? days[index + 1] : to
            let open = tickets.filter { ticket in status(of: ticket, before: end).map { !finished.contains($0) } ?? false }.count
            #expect(bucket.figures.open == Int64(open), "open at the end of \(days[index])")
        }
        let openNow = tickets.filter { !finished.contains($0.status) }
        #expect(backlog.now?.open == Int64(openNow.count))
        #expect(backlog.now?.byStatus == Dictionary(grouping: openNow, by: \.status).mapValues { Int64($0.count) })
        #expect(backlog.now?.byAge.values.reduce(0, +) == Int64(openNow.count))

        // Times: counts and averages exact, percentiles within the histogram's 2.5 %.
        let times = try await services.reports.times(Self.admin, request)
        for bucket in times.buckets {
            let start = try #require(bucket.start)
            let created = tickets.filter { day($0.createdAt) == start }
            let firstResponses = created.compactMap { $0.sla.clock(.firstResponse) }.filter { $0.stoppedAt != nil }.map { Int64($0.consumedSeconds.rounded()) }
            #expect(bucket.figures.firstResponse.count == Int64(firstResponses.count))
            if !firstResponses.isEmpty {
                let average = Int64((Double(firstResponses.reduce(0, +)) / Double(firstResponses.count)).rounded())
                #expect(bucket.figures.firstResponse.averageSeconds == average)
                for (fraction, reported) in [(0.5, bucket.figures.firstResponse.p50Seconds), (0.9, bucket.figures.firstResponse.p90Seconds)] {
                    let exact = try #require(Self.exactPercentile(firstResponses, fraction))
                    let value = try #require(reported)
                    #expect(abs(Double(value - exact)) <= max(1, Double(exact) * 0.025), "p\(Int(fraction * 100)) \(value) vs \(exact)")
                }
            }
            let clocks: [SLAClock] = created.flatMap { $0.sla.clocks ?? [] }
            let measured: [SLAClock] = clocks.filter { clock in clock.kind == .resolution && (clock.met != nil || clock.breachedAt != nil) }
            let met: Int = measured.filter { $0.met == true }.count
            #expect(bucket.figures.sla["resolution"]?.measured == Int64(measured.count))
            #expect(bucket.figures.sla["resolution"]?.met == Int64(met))
        }
        // A period that starts and ends inside days reads whole days from the daily histogram and
        // the part-days from the hourly one: the percentiles are those of exactly its hours.
        let oddFrom = days[1].addingTimeInterval(7.5 * 3600), oddTo = days[days.count - 1].addingTimeInterval(5 * 3600)
        let odd = try await services.reports.times(Self.admin, ReportRequest(from: oddFrom, to: oddTo, interval: .week))
        let oddStart = Date(timeIntervalSince1970: TimeInterval(ReportContribution(tenant).hour(oddFrom)))
        let inOdd = tickets.filter { $0.createdAt >= oddStart && $0.createdAt < oddTo }
        let resolutions = inOdd.compactMap { $0.sla.clock(.resolution) }.filter { $0.stoppedAt != nil }.map { Int64($0.consumedSeconds.rounded()) }
        #expect(odd.totals.figures.resolution.count == Int64(resolutions.count))
        if let exact = Self.exactPercentile(resolutions, 0.5), let reported = odd.totals.figures.resolution.p50Seconds {
            #expect(abs(Double(reported - exact)) <= max(1, Double(exact) * 0.025), "p50 \(reported) vs \(exact)")
        }
        let histogramCount = try await store.reportHistogram(tenantId: "t", grain: .hour, dimension: "", values: nil, from: 0, to: 1 << 40)
            .filter { $0.duration == .resolution && $0.start >= Int64(oddStart.timeIntervalSince1970) && $0.start < Int64(oddTo.timeIntervalSince1970) }
            .reduce(0) { $0 + $1.total }
        #expect(histogramCount == Int64(resolutions.count))

        // `GET /reports/sla`, answered from the kept figures, against a count over the tickets
        // created in the period: every target by priority, category and agent, the durations.
        let sla = try await services.reports.slaReport(Self.admin, from: from, to: to.addingTimeInterval(-0.001))
        let inPeriod = tickets.filter { $0.createdAt >= from && $0.createdAt < to }
        #expect(sla.tickets == inPeriod.count)
        func decided(_ list: [Ticket], _ kind: SLAClock.Kind) -> (measured: Int, met: Int) {
            var measured = 0, met = 0
            for ticket in list {
                var clocks = (ticket.sla.clocks ?? []).filter { $0.kind == kind }.map { ($0.met != nil || $0.breachedAt != nil, $0.met == true) }
                if kind == .nextReply, let tally = ticket.sla.nextReplies { measured += tally.measured; met += tally.met }
                clocks = clocks.filter(\.0)
                measured += clocks.count
                met += clocks.filter(\.1).count
            }
            return (measured, met)
        }
        for kind in SLAClock.Kind.allCases {
            let (measured, met) = decided(inPeriod, kind)
            #expect(sla.byTarget[kind.rawValue]?.measured ?? 0 == measured, "\(kind) measured")
            #expect(sla.byTarget[kind.rawValue]?.met ?? 0 == met, "\(kind) met")
            #expect(times.totals.figures.sla[kind.rawValue]?.measured == Int64(measured))
            for priority in Priority.allCases {
                let expected = decided(inPeriod.filter { $0.priority == priority }, kind)
                #expect(sla.byPriority[priority.rawValue]?[kind.rawValue]?.measured ?? 0 == expected.measured)
                #expect(sla.byPriority[priority.rawValue]?[kind.rawValue]?.met ?? 0 == expected.met)
            }
            for agent in Self.agents + [ReportKey.unassigned] {
                let expected = decided(inPeriod.filter { ($0.assignedAgent ?? ReportKey.unassigned) == agent }, kind)
                #expect(sla.byAgent[agent]?[kind.rawValue]?.measured ?? 0 == expected.measured)
            }
            for category in Self.categories {
                let expected = decided(inPeriod.filter { $0.category == category }, kind)
                #expect(sla.byCategory[category]?[kind.rawValue]?.met ?? 0 == expected.met)
            }
        }
        let resolved = inPeriod.compactMap { $0.sla.clock(.resolution) }.filter { $0.stoppedAt != nil }.map { Int64($0.consumedSeconds.rounded()) }
        #expect(sla.resolution.count == resolved.count)
        if let exact = Self.exactPercentile(resolved, 0.9), let reported = sla.resolution.p90Seconds {
            #expect(abs(reported - Double(exact)) <= max(1, Double(exact) * 0.025))
            let average = (Double(resolved.reduce(0, +)) / Double(resolved.count)).rounded()
            #expect(sla.resolution.averageSeconds == average)
        }

        // Satisfaction: ratings per local day of rating.
        let satisfaction = try await services.reports.satisfaction(Self.admin, request)
        for bucket in satisfaction.buckets {
            let start = try #require(bucket.start)
            let rated = tickets.compactMap(\.customerFeedback).filter { day($0.submittedAt) == start }
            #expect(bucket.figures.ratings == Int64(rated.count))
            for score in 1...5 {
                #expect(bucket.figures.distribution["\(score)"] == Int64(rated.filter { $0.rating == score }.count))
            }
        }

        // Each bucket's tickets are listed with the filters the bucket stands for.
        for index in volume.buckets.indices {
            let start = days[index], end = (index + 1 < days.count ? days[index + 1] : to).addingTimeInterval(-0.001)
            var created = TicketQuery()
            created.createdFrom = start
            created.createdTo = end
            created.limit = TicketQuery.maxLimit
            created.source = .whatsapp
            let listedCreated = try await store.listTickets(tenantId: "t", query: created).items
            #expect(listedCreated.count == tickets.filter { $0.source == .whatsapp && day($0.createdAt) == start }.count)
            var resolved = TicketQuery()
            resolved.resolvedFrom = start
            resolved.resolvedTo = end
            resolved.statuses = finished
            resolved.limit = TicketQuery.maxLimit
            #expect(Int64(try await store.listTickets(tenantId: "t", query: resolved).items.count) == volume.buckets[index].figures.resolved)
            var rated = TicketQuery()
            rated.ratedFrom = start
            rated.ratedTo = end
            rated.limit = TicketQuery.maxLimit
            #expect(Int64(try await store.listTickets(tenantId: "t", query: rated).items.count) == satisfaction.buckets[index].figures.ratings)
        }

        // A filter with a grouping by another dimension reads the tickets, and agrees.
        let filtered = try await services.reports.volume(
            Self.admin, ReportRequest(from: from, to: to, interval: .day, by: .agent, filters: [.category: "billing"]))
        #expect(filtered.fromTickets)
        for bucket in filtered.buckets {
            let start = try #require(bucket.start)
            for agent in Self.agents {
                let count = tickets.filter { $0.category == "billing" && $0.assignedAgent == agent && day($0.createdAt) == start }.count
                #expect((bucket.groups?[agent]?.created ?? 0) == Int64(count))
            }
        }
    }
}
