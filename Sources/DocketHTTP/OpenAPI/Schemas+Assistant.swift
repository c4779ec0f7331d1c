import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// The assistant's tools and API keys.
    static var assistant: [String: Schema] {
        [
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
        ]
    }
}
