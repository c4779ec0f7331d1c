import DocketCore
import Foundation
import OpenAPIKit

/// JSON Schemas of the API's bodies, as OpenAPI components. Tests check that the
/// Codable types encode only properties declared here.
enum Schemas {
    typealias Schema = JSONSchema

    static func ref(_ name: String) -> Schema { .reference(.component(named: name)) }

    /// `schema`, or null. A reference or a list of values cannot carry `null` in its type, so
    /// it becomes `anyOf` the schema and null.
    static func nullable(_ schema: Schema) -> Schema {
        switch schema.value {
        case .reference, .all, .one, .any, .not, .fragment: return .any(of: [schema, .null()])
        default: return schema.allowedValues == nil ? schema.nullableSchemaObject() : .any(of: [schema, .null()])
        }
    }
    static func string(
        _ description: String? = nil, format: JSONTypeFormat.StringFormat = .unspecified, maxLength: Int? = nil,
        values: [String]? = nil, minLength: Int? = nil, pattern: String? = nil
    ) -> Schema {
        .string(
            format: format, description: description, minLength: minLength, maxLength: maxLength, pattern: pattern,
            allowedValues: values?.map { AnyCodable($0) })
    }

    /// Text that must say something: at least one character that is not a space, at most `max`.
    static func text(_ description: String? = nil, max: Int) -> Schema {
        string(description, maxLength: max, minLength: 1, pattern: #"\S"#)
    }

    /// An id as `Check.identifier` takes it: 1-64 ASCII letters, digits or - _ . : @.
    static func identifier(_ description: String? = nil) -> Schema {
        string(description, pattern: #"^[A-Za-z0-9_.:@-]{1,64}$"#)
    }

    /// A word such as a tag or a skill: 1-50 characters, not only spaces.
    static var word: Schema { string(maxLength: TicketLimits.tagLength, minLength: 1, pattern: #"\S"#) }
    static func integer(_ description: String? = nil, min: Int? = nil, max: Int? = nil) -> Schema {
        .integer(description: description, maximum: max.map { ($0, exclusive: false) }, minimum: min.map { ($0, exclusive: false) })
    }
    static func number(_ description: String? = nil) -> Schema { .number(description: description) }
    static var number: Schema { .number }
    static var boolean: Schema { .boolean }
    static var dateTime: Schema { string(format: .dateTime) }
    static func array(_ items: Schema, maxItems: Int? = nil) -> Schema { .array(maxItems: maxItems, items: items) }
    static func map(_ values: Schema) -> Schema { .object(additionalProperties: .b(values)) }
    /// An object of exactly these properties, each optional.
    static func closed(_ properties: [String: Schema], description: String? = nil) -> Schema {
        .object(
            description: description,
            properties: ordered(properties.mapValues { $0.optionalSchemaObject() }),
            additionalProperties: .a(false))
    }
    /// Any JSON object.
    static func anyObject(_ description: String? = nil) -> Schema { .object(description: description, additionalProperties: .a(true)) }
    /// An object; a property it does not require may also be null (the server reads a null as
    /// the property left out).
    static func object(_ properties: [String: Schema], required: [String] = [], description: String? = nil) -> Schema {
        let required = Set(required)
        precondition(required.isSubset(of: properties.keys), "required properties \(required.subtracting(properties.keys)) are not declared")
        let declared = properties.map { name, schema in
            (name, required.contains(name) ? schema.requiredSchemaObject() : nullable(schema).optionalSchemaObject())
        }
        return .object(description: description, properties: ordered(Dictionary(uniqueKeysWithValues: declared)))
    }

    /// A dictionary in its keys' order, so the document reads the same on every start.
    static func ordered<Key: Comparable & Hashable, Value>(_ dictionary: [Key: Value]) -> OrderedDictionary<Key, Value> {
        OrderedDictionary(dictionary.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    static var priority: Schema { string(values: Priority.allCases.map(\.rawValue)) }
    static var role: Schema { string(values: Role.allCases.map(\.rawValue)) }
    static var senderType: Schema { string(values: MessageSender.allCases.map(\.rawValue)) }
    static var messageKind: Schema { string(values: MessageKind.allCases.map(\.rawValue)) }

    static var webhookEvents: [String] { Webhook.subscribable }

    static func all() -> OrderedDictionary<String, Schema> {
        ordered(named())
    }

    private static func named() -> [String: Schema] {
        [
            "Error": object(
                ["error": object(
                    [
                        "code": string("Machine-readable code, e.g. invalid_transition"), "message": string(),
                        "field": string("The offending input field"), "details": map(array(string())),
                    ], required: ["code", "message"])], required: ["error"]),
            "Health": object(
                [
                    "status": string(values: ["ok", "degraded"]), "version": string(),
                    "store": object(["kind": string(), "status": string(values: ["ok", "unavailable"]), "detail": string()]),
                ], required: ["status", "store"]),
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
                    "nextTimerAt": dateTime,
                ], required: ["firstResponseTargetMs", "resolutionTargetMs", "firstResponseDueAt", "resolutionDueAt"]),
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
                ],
                required: [
                    "tenantId", "ticketId", "number", "numberingYear", "subject", "description", "category", "priority", "status",
                    "statusHistory", "customerId", "sla", "notes", "tags", "attachments", "source", "createdAt", "updatedAt", "version",
                ]),
            "RuleAuditEntry": object(
                [
                    "event": string(), "packId": string(), "packVersion": string(), "rule": string("file:function"),
                    "proposed": array(string()), "applied": array(string()),
                    "rejected": array(object(["action": string(), "reason": string()], required: ["action", "reason"])),
                    "error": string(), "durationMicros": integer(), "depth": integer(), "at": dateTime,
                    "notifications": array(object(["target": string(), "message": string()], required: ["target", "message"])),
                    "webhooks": array(object(["endpoint": string(), "event": string()], required: ["endpoint", "event"])),
                    "cuts": array(string()),
                ], required: ["event", "packId", "packVersion", "rule", "proposed", "applied", "rejected", "durationMicros", "depth", "at"]),
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
            "Customer": object(
                [
                    "id": string(), "tenantId": string(), "phoneNumber": string(), "firstName": string(), "lastName": string(),
                    "email": string(), "tier": string(), "avatarUrl": string(format: .uri),
                    "statistics": object(["totalTickets": integer()], required: ["totalTickets"]),
                    "createdAt": dateTime,
                ], required: ["id", "tenantId", "statistics", "createdAt"]),
            "NewCustomer": object([
                "id": identifier("Optional id; generated when absent"),
                "phoneNumber": string("7-15 digits, optional leading + (or 00); spaces, dots, dashes and brackets between them", pattern: #"^(\+|00)?[ ().-]*([0-9][ ().-]*){7,15}$"#),
                "firstName": string(maxLength: 100), "lastName": string(maxLength: 100), "email": string(format: .email),
                "tier": string("Service tier rules may read, e.g. vip", maxLength: 32),
                "avatarUrl": string(format: .uri, maxLength: TicketLimits.url),
            ]),
            "CustomerEnvelope": object(["customer": ref("Customer")], required: ["customer"]),
            "CustomerList": object(["customers": array(ref("Customer")), "pagination": ref("Pagination")], required: ["customers", "pagination"]),
            "Agent": object(
                [
                    "id": string(), "tenantId": string(), "name": string(), "email": string(),
                    "role": string(values: AgentRole.allCases.map(\.rawValue)), "skills": array(string()),
                    "capacity": integer(min: 1, max: 1000), "avatarUrl": string(format: .uri), "createdAt": dateTime,
                    "active": boolean,
                ], required: ["id", "tenantId", "name", "role", "skills", "capacity", "createdAt"]),
            "AgentPatch": object(
                [
                    "name": text(max: 100),
                    "email": string(format: .email), "role": string(values: AgentRole.allCases.map(\.rawValue)),
                    "skills": array(word, maxItems: 50), "capacity": integer(min: 1, max: 1000), "avatarUrl": string(format: .uri),
                    "active": boolean,
                ]),
            "NewAgent": object(
                [
                    "id": identifier(), "name": text(max: 100), "email": string(format: .email),
                    "role": string(values: AgentRole.allCases.map(\.rawValue)), "skills": array(word, maxItems: 50),
                    "capacity": integer(min: 1, max: 1000),
                ], required: ["name"]),
            "AgentEnvelope": object(["agent": ref("Agent")], required: ["agent"]),
            "AgentList": object(["agents": array(ref("Agent")), "pagination": ref("Pagination")], required: ["agents", "pagination"]),
            "AssignRequest": object(["agentId": identifier()], required: ["agentId"]),
            "TransferRequest": object(["toAgentId": identifier(), "reason": string(maxLength: TicketLimits.reason)], required: ["toAgentId"]),
            "MessagePreview": object(
                ["text": string(maxLength: MessagePreview.maxLength), "at": dateTime, "senderType": senderType],
                required: ["text", "at", "senderType"]),
            "ServiceSession": object(
                [
                    "agentId": string(), "agentName": string(), "startedAt": dateTime, "endedAt": dateTime, "active": boolean,
                    "reason": string("claimed, assigned, transferred, escalated or reopened"),
                ], required: ["agentId", "startedAt", "active", "reason"]),
            "TicketChat": object(
                [
                    "messageCount": integer(), "unreadCustomer": integer("Staff messages the customer has not read"),
                    "unreadStaff": integer("Customer messages staff have not read"), "lastMessage": ref("MessagePreview"),
                    "servedBy": array(ref("ServiceSession")),
                ], required: ["messageCount", "unreadCustomer", "unreadStaff", "servedBy"]),
            "Message": object(
                [
                    "tenantId": string(), "ticketId": string(), "seq": integer("Position in the conversation from 1; the cursor"),
                    "id": string(), "senderId": string(), "senderType": senderType, "senderName": string(), "senderAvatar": string(),
                    "content": string(maxLength: MessageLimits.content), "type": messageKind,
                    "attachments": array(string(format: .uri)), "isRead": boolean, "readAt": dateTime, "createdAt": dateTime,
                ],
                required: ["tenantId", "ticketId", "seq", "id", "senderId", "senderType", "content", "type", "attachments", "isRead", "createdAt"]),
            "NewMessage": object(
                [
                    "content": text(max: MessageLimits.content), "type": string(values: ["text", "image", "file"]),
                    "attachments": array(string(format: .uri, maxLength: TicketLimits.url), maxItems: MessageLimits.attachments),
                ], required: ["content"]),
            "MessageEnvelope": object(
                ["message": ref("Message"), "ticket": ref("Ticket"), "created": boolean],
                required: ["message", "ticket"]),
            "MessageList": object(
                ["messages": array(ref("Message")), "nextCursor": string("Pass as after= for the next page; absent at the end")],
                required: ["messages"]),
            "ReadEnvelope": object(["ticket": ref("Ticket"), "marked": integer("Messages marked read now")], required: ["ticket", "marked"]),
            "StatusRequest": object(["status": string(), "reason": string(maxLength: TicketLimits.reason)], required: ["status"]),
            "NoteRequest": object(
                ["content": text(max: TicketLimits.note), "isInternal": boolean], required: ["content"]),
            "ResolveRequest": object(["resolutionNotes": text(max: TicketLimits.resolutionNotes)], required: ["resolutionNotes"]),
            "EscalateRequest": object(["toAgentId": identifier(), "reason": text(max: TicketLimits.reason)], required: ["reason"]),
            "FeedbackRequest": object(
                ["rating": integer(min: 1, max: 5), "comment": string(maxLength: TicketLimits.feedbackComment)], required: ["rating"]),
            "TicketCategory": object(
                [
                    "id": string(pattern: #"^[a-z0-9_-]{1,64}$"#), "label": text(max: 100), "labelEn": string(), "icon": string(),
                    "color": string("#RRGGBB", pattern: "^#[0-9A-Fa-f]{6}$"), "description": string(), "active": boolean,
                ], required: ["id", "label"]),
            "CategoriesBody": object(["categories": array(ref("TicketCategory"))], required: ["categories"]),
            "AssistantConfiguration": object(
                [
                    "assistantName": text(max: TicketLimits.shortText), "companyName": text(max: TicketLimits.shortText),
                    "primaryServiceIssue": string(maxLength: 1000), "serviceType": string(maxLength: 1000),
                    "ticketNoun": text(max: TicketLimits.shortText), "ticketNounPlural": text(max: TicketLimits.shortText),
                    "language": text(max: TicketLimits.shortText),
                ],
                required: [
                    "assistantName", "companyName", "primaryServiceIssue", "serviceType", "ticketNoun", "ticketNounPlural", "language",
                ]),
            "AssistantBody": object(["config": ref("AssistantConfiguration")], required: ["config"]),
            "Terminology": object(
                [
                    "ticketSingular": text(max: 100), "ticketPlural": text(max: 100), "createVerb": text(max: 100), "customerNoun": text(max: 100),
                    "agentNoun": text(max: 100), "resolveVerb": text(max: 100),
                ], required: ["ticketSingular", "ticketPlural", "createVerb", "customerNoun", "agentNoun", "resolveVerb"]),
            "TerminologyBody": object(["terminology": ref("Terminology")], required: ["terminology"]),
            "TicketIDFormat": object(
                [
                    "prefix": string("1-10 ASCII letters or digits", pattern: "^[A-Za-z0-9]{1,10}$"), "separator": string("Up to 3 of - _ . /", pattern: "^[-_./]{0,3}$"),
                    "includeYear": boolean, "padLength": integer(min: 1, max: 12), "resetYearly": boolean,
                ], required: ["prefix", "separator", "includeYear", "padLength", "resetYearly"]),
            "IDFormatBody": object(["format": ref("TicketIDFormat")], required: ["format"]),
            "BusinessHoursBody": object(["calendar": ref("BusinessCalendar")], required: ["calendar"]),
            "StatusDefinition": object(
                [
                    "id": string(), "label": string(), "labelEn": string(), "transitions": array(string()),
                    "onCustomerReply": string(),
                ], required: ["id", "label", "transitions"]),
            "Workflow": object(
                [
                    "initial": string(), "onAssign": string(), "firstResponse": string(), "resolved": string(), "closed": string(),
                    "statuses": array(ref("StatusDefinition")),
                ], required: ["initial", "firstResponse", "resolved", "closed", "statuses"]),
            "SLATarget": object(
                [
                    "firstResponse": string("Duration such as 15m, 4h, 7d"), "resolution": string("Duration such as 15m, 4h, 7d"),
                    "nextReply": string("Duration: each time the customer writes after staff answered"),
                    "allDay": boolean,
                ],
                required: ["firstResponse", "resolution"]),
            "BusinessCalendar": object(
                [
                    "timeZone": string("An IANA time zone", values: TimeZone.knownTimeZoneIdentifiers.sorted()),
                    "week": closed(Dictionary(uniqueKeysWithValues: BusinessCalendar.dayNames.map { ($0, array(string("HH:MM-HH:MM", pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"))) })),
                    "holidays": array(string("YYYY-MM-DD or MM-DD", pattern: "^([0-9]{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")),
                    "holidayCalendar": string("An .ics file of the pack"),
                ], required: ["timeZone"]),
            "SLAPolicy": object(
                [
                    "targets": map(ref("SLATarget")), "calendar": ref("BusinessCalendar"), "pauseStatuses": array(string()),
                    "warning": object(["percent": integer(min: 1, max: 99), "minutesBefore": integer(min: 0)], required: ["percent", "minutesBefore"]),
                    "policies": array(object(
                        [
                            "name": string(),
                            "match": object(["categories": array(string()), "queues": array(string())]),
                            "targets": map(ref("SLATarget")),
                        ], required: ["name", "targets"])),
                ], required: ["targets"]),
            "AllConfigurations": object(
                [
                    "ticketCategories": array(ref("TicketCategory")), "assistantConfiguration": ref("AssistantConfiguration"),
                    "terminology": ref("Terminology"), "ticketIdFormat": ref("TicketIDFormat"), "workflow": ref("Workflow"),
                    "sla": ref("SLAPolicy"), "businessHours": ref("BusinessCalendar"), "defaultCategory": string(), "timeZone": string(),
                    "pack": object(["id": string(), "version": string(), "name": string(), "locale": string()]),
                    "overridden": array(string()),
                ],
                required: [
                    "ticketCategories", "assistantConfiguration", "terminology", "ticketIdFormat", "workflow", "sla",
                    "defaultCategory", "timeZone", "pack", "overridden", "businessHours",
                ]),
            "AllConfigurationsEnvelope": object(["configurations": ref("AllConfigurations")], required: ["configurations"]),
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
                    "reason": string(values: ["created", "activated", "rollback", "shipped_upgrade"]),
                ], required: ["packId", "version", "by", "at", "reason"]),
            "Tenant": object(
                [
                    "id": string(), "name": string(),
                    "pack": object(["id": string(), "version": string(), "name": string(), "locale": string()],
                                   required: ["id", "version", "name", "locale"]),
                    "packPinned": boolean, "packHistory": array(ref("PackActivation")), "overridden": array(string()),
                    "createdAt": dateTime, "updatedAt": dateTime,
                ], required: ["id", "name", "pack", "packPinned", "packHistory", "overridden", "createdAt", "updatedAt"]),
            "TenantEnvelope": object(["tenant": ref("Tenant")], required: ["tenant"]),
            "TenantList": object(["tenants": array(ref("Tenant")), "pagination": ref("Pagination")], required: ["tenants", "pagination"]),
            "AssistantTools": object(
                ["tools": array(object(
                    ["type": string(values: ["function"]), "function": object(
                        ["name": string(), "description": string(), "parameters": anyObject("JSON Schema of the arguments")],
                        required: ["name", "description", "parameters"])],
                    required: ["type", "function"]))],
                required: ["tools"], description: "Register these with the assistant (OpenAI function calling)"),
            "AssistantToolCall": object(
                [
                    "id": string(maxLength: 128), "type": string(values: ["function"]),
                    "function": object(["name": string(), "arguments": string("The arguments as a JSON string")], required: ["name", "arguments"]),
                ], required: ["id", "type", "function"]),
            "AssistantToolCallRequest": object(
                [
                    "phoneNumber": string("The customer's WhatsApp number (+52 55 1234 5678, 0052..., 521...)"),
                    "conversationId": string("The customer's open conversation, linked to created tickets"),
                    "tool_calls": array(ref("AssistantToolCall"), maxItems: 20),
                ], required: ["phoneNumber", "tool_calls"]),
            "AssistantToolOutputs": object(
                ["tool_outputs": array(object(
                    ["tool_call_id": string(), "output": string("A JSON string: {success, ...} or {success: false, error}")],
                    required: ["tool_call_id", "output"]))],
                required: ["tool_outputs"]),
            "NewApiKey": object(["name": text(max: 100), "role": string(values: ApiKey.allowedRoles.map(\.rawValue))], required: ["name", "role"]),
            "ApiKey": object(
                [
                    "id": string(), "name": string(), "role": role, "hint": string("The key's first characters"), "createdBy": string(),
                    "createdAt": dateTime, "revokedAt": dateTime,
                ], required: ["id", "name", "role", "hint", "createdBy", "createdAt"]),
            "CreatedApiKey": object(
                ["apiKey": ref("ApiKey"), "key": string("dk_<id>.<secret>: shown only here; send it as Authorization: Bearer or X-Api-Key")],
                required: ["apiKey", "key"]),
            "ApiKeyList": object(["apiKeys": array(ref("ApiKey"))], required: ["apiKeys"]),
            "LoginRequest": object(
                ["tenant": string(maxLength: 100), "email": string(maxLength: 254), "password": string(maxLength: 1024)],
                required: ["tenant", "email", "password"]),
            "PasswordRequest": object(
                ["token": string("The secret of a one-time link"), "password": string("10 characters to 72 bytes")],
                required: ["token", "password"]),
            "CustomerSessionRequest": object(
                ["tenant": string(), "token": string("HS256 JWT signed with the tenant's widget secret: sub = customer id, exp at most 15 min ahead, optional name and email")],
                required: ["tenant", "token"]),
            "SessionUser": object(
                ["tenantId": string(), "role": role, "subject": string("Agent or customer id"), "name": string(), "email": string()],
                required: ["tenantId", "role", "subject", "name"]),
            "SessionEnvelope": object(
                ["user": ref("SessionUser"), "expiresAt": dateTime, "token": string("A session token (customer chat page and refresh only)")],
                required: ["user", "expiresAt"]),
            "PasswordLinkEnvelope": object(
                ["link": object(
                    [
                        "url": string("Open it to choose a password; shown only here"), "purpose": string(values: ["invite", "reset"]),
                        "agentId": string(), "email": string(), "expiresAt": dateTime,
                    ], required: ["url", "purpose", "agentId", "email", "expiresAt"])],
                required: ["link"]),
            "WidgetStatus": object(["configured": boolean], required: ["configured"]),
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
            "ConsoleConfig": object(
                [
                    "tenantId": string(), "tenantName": string(), "locale": string("The pack's language, e.g. es, vi, en"),
                    "timeZone": string(), "terminology": ref("Terminology"), "categories": array(ref("TicketCategory")),
                    "workflow": ref("Workflow"), "queues": array(object(["id": string(), "name": string()], required: ["id", "name"])),
                    "priorities": array(priority),
                ], required: ["tenantId", "tenantName", "locale", "timeZone", "terminology", "categories", "workflow", "queues", "priorities"]),
            "WidgetSecret": object(["secret": string("Signs the widget's customer tokens; shown only here")], required: ["secret"]),
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
            "ResetBody": object(["key": string(), "configurations": ref("AllConfigurations")], required: ["key", "configurations"]),
            "NewWebhook": object(
                [
                    "url": string("http or https; a public address", format: .uri, maxLength: Webhook.maxURLLength),
                    "events": array(string(values: webhookEvents), maxItems: webhookEvents.count),
                    "active": boolean,
                ], required: ["url"], description: "events: the types wanted; empty or absent: every stored event"),
            "WebhookPatch": object([
                "url": string(format: .uri, maxLength: Webhook.maxURLLength),
                "events": array(string(values: webhookEvents), maxItems: webhookEvents.count), "active": boolean,
            ]),
            "Webhook": object(
                [
                    "id": string(), "url": string(), "events": array(string()), "active": boolean,
                    "disabledReason": string("Why the server turned it off (it kept failing for 24 hours)"),
                    "cursor": integer("The last event id it is done with"),
                    "retrying": object(
                        ["eventId": integer(), "attempts": integer(), "nextAttemptAt": dateTime, "lastError": string()],
                        required: ["eventId", "attempts", "nextAttemptAt", "lastError"]),
                    "createdAt": dateTime, "createdBy": string(), "updatedAt": dateTime,
                ], required: ["id", "url", "events", "active", "cursor", "createdAt", "createdBy", "updatedAt"]),
            "CreatedWebhook": object(
                ["webhook": ref("Webhook"), "secret": string("Signs every delivery (Docket-Signature): shown only here")],
                required: ["webhook", "secret"]),
            "WebhookList": object(["webhooks": array(ref("Webhook"))], required: ["webhooks"]),
            "WebhookEnvelope": object(["webhook": ref("Webhook")], required: ["webhook"]),
            "WebhookDelivery": object(
                [
                    "id": string("The delivery id the receiver sees (Docket-Delivery)"), "tenantId": string(), "webhookId": string(),
                    "eventId": integer(), "event": string(), "status": string(values: ["delivered", "retrying", "failed"]),
                    "attempts": integer(), "statusCode": integer(), "error": string(), "durationMs": integer(),
                    "lastAttemptAt": dateTime, "deliveredAt": dateTime, "nextAttemptAt": dateTime,
                ], required: ["id", "tenantId", "webhookId", "eventId", "event", "status", "attempts", "lastAttemptAt"]),
            "WebhookDeliveryList": object(["deliveries": array(ref("WebhookDelivery"))], required: ["deliveries"]),
            "WebhookDeliveryEnvelope": object(["delivery": ref("WebhookDelivery")], required: ["delivery"]),
        ]
    }
}
