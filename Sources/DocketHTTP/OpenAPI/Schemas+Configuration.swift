import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// A tenant's configuration: categories, terminology, ID format, workflow, SLA, assistant.
    static var configuration: [String: Schema] {
        [
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
            "TenantMail": object(
                [
                    "addresses": array(mailAddress("local@domain, without a +tag; stored lower-cased"), maxItems: TenantMail.maxAddresses),
                    "from": mailAddress("The address mail out comes from (default: the first of addresses)"),
                    "relay": ref("MailRelay"),
                    "acknowledgementsPerHour": integer(
                        "At most this many acknowledgements of a new ticket to one sender in an hour (default \(TenantMail.defaultAcknowledgements); 0: none; never for a machine's mail)",
                        min: 0, max: TenantMail.maxAcknowledgements),
                    "dkim": array(ref("DKIMKey"), maxItems: TenantMail.maxDKIMKeys),
                    "notifyStaff": boolean,
                    "mailboxes": array(ref("MailMailbox"), maxItems: MailMailbox.maxPerTenant),
                ],
                required: ["addresses"]),
            "MailMailbox": object(
                [
                    "id": string("Names the mailbox: 1-40 of a-z, 0-9 and '-'", maxLength: 40, minLength: 1, pattern: "^[a-z0-9-]{1,40}$"),
                    "host": string("The IMAP server's host name or address", maxLength: 253, minLength: 1, pattern: #"^[A-Za-z0-9.:\[\]-]+$"#),
                    "port": integer(min: 1, max: 65_535),
                    "security": string(
                        "tls: TLS from the first byte (993); starttls: upgraded before the login (143); none: only for a server on this machine",
                        values: MailRelay.Security.allCases.map(\.rawValue)),
                    "username": string(maxLength: 256, minLength: 1, pattern: #"^[^\r\n]+$"#),
                    "password": string(
                        "Written, never shown; left out with the same id, host and username, the stored one is kept", maxLength: 256, minLength: 1,
                        pattern: #"^[^\r\n]+$"#),
                    "passwordSet": boolean,
                    "folder": string("The folder fetched (default INBOX)", maxLength: 200, minLength: 1, pattern: #"^[^\x00-\x1f\x7f"\\]+$"#),
                    "address": mailAddress("Which of addresses the mailbox receives for (default: the first)"),
                    "pollSeconds": integer(
                        "How often the mailbox is looked at when the server offers no IDLE (default \(MailMailbox.defaultPollSeconds))",
                        min: MailMailbox.pollRange.lowerBound, max: MailMailbox.pollRange.upperBound),
                ],
                required: ["id", "host", "port", "security", "username"]),
            "DKIMKey": object(
                [
                    "domain": string("The sending domain whose mail this key signs (one key per domain)", maxLength: 253, minLength: 3, pattern: #"^[A-Za-z0-9.-]+$"#),
                    "selector": string("The DNS record's name: <selector>._domainkey.<domain>", maxLength: 63, minLength: 1, pattern: #"^[A-Za-z0-9-]+$"#),
                    "privateKey": string(
                        "An RSA private key of 1024 to 4096 bits in PEM; written, never shown. Left out, Docket makes a 2048-bit one (or keeps the one stored under the same domain and selector)",
                        maxLength: DKIMKey.maxPrivateKeyBytes, minLength: 1),
                    "publicKey": string("Answers only: base64 of the public key's DER"),
                    "dnsName": string("Answers only: where to publish the record"),
                    "dnsRecord": string("Answers only: the TXT record to publish"),
                ],
                required: ["domain", "selector"]),
            "MailRelay": object(
                [
                    "host": string("The relay's host name or address", maxLength: 253, minLength: 1, pattern: #"^[A-Za-z0-9.:\[\]-]+$"#),
                    "port": integer(min: 1, max: 65_535),
                    "security": string(
                        "starttls: upgraded before anything is said (587); tls: TLS from the first byte (465); none: only for a relay on this machine when a password is set",
                        values: MailRelay.Security.allCases.map(\.rawValue)),
                    "username": string(maxLength: 256, minLength: 1, pattern: #"^[^\r\n]+$"#),
                    "password": string(
                        "Written, never shown; left out with the same host and username, the stored one is kept", maxLength: 256, minLength: 1,
                        pattern: #"^[^\r\n]+$"#),
                    "passwordSet": boolean,
                ],
                required: ["host", "port", "security"]),
            "QuarantinedMail": object(
                [
                    "id": string(), "tenantId": string(), "receivedAt": dateTime, "envelopeFrom": string("The SMTP sender (empty: the null sender)"),
                    "recipient": string(), "reason": string("Why it could not be read"),
                    "kind": string(values: ["too_large", "header_too_large", "too_many_parts", "too_deep", "too_many_attachments", "malformed"]),
                    "size": integer(min: 0), "rawTruncated": boolean,
                ], required: ["id", "tenantId", "receivedAt", "envelopeFrom", "recipient", "reason", "kind", "size", "rawTruncated"]),
            "QuarantineList": object(["quarantine": array(ref("QuarantinedMail")), "total": integer(min: 0)], required: ["quarantine", "total"]),
            "QuarantineAcceptance": object(
                [
                    "result": string("stored: written to a ticket; ignored: a machine's mail; bounced: a delivery report", values: ["stored", "ignored", "bounced"]),
                    "ticketId": string(), "created": boolean, "reason": string(),
                ], required: ["result"]),
            "MailConfigBody": object(
                [
                    "mail": ref("TenantMail"),
                    "outlet": object(
                        [
                            "sent": integer(min: 0), "failed": integer(min: 0), "lastError": string(), "lastSentAt": dateTime,
                            "retrying": object(
                                ["attempts": integer(min: 1), "nextAttemptAt": dateTime, "lastError": string()],
                                required: ["attempts", "nextAttemptAt", "lastError"]),
                        ], required: ["sent", "failed"]),
                    "mailboxes": array(object(
                        [
                            "id": string(), "lastUid": integer("The last message handed on (its IMAP UID)", min: 0), "fetched": integer(min: 0),
                            "quarantined": integer(min: 0), "idle": boolean, "lastError": string(), "lastFetchAt": dateTime,
                        ], required: ["id", "lastUid", "fetched", "quarantined"])),
                ], required: ["mail"]),
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
                    "sla": ref("SLAPolicy"), "businessHours": ref("BusinessCalendar"), "mail": ref("TenantMail"),
                    "defaultCategory": string(), "timeZone": string(),
                    "pack": object(["id": string(), "version": string(), "name": string(), "locale": string()]),
                    "overridden": array(string()),
                ],
                required: [
                    "ticketCategories", "assistantConfiguration", "terminology", "ticketIdFormat", "workflow", "sla",
                    "defaultCategory", "timeZone", "pack", "overridden", "businessHours", "mail",
                ]),
            "AllConfigurationsEnvelope": object(["configurations": ref("AllConfigurations")], required: ["configurations"]),
            "ResetBody": object(["key": string(), "configurations": ref("AllConfigurations")], required: ["key", "configurations"]),
        ]
    }
}
