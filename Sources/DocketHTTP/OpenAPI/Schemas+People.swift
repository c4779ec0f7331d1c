import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// Customers and agents.
    static var people: [String: Schema] {
        [
            "Customer": object(
                [
                    "id": string(), "tenantId": string(), "phoneNumber": string(), "firstName": string(), "lastName": string(),
                    "email": string(), "tier": string(), "avatarUrl": string(format: .uri),
                    "statistics": object(["totalTickets": integer()], required: ["totalTickets"]),
                    "createdAt": dateTime,
                    "emailBounce": object(
                        ["at": dateTime, "status": string("The enhanced status code the reporting server gave, e.g. 5.1.1"), "reason": string()],
                        required: ["at", "status"]),
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
            "Presence": object(
                [
                    "agentId": string(), "status": string(values: PresenceStatus.allCases.map(\.rawValue)),
                    "since": dateTime, "sessions": integer(min: 0),
                ], required: ["agentId", "status", "sessions"],
                description: "since is absent for an agent never seen online; sessions counts the sessions holding a lease now"),
            "PresenceList": object(["presence": array(ref("Presence"))], required: ["presence"]),
            "PresenceEnvelope": object(["presence": ref("Presence")], required: ["presence"]),
            "PresenceChoice": object(["status": string(values: ["away", "online"])], required: ["status"]),
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
        ]
    }
}
