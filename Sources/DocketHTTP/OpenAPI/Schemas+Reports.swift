import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// Reports.
    static var reports: [String: Schema] {
        [
            "SLACompliance": object(
                ["measured": integer(), "met": integer(), "percent": number], required: ["measured", "met"]),
            "SLADurations": object(
                ["count": integer(), "averageSeconds": number, "p90Seconds": number], required: ["count"]),
            "SLAReport": object(
                [
                    "from": dateTime, "to": dateTime, "tickets": integer(), "byTarget": map(ref("SLACompliance")),
                    "byPriority": map(map(ref("SLACompliance"))), "byCategory": map(map(ref("SLACompliance"))),
                    "byAgent": map(map(ref("SLACompliance"))), "firstResponse": ref("SLADurations"), "resolution": ref("SLADurations"),
                ],
                required: ["from", "to", "tickets", "byTarget", "byPriority", "byCategory", "byAgent", "firstResponse", "resolution"]),
            "DurationFigures": object(
                ["count": integer(), "averageSeconds": integer(), "p50Seconds": integer(), "p90Seconds": integer()], required: ["count"]),
            "ComplianceFigures": object(["measured": integer(), "met": integer(), "percent": number], required: ["measured", "met"]),
            "BacklogNow": object(
                ["open": integer(), "byStatus": map(integer()), "byAge": map(integer())], required: ["open", "byStatus", "byAge"]),
            "RuleFailure": object(
                [
                    "pack": string("packId@version"), "rule": string("rules/<file>.lua:<handler>"), "errors": integer(),
                    "budgetOverruns": integer(), "rejected": integer("Actions rejected"),
                    "evaluations": integer("Runs that failed or had an action rejected"),
                ], required: ["pack", "rule", "errors", "budgetOverruns", "rejected", "evaluations"]),
            "AgentRow": object(
                [
                    "agentId": string(), "name": string(), "load": integer(),
                    "presence": string(values: PresenceStatus.allCases.map(\.rawValue)),
                ], required: ["agentId", "load"]),
        ]
            .merging(report("Volume", ["created": integer(), "resolved": integer()])) { $1 }
            .merging(report("Backlog", ["open": integer()])) { $1 }
            .merging(report("Times", [
                "firstResponse": ref("DurationFigures"), "nextReply": ref("DurationFigures"), "resolution": ref("DurationFigures"),
                "sla": map(ref("ComplianceFigures")), "breaches": integer(),
            ])) { $1 }
            .merging(report("Agents", [
                "created": integer(), "resolved": integer(), "firstResponse": ref("DurationFigures"), "resolution": ref("DurationFigures"),
                "sla": ref("ComplianceFigures"), "ratings": integer(), "averageRating": number,
            ])) { $1 }
            .merging(report("Satisfaction", ["ratings": integer(), "average": number, "distribution": map(integer())])) { $1 }
            .merging(report("Rules", [
                "evaluations": integer(), "errors": integer(), "budgetOverruns": integer(), "actions": integer(), "rejected": integer(),
                "averageMicros": integer(),
            ])) { $1 }
    }

    /// `<Name>Figures`, `<Name>Bucket` (the figures beside `start` and `groups`) and `<Name>Report`.
    static func report(_ name: String, _ figures: [String: Schema]) -> [String: Schema] {
        let required = figures.keys.filter {
            [
                "created", "resolved", "open", "ratings", "breaches", "firstResponse", "nextReply", "resolution", "sla", "distribution",
                "evaluations", "errors", "budgetOverruns", "actions", "rejected",
            ].contains($0)
        }.sorted()
        var bucket = figures
        bucket["start"] = dateTime
        bucket["groups"] = map(ref("\(name)Figures"))
        return [
            "\(name)Figures": object(figures, required: required),
            "\(name)Bucket": object(bucket, required: required),
            "\(name)Report": object(
                [
                    "report": string(values: ReportKind.allCases.map(\.rawValue)), "from": dateTime, "to": dateTime,
                    "interval": string(values: ReportInterval.allCases.map(\.rawValue)), "timeZone": string(),
                    "by": string(values: ReportGroup.allCases.map(\.rawValue)), "filters": map(string()), "fromTickets": boolean,
                    "buckets": array(ref("\(name)Bucket")), "totals": ref("\(name)Bucket"), "now": ref("BacklogNow"),
                    "agents": array(ref("AgentRow")), "failing": array(ref("RuleFailure")), "rollout": ref("Rollout"),
                ],
                required: ["report", "from", "to", "interval", "timeZone", "filters", "fromTickets", "buckets", "totals"]),
        ]
    }
}
