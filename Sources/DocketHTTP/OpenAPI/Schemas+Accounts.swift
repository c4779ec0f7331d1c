import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// Console sign-in, sessions and the customers' widget.
    static var accounts: [String: Schema] {
        [
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
                        "url": string("Open it to choose a password; shown only here, and only when it was not mailed to the agent"),
                        "purpose": string(values: ["invite", "reset"]),
                        "agentId": string(), "email": string(), "expiresAt": dateTime,
                        "mailedTo": string("The agent's address the link was mailed to (the tenant sends mail)"),
                        "mailError": string("Why mailing it failed: the link is shown to pass on"),
                    ], required: ["purpose", "agentId", "email", "expiresAt"])],
                required: ["link"]),
            "WidgetStatus": object(["configured": boolean], required: ["configured"]),
            "ConsoleConfig": object(
                [
                    "tenantId": string(), "tenantName": string(), "locale": string("The pack's language, e.g. es, vi, en"),
                    "timeZone": string(), "terminology": ref("Terminology"), "categories": array(ref("TicketCategory")),
                    "workflow": ref("Workflow"), "queues": array(object(["id": string(), "name": string()], required: ["id", "name"])),
                    "priorities": array(priority),
                ], required: ["tenantId", "tenantName", "locale", "timeZone", "terminology", "categories", "workflow", "queues", "priorities"]),
            "WidgetSecret": object(["secret": string("Signs the widget's customer tokens; shown only here")], required: ["secret"]),
        ]
    }
}
