import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// The chat around a ticket: messages, sessions, read marks, transfers.
    static var conversations: [String: Schema] {
        [
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
                    "mail": object(
                        [
                            "from": string("The sender as the mail named them"), "to": array(string()), "cc": array(string()), "subject": string(),
                            "messageId": string(), "files": array(string(), maxItems: MessageMail.maxListed),
                            "attachments": array(
                                object(
                                    [
                                        "id": string("GET /api/v2/files/{id} answers its bytes"), "name": string(maxLength: 200),
                                        "contentType": string("As the sender declared it"), "size": integer(min: 0, max: StoredFile.maxBytes),
                                    ], required: ["id", "name", "contentType", "size"]), maxItems: StoredFile.maxPerMessage),
                        ],
                        required: ["from", "to", "cc", "subject", "files"]),
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
        ]
    }
}
