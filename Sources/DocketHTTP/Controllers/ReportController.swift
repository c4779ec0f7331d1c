import DocketCore
import Foundation
import Hummingbird

/// `/api/v2/reports/{volume,backlog,times,agents,satisfaction}`: the dashboard's figures, as
/// JSON or (with `.csv`, or `Accept: text/csv`) as CSV. `reports/sla` lives with the assistant's
/// routes, where it began.
struct ReportController: Sendable {
    let services: DocketServices

    static let summaries: [(ReportKind, String)] = [
        (.volume, "Tickets created and resolved per bucket"),
        (.backlog, "Open tickets at the end of each bucket, and now by status and by age"),
        (.times, "First response, next reply and resolution times in business time (count, average, p50, p90), SLA compliance and breaches, of the tickets created in each bucket"),
        (.agents, "Per agent: tickets created and resolved, first response and resolution times, SLA met, ratings, current load and presence"),
        (.satisfaction, "Customer ratings per bucket: how many, their average and their distribution"),
        (.rules, "Per pack version: rule handlers run, failed, stopped by their budget, actions applied and rejected, average time; the rules that failed; the staged rollout of the period with its comparison. Grouped by pack version, no filters"),
    ]

    /// The rules report: the period and the step; it is grouped by pack version and takes no filters.
    static var rulesQuery: [Endpoint.QueryParameter] {
        query.filter { ["from", "to", "lastDays", "interval"].contains($0.name) } + [
            .init(name: "by", type: .string, description: "Always the pack version (`packId@version`)", values: [ReportGroup.pack.rawValue]),
        ]
    }

    static var query: [Endpoint.QueryParameter] {
        [
            .date("from", "ISO 8601 date-time, or a date (its midnight in the tenant's time zone); default 30 days before `to`. Figures are kept per hour: the period starts at the hour holding `from`"),
            .date("to", "ISO 8601 date-time, or a date (the end of that day in the tenant's time zone); default now"),
            .init(name: "lastDays", type: .integer,
                description: "The last N days up to today in the tenant's time zone, instead of `from` and `to`", minimum: 1, maximum: 1096),
            .init(name: "interval", type: .string, description: "Bucket size in the tenant's time zone (weeks start on Monday); default day",
                values: ReportInterval.allCases.map(\.rawValue)),
            .init(name: "by", type: .string, description: "Group each bucket by a dimension (`status`: the backlog only)",
                values: ReportGroup.allCases.filter { $0 != .pack }.map(\.rawValue)),
        ] + ReportDimension.allCases.map { dimension in
            .init(name: dimension.rawValue, type: .string,
                description: "Only tickets whose \(dimension.rawValue) is this (`none` / `unassigned` for a ticket without one)", maxLength: 200)
        }
    }

    func register(_ routes: RouteRegistry) {
        Self.registerExport(routes, services: services)
        for (kind, summary) in Self.summaries {
            for csv in [false, true] {
                routes.add(Endpoint(
                    method: .get, path: "/api/v2/reports/\(kind.rawValue)\(csv ? ".csv" : "")",
                    summary: csv ? "\(summary), as CSV (one row per bucket and group)" : "\(summary) (CSV with Accept: text/csv)",
                    tag: "Reports", access: kind == .rules ? "supervisor, admin" : "agent, admin", query: kind == .rules ? Self.rulesQuery : Self.query,
                    success: (200, csv ? nil : "\(kind.rawValue.prefix(1).uppercased())\(kind.rawValue.dropFirst())Report"),
                    errors: [400, 403], csv: true)
                ) { request, context in try await answer(kind, csv: csv, request, context) }
            }
        }
    }

    /// `GET /api/v2/tickets.csv`: the tickets of a list's filters, one row per ticket with its times.
    static func registerExport(_ routes: RouteRegistry, services: DocketServices) {
        routes.add(Endpoint(
            method: .get, path: "/api/v2/tickets.csv",
            summary: "The tickets of a list's filters as CSV, one row per ticket with its times (business seconds); at most 50,000 rows",
            tag: "Reports", access: "agent, admin", query: TicketController.listQuery.filter { !["page", "limit", "sortBy", "sortOrder", "search"].contains($0.name) },
            success: (200, nil), errors: [400, 403], csv: true)
        ) { request, context in
            var query = try TicketController.query(from: request)
            query.search = nil
            let tickets = try await services.reports.exportTickets(try context.requirePrincipal(), query)
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"tickets.csv\""],
                body: .init(byteBuffer: ByteBuffer(string: ReportCSV.tickets(tickets))))
        }
    }

    static func request(_ request: Request, now: Date) throws -> ReportRequest {
        let reader = QueryReader(request)
        let to = try reader.date("to") ?? now
        let from = try reader.date("from") ?? to.addingTimeInterval(-30 * 86_400)
        func day(_ name: String) -> String? {
            guard let text = reader.string(name), text.count == 10, !text.contains("T") else { return nil }
            return text
        }
        var filters: [ReportDimension: String] = [:]
        for dimension in ReportDimension.allCases {
            guard let value = reader.string(dimension.rawValue) else { continue }
            guard value.count <= 200 else { throw DocketError(.badRequest, "\(dimension.rawValue) is at most 200 characters", field: dimension.rawValue) }
            filters[dimension] = value
        }
        return ReportRequest(
            from: from, to: to, interval: try reader.value("interval", as: ReportInterval.self) ?? .day,
            by: try reader.value("by", as: ReportGroup.self), filters: filters, fromDay: day("from"), toDay: day("to"),
            // Present and empty is no number (a 400), as `int` says.
            lastDays: reader.parameters.get("lastDays") == nil ? nil : try reader.int("lastDays", default: 30))
    }

    @Sendable func answer(_ kind: ReportKind, csv: Bool, _ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let question = try Self.request(request, now: Date())
        let asCSV = csv || (request.headers[.accept]?.lowercased().hasPrefix("text/csv") ?? false)
        let reports = services.reports
        func send<Figures>(_ answer: ReportAnswer<Figures>) throws -> Response {
            asCSV ? try ReportCSV.response(answer) : try APICoding.response(answer)
        }
        switch kind {
        case .volume: return try send(try await reports.volume(principal, question))
        case .backlog: return try send(try await reports.backlog(principal, question))
        case .times: return try send(try await reports.times(principal, question))
        case .agents: return try send(try await reports.agents(principal, question))
        case .satisfaction: return try send(try await reports.satisfaction(principal, question))
        case .rules: return try send(try await reports.rules(principal, question))
        }
    }
}

/// A report as CSV: a header, then one row per bucket (and per group of a bucket, after the
/// bucket's own row), then the totals. Nested figures become dotted columns
/// (`firstResponse.p50Seconds`). A cell that a spreadsheet would read as a formula is
/// prefixed with `'`.
enum ReportCSV {
    static func response<Figures>(_ answer: ReportAnswer<Figures>) throws -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"\(answer.report.rawValue).csv\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: try text(answer))))
    }

    static func text<Figures>(_ answer: ReportAnswer<Figures>) throws -> String {
        let encoder = JSONEncoder()
        func flat(_ figures: Figures) throws -> [String: String] {
            let object = try JSONSerialization.jsonObject(with: try encoder.encode(figures))
            var out: [String: String] = [:]
            func walk(_ value: Any, _ path: String) {
                if let object = value as? [String: Any] {
                    for (key, inner) in object { walk(inner, path.isEmpty ? key : "\(path).\(key)") }
                } else if let number = value as? NSNumber {
                    out[path] = number.stringValue
                } else if let text = value as? String {
                    out[path] = text
                }
            }
            walk(object, "")
            return out
        }
        let iso = ISO8601DateFormatter()
        var rows: [(start: String, group: String, figures: [String: String])] = []
        for bucket in answer.buckets {
            let start = bucket.start.map(iso.string) ?? ""
            rows.append((start, "", try flat(bucket.figures)))
            for (group, figures) in (bucket.groups ?? [:]).sorted(by: { $0.key < $1.key }) {
                rows.append((start, group, try flat(figures)))
            }
        }
        rows.append(("total", "", try flat(answer.totals.figures)))
        for (group, figures) in (answer.totals.groups ?? [:]).sorted(by: { $0.key < $1.key }) {
            rows.append(("total", group, try flat(figures)))
        }
        let columns = Set(rows.flatMap(\.figures.keys)).sorted()
        var lines = [(["start", answer.by?.rawValue ?? "group"] + columns).map(cell).joined(separator: ",")]
        for row in rows {
            lines.append(([row.start, row.group] + columns.map { row.figures[$0] ?? "" }).map(cell).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static let ticketColumns = [
        "ticketId", "subject", "status", "priority", "category", "channel", "queue", "assignedAgent", "customerId", "createdAt",
        "firstResponseAt", "firstResponseSeconds", "firstResponseMet", "resolvedAt", "resolutionSeconds", "resolutionMet", "breaches",
        "rating", "ratedAt",
    ]

    /// One row per ticket: its dimensions and its times (durations in business seconds, as the
    /// reports count them).
    static func tickets(_ tickets: [Ticket]) -> String {
        let iso = ISO8601DateFormatter()
        func date(_ value: Date?) -> String { value.map(iso.string) ?? "" }
        var lines = [ticketColumns.joined(separator: ",")]
        for ticket in tickets {
            let first = ticket.sla.clock(.firstResponse), resolution = ticket.sla.clock(.resolution)
            func seconds(_ clock: SLAClock?) -> String {
                guard let clock, clock.stoppedAt != nil else { return "" }
                return String(Int64(clock.consumedSeconds.rounded()))
            }
            func met(_ clock: SLAClock?) -> String {
                if let met = clock?.met { return met ? "true" : "false" }
                return clock?.breachedAt != nil ? "false" : ""
            }
            let breaches = (ticket.sla.clocks ?? []).filter { $0.breachedAt != nil }.count + (ticket.sla.nextReplies?.breached ?? 0)
            let row: [String] = [
                ticket.ticketId, ticket.subject, ticket.status, ticket.priority.rawValue, ticket.category, ticket.source.rawValue,
                ticket.queue ?? "", ticket.assignedAgent ?? "", ticket.customerId, date(ticket.createdAt),
                date(first?.stoppedAt ?? ticket.sla.firstResponseAt), seconds(first), met(first), date(ticket.resolution?.resolvedAt),
                seconds(resolution), met(resolution), String(breaches), ticket.customerFeedback.map { String($0.rating) } ?? "",
                date(ticket.customerFeedback?.submittedAt),
            ]
            lines.append(row.map(cell).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// One CSV cell: quoted when it holds a comma, quote or line break; a leading `=`, `+`,
    /// `-`, `@`, tab or carriage return (a formula to a spreadsheet) gets a `'` first, unless
    /// the cell is a number.
    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first), Double(text) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
