import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// Packs, their versions, checks and simulations, and tenants.
    static var packs: [String: Schema] {
        [
            "PackBundle": object(
                ["files": map(string("The file's text; at most 256 KiB each, 2 MiB in all"))], required: ["files"],
                description: "A pack's files by path: pack.yaml, README.md, rules/<name>.lua, tests/<name>.yaml"),
            "PackVersionSummary": object(
                [
                    "packId": string(), "version": string(), "name": string(), "locale": string(),
                    "owner": string("The tenant that uploaded it; absent for platform packs"),
                    "origin": string(values: ["shipped", "upload"]), "checksum": string(), "ruleFiles": integer(),
                    "fixtureFiles": integer(), "createdBy": string(), "createdAt": dateTime,
                ],
                required: [
                    "packId", "version", "name", "locale", "origin", "checksum", "ruleFiles", "fixtureFiles", "createdBy", "createdAt",
                ]),
            "PackVersionEnvelope": object(["version": ref("PackVersionSummary")], required: ["version"]),
            "PackListing": object(
                [
                    "id": string(), "name": string(), "locale": string(), "owner": string(), "latestVersion": string(),
                    "versions": array(string()),
                ], required: ["id", "name", "locale", "latestVersion", "versions"]),
            "PackList": object(["packs": array(ref("PackListing"))], required: ["packs"]),
            "PackVersionList": object(["versions": array(ref("PackVersionSummary"))], required: ["versions"]),
            "PackVersionDetail": object(
                ["version": ref("PackVersionSummary"), "files": map(string())], required: ["version", "files"]),
            "SimulateRequest": object([
                "tenant": string("Whose events are replayed (default: the caller's tenant)"),
                "limit": integer("How many of the latest events (default 50)", min: 1, max: 500),
            ]),
            "SimulatedEvent": object(
                [
                    "seq": integer(), "ticketId": string(), "event": string(), "at": dateTime,
                    "recordedWith": string("pack@version that handled the event"), "active": array(string()),
                    "candidate": array(string()), "onlyActive": array(string()), "onlyCandidate": array(string()),
                    "candidateErrors": array(string()), "changed": boolean,
                ],
                required: [
                    "seq", "ticketId", "event", "at", "recordedWith", "active", "candidate", "onlyActive", "onlyCandidate",
                    "candidateErrors", "changed",
                ]),
            "SimulationReport": object(
                [
                    "tenantId": string(), "activeVersion": string(), "candidateVersion": string(), "events": integer(),
                    "changed": integer(), "results": array(ref("SimulatedEvent")),
                ], required: ["tenantId", "activeVersion", "candidateVersion", "events", "changed", "results"]),
            "NewTenant": object(
                [
                    "id": string("1-64 lowercase letters, digits, - or _"), "name": string(maxLength: 200), "pack": string(),
                    "version": string("Default: the newest stored version; naming one pins it"),
                ], required: ["id", "name", "pack"]),
            "PackSelection": object(
                ["pack": string(), "version": string("Default: the newest stored version")], required: ["pack"]),
            "PackActivation": object(
                [
                    "packId": string(), "version": string(), "previous": string(), "by": string(), "at": dateTime,
                    "reason": string(values: ["created", "activated", "rollback", "shipped_upgrade", "rollout_promoted"]),
                ], required: ["packId", "version", "by", "at", "reason"]),
            "Tenant": object(
                [
                    "id": string(), "name": string(),
                    "pack": object(["id": string(), "version": string(), "name": string(), "locale": string()],
                                   required: ["id", "version", "name", "locale"]),
                    "packPinned": boolean, "packHistory": array(ref("PackActivation")), "overridden": array(string()),
                    "rollout": object(
                        [
                            "id": string(), "mode": string(values: RolloutMode.allCases.map(\.rawValue)), "percent": number(),
                            "packId": string(), "version": string(), "startedAt": dateTime,
                        ], required: ["id", "mode", "packId", "version", "startedAt"], description: "The staged rollout running now"),
                    "createdAt": dateTime, "updatedAt": dateTime,
                ], required: ["id", "name", "pack", "packPinned", "packHistory", "overridden", "createdAt", "updatedAt"]),
            "TenantEnvelope": object(["tenant": ref("Tenant")], required: ["tenant"]),
            "RolloutLimits": object(
                [
                    "maxErrorRate": number("Failing handler runs over the candidate's handler runs (0-1)"),
                    "maxBudgetOverruns": integer("Handler runs out of budget; more ends the rollout (0: any)", min: 0, max: TenantService.maxBudgetOverrunLimit),
                    "maxDifferenceRate": number("Events decided differently over events seen (0-1)"),
                    "minEvents": integer("Candidate handler runs before a rate is judged (default \(RolloutLimits.defaultMinEvents))", min: 1, max: TenantService.maxMinEvents),
                ]),
            "RolloutRequest": object(
                [
                    "pack": string(), "version": string(), "mode": string(values: RolloutMode.allCases.map(\.rawValue)),
                    "percent": number("The candidate's share of tickets, above 0 and below 100 (canary only)"),
                    "rollback": ref("RolloutLimits"),
                ], required: ["pack", "version", "mode"]),
            "RolloutSide": object(
                [
                    "evaluations": integer("Handler runs"), "errors": integer("Handler runs that failed (budget included)"),
                    "budgetOverruns": integer(), "micros": integer("Time in the handlers, µs"), "decided": integer("Events this version decided"),
                ], required: ["evaluations", "errors", "budgetOverruns", "micros", "decided"]),
            "Rollout": object(
                [
                    "id": string(), "tenantId": string(), "packId": string(), "version": string("The candidate version"),
                    "activeVersion": string("pack@version active when it started"), "mode": string(values: RolloutMode.allCases.map(\.rawValue)),
                    "percent": number(), "limits": ref("RolloutLimits"),
                    "state": string(values: ["running", "rolled_back", "promoted", "aborted"]),
                    "startedAt": dateTime, "startedBy": string(), "endedAt": dateTime, "endedBy": string(), "reason": string("Why it ended"),
                    "crossed": string("The limit it crossed when it rolled back by itself", values: ["maxErrorRate", "maxBudgetOverruns", "maxDifferenceRate"]),
                    "events": integer("Initial events of the changes evaluated under both versions"),
                    "differing": integer("Events whose applied actions differ"),
                    "differences": map(integer()), "active": ref("RolloutSide"), "candidate": ref("RolloutSide"),
                    "series": array(object(
                        [
                            "start": dateTime, "events": integer(), "differing": integer(), "activeErrors": integer(), "candidateErrors": integer(),
                            "candidateBudgetOverruns": integer(),
                        ], required: ["start", "events", "differing", "activeErrors", "candidateErrors", "candidateBudgetOverruns"]),
                        maxItems: PackRollout.maxBuckets),
                    "revision": integer(),
                ],
                required: [
                    "id", "tenantId", "packId", "version", "activeVersion", "mode", "limits", "state", "startedAt", "startedBy", "events",
                    "differing", "differences", "active", "candidate", "series", "revision",
                ]),
            "RolloutEnvelope": object(["rollout": ref("Rollout")], required: ["rollout"]),
            "LatestRolloutEnvelope": object(["rollout": ref("Rollout")], description: "rollout is absent when the tenant never had one"),
            "TenantList": object(["tenants": array(ref("Tenant")), "pagination": ref("Pagination")], required: ["tenants", "pagination"]),
            "PackProblem": object(["file": string(), "line": integer(), "message": string()], required: ["file", "message"]),
            "FixtureCaseResult": object(
                [
                    "file": string(), "line": integer(), "index": integer("From 0, in file order"), "name": string(), "passed": boolean,
                    "expected": array(map(string())), "actual": array(map(string())), "message": string(),
                ], required: ["file", "index", "name", "passed", "expected"]),
            "PackCheckReport": object(
                [
                    "valid": boolean, "id": string(), "version": string(), "problems": array(ref("PackProblem")),
                    "cases": array(ref("FixtureCaseResult")),
                ], required: ["valid", "problems", "cases"]),
        ]
    }
}
