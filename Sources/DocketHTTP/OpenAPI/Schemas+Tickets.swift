import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// Tickets, their parts, lists, statistics and the requests that change them.
    static var tickets: [String: Schema] {
        [
            "Coordinates": object(["latitude": number, "longitude": number], required: ["latitude", "longitude"]),
            "Location": object([
                "address": string(maxLength: 500), "description": string(maxLength: 1000), "coordinates": ref("Coordinates"),
            ]),
            "StatusChange": object(
                ["from": string(), "to": string(), "changedBy": string(), "reason": string(), "timestamp": dateTime],
                required: ["to", "changedBy", "timestamp"]),
            "Note": object(
                [
                    "id": string(), "authorId": string(), "authorRole": string(values: AuthorRole.allCases.map(\.rawValue)),
                    "content": string(maxLength: TicketLimits.note),
                    "isInternal": boolean, "timestamp": dateTime,
                ], required: ["id", "authorId", "authorRole", "content", "isInternal", "timestamp"]),
            "TicketSLA": object(
                [
                    "firstResponseTargetMs": integer(), "resolutionTargetMs": integer(), "firstResponseDueAt": dateTime,
                    "resolutionDueAt": dateTime, "firstResponseAt": dateTime, "firstResponseMet": boolean, "resolutionMet": boolean,
                    "clocks": array(ref("SLAClock")), "policy": string("Named SLA policy in force"),
                    "nextTimerAt": dateTime, "nextReplies": ref("ReplyTally"),
                ], required: ["firstResponseTargetMs", "resolutionTargetMs", "firstResponseDueAt", "resolutionDueAt"]),
            "ReplyTally": object(
                [
                    "measured": integer(), "met": integer(), "breached": integer(), "answered": integer(),
                    "seconds": integer(), "histogram": map(integer()),
                ],
                required: ["measured", "met", "breached", "answered", "seconds", "histogram"]),
            "SLAClock": object(
                [
                    "kind": string(values: SLAClock.Kind.allCases.map(\.rawValue)), "targetSeconds": integer(),
                    "businessHours": boolean, "startedAt": dateTime, "consumedSeconds": number,
                    "since": dateTime, "pausedSeconds": number, "pausedSince": dateTime, "dueAt": dateTime, "warnAt": dateTime,
                    "warnedAt": dateTime, "stoppedAt": dateTime, "met": boolean, "breachedAt": dateTime,
                    "remainingSeconds": number("Time left when read (business time for business-hours clocks), negative when overdue; GET of one ticket only"),
                ], required: ["kind", "targetSeconds", "businessHours", "startedAt", "consumedSeconds", "pausedSeconds"]),
            "Resolution": object(["resolvedAt": dateTime, "resolvedBy": string(), "notes": string()], required: ["resolvedAt", "resolvedBy"]),
            "CustomerFeedback": object(
                ["rating": integer(min: 1, max: 5), "comment": string(), "submittedAt": dateTime], required: ["rating", "submittedAt"]),
            "Escalation": object(
                ["escalatedTo": string(), "escalatedBy": string(), "reason": string(), "escalatedAt": dateTime],
                required: ["escalatedBy", "reason", "escalatedAt"]),
            "Attachment": object(
                ["url": string(format: .uri), "type": string(), "uploadedBy": string(), "uploadedAt": dateTime],
                required: ["url", "type", "uploadedBy", "uploadedAt"]),
            "Ticket": object(
                [
                    "tenantId": string(), "ticketId": string("Human ticket ID, e.g. LUX-2026-000001"), "number": integer(),
                    "numberingYear": integer(), "subject": string(maxLength: TicketLimits.subject),
                    "description": string(maxLength: TicketLimits.description), "category": string(), "subcategory": string(),
                    "priority": priority, "status": string(), "statusHistory": array(ref("StatusChange")), "customerId": string(),
                    "conversationId": string(),
                    "openChatOf": string("The customer whose open chat this ticket is (set on a ticket a message opened, until it is resolved or closed)"),
                    "assignedAgent": string(), "assignedAt": dateTime, "location": ref("Location"),
                    "sla": ref("TicketSLA"), "resolution": ref("Resolution"), "customerFeedback": ref("CustomerFeedback"),
                    "notes": array(ref("Note")), "tags": array(string()), "escalation": ref("Escalation"),
                    "attachments": array(ref("Attachment")), "source": string(values: TicketSource.allCases.map(\.rawValue)),
                    "createdAt": dateTime, "updatedAt": dateTime, "closedAt": dateTime, "version": integer(),
                    "queue": string("Queue a rule routed the ticket to"),
                    "fields": map(string(maxLength: 500)),
                    "ruleAudit": array(ref("RuleAuditEntry")),
                    "chat": ref("TicketChat"),
                    "timers": array(ref("RuleTimer"), maxItems: TimerLimits.perTicket),
                    "canary": string("The staged rollout whose candidate version decides this ticket (staff only)"),
                    "waiting": ref("WaitingAssignment"),
                ],
                required: [
                    "tenantId", "ticketId", "number", "numberingYear", "subject", "description", "category", "priority", "status",
                    "statusHistory", "customerId", "sla", "notes", "tags", "attachments", "source", "createdAt", "updatedAt", "version",
                ]),
            "WaitingAssignment": object(
                [
                    "strategy": string(values: ["least_loaded", "round_robin"]), "rule": string(), "since": dateTime,
                ], required: ["strategy", "rule", "since"],
                description: "A rule's routing found nobody of the queue online: the ticket waits and is given out when a fitting agent comes online (staff only)"),
            "RuleTimer": object(
                [
                    "name": string(), "dueAt": dateTime, "setAt": dateTime, "setBy": string("The rule that set it (file:function)"),
                    "after": string("The delay as the rule wrote it (2h, 1d12h)"), "business": boolean, "keep": boolean,
                    "repeats": integer(),
                ],
                required: ["name", "dueAt", "setAt", "setBy", "after", "business", "keep", "repeats"]),
            "RuleAuditEntry": object(
                [
                    "event": string(), "packId": string(), "packVersion": string(), "rule": string("file:function"),
                    "proposed": array(string()), "applied": array(string()),
                    "rejected": array(object(["action": string(), "reason": string()], required: ["action", "reason"])),
                    "error": string(), "durationMicros": integer(), "depth": integer(), "at": dateTime,
                    "notifications": array(object(["target": string(), "message": string()], required: ["target", "message"])),
                    "webhooks": array(object(["endpoint": string(), "event": string()], required: ["endpoint", "event"])),
                    "mails": array(string("A pack mail template a send_mail action mailed to the customer")),
                    "cuts": array(string()),
                    "instructions": integer("Lua VM instructions the handler ran, counted every 1,000 (absent: fewer)"),
                    "ticketVersion": integer("The ticket version the change that ran it stored"),
                    "role": string(
                        "During a staged rollout: canary (the candidate deciding) or shadow (recorded, never applied); absent: the active version",
                        values: ["canary", "shadow"]),
                ], required: ["event", "packId", "packVersion", "rule", "proposed", "applied", "rejected", "durationMicros", "depth", "at"]),
            "ReplayRequest": object(
                ["pack": string("The pack (default: the tenant's own)"), "version": string("The version to replay the ticket through")],
                required: ["version"]),
            "TicketTrace": object(
                [
                    "ticketId": string(), "activePack": string("pack@version the tenant runs now"),
                    "changes": array(object(
                        [
                            "ticketVersion": integer("The ticket version the change stored"), "at": dateTime,
                            "events": array(string()),
                            "handlers": array(object(
                                [
                                    "rule": string("file:function"), "event": string(), "depth": integer(), "pack": string("pack@version"),
                                    "outcome": string(values: ["actions", "no_actions", "error", "budget"]),
                                    "proposed": array(string()), "applied": array(string()),
                                    "rejected": array(object(["action": string(), "reason": string()], required: ["action", "reason"])),
                                    "error": string(), "durationMicros": integer(),
                                    "instructions": integer("Lua VM instructions, counted every 1,000"),
                                    "role": string("canary or shadow during a staged rollout", values: ["canary", "shadow"]),
                                ],
                                required: ["rule", "event", "depth", "pack", "outcome", "proposed", "applied", "rejected", "durationMicros"])),
                            "decisions": array(object(
                                ["action": string(), "rule": string(), "event": string(), "pack": string()],
                                required: ["action", "rule", "event", "pack"])),
                        ],
                        required: ["at", "events", "handlers", "decisions"])),
                ],
                required: ["ticketId", "activePack", "changes"]),
            "RuleAuditEnvelope": object(["ticketId": string(), "audit": array(ref("RuleAuditEntry"))], required: ["ticketId", "audit"]),
            "NewAttachment": object(["url": string(format: .uri, maxLength: TicketLimits.url), "type": string()], required: ["url"]),
            "NewTicket": object(
                [
                    "subject": text(max: TicketLimits.subject), "description": text(max: TicketLimits.description),
                    "category": string("Category id; the tenant's default when absent"), "subcategory": string(),
                    "priority": priority, "customerId": string("Required for staff; customers open tickets for themselves"),
                    "conversationId": string(), "location": ref("Location"), "tags": array(word, maxItems: TicketLimits.tags),
                    "attachments": array(ref("NewAttachment"), maxItems: TicketLimits.attachments),
                    "source": string(values: TicketSource.allCases.map(\.rawValue)), "assignToSelf": boolean,
                    "fields": map(string(maxLength: TicketLimits.fieldValue)),
                ], required: ["subject", "description"]),
            "TicketPatch": object([
                "subject": text(max: TicketLimits.subject), "description": text(max: TicketLimits.description),
                "category": string(), "subcategory": string(), "priority": priority, "conversationId": string(),
                "location": ref("Location"), "tags": array(word, maxItems: TicketLimits.tags),
                "attachments": array(ref("NewAttachment"), maxItems: TicketLimits.attachments),
            ]),
            "Pagination": object(
                [
                    "page": integer(), "limit": integer(), "total": integer("Matching items, counted up to \(TicketQuery.countCap)"),
                    "pages": integer(), "totalIsLowerBound": boolean,
                ], required: ["page", "limit", "total", "pages"]),
            "TicketEnvelope": object(["ticket": ref("Ticket")], required: ["ticket"]),
            "TicketList": object(["tickets": array(ref("Ticket")), "pagination": ref("Pagination")], required: ["tickets", "pagination"]),
            "AgentPerformance": object(
                [
                    "agentId": string(), "name": string(), "assigned": integer(), "resolved": integer(),
                    "avgFirstResponseSeconds": number, "firstResponseSlaMetPercent": number, "resolutionSlaMetPercent": number,
                    "slaMetPercent": number,
                ], required: ["agentId", "assigned", "resolved"]),
            "TicketStatistics": object(
                [
                    "total": integer(), "byStatus": map(integer()), "byPriority": map(integer()), "escalated": integer(),
                    "agents": array(ref("AgentPerformance")),
                ], required: ["total", "byStatus", "byPriority", "escalated", "agents"]),
            "StatsEnvelope": object(["stats": ref("TicketStatistics")], required: ["stats"]),
            "AssignRequest": object(["agentId": identifier()], required: ["agentId"]),
            "StatusRequest": object(["status": string(), "reason": string(maxLength: TicketLimits.reason)], required: ["status"]),
            "NoteRequest": object(
                ["content": text(max: TicketLimits.note), "isInternal": boolean], required: ["content"]),
            "ResolveRequest": object(["resolutionNotes": text(max: TicketLimits.resolutionNotes)], required: ["resolutionNotes"]),
            "EscalateRequest": object(["toAgentId": identifier(), "reason": text(max: TicketLimits.reason)], required: ["reason"]),
            "FeedbackRequest": object(
                ["rating": integer(min: 1, max: 5), "comment": string(maxLength: TicketLimits.feedbackComment)], required: ["rating"]),
        ]
    }
}
