import DocketCore
import Foundation

extension MongoTicketStore {
    public func customer(tenantId: String, phone: String) async throws -> Customer? {
        try await job { job in
            try job.collection(Collections.customers).findOne(["tenantId": tenantId, "phoneNumber": phone]).map { try Self.customer($0, job) }
        }
    }

    public func customer(tenantId: String, email: String) async throws -> Customer? {
        try await job { job in
            try job.collection(Collections.customers).find(
                ["tenantId": tenantId, "emailKey": email.lowercased()], FindOptions(sort: [("createdAt", 1), ("_id", 1)], limit: 1)
            ).first.map { try Self.customer($0, job) }
        }
    }

    public func insertApiKey(_ key: ApiKey) async throws {
        try await job { job in
            let doc = try Self.document(key, id: key.id)
            try job.collection(Collections.apiKeys).insertOne(doc)
        }
    }

    public func apiKey(id: String) async throws -> ApiKey? {
        try await job { job in
            try job.collection(Collections.apiKeys).findOne(["_id": id]).map { try Self.decode(ApiKey.self, $0) }
        }
    }

    public func listApiKeys(tenantId: String) async throws -> [ApiKey] {
        try await job { job in
            try job.collection(Collections.apiKeys).find(["tenantId": tenantId], FindOptions(sort: [("createdAt", 1), ("_id", 1)]))
                .map { try Self.decode(ApiKey.self, $0) }
        }
    }

    public func revokeApiKey(tenantId: String, id: String, by: String, at: Date) async throws -> Bool {
        try await job { job in
            // One conditional update: only a live key of this tenant is revoked.
            try job.collection(Collections.apiKeys).updateOne(
                ["_id": id, "tenantId": tenantId, "revokedAt": NSNull()],
                ["$set": ["revokedAt": at, "revokedBy": by]]) == 1
        }
    }

    public func claimToolCall(tenantId: String, callId: String, at: Date) async throws -> ToolCallRecord? {
        try await job { job in
            let calls = try job.collection(Collections.toolCalls)
            let key = Self.key(tenantId, callId)
            do {
                try calls.insertOne(["_id": key, "tenantId": tenantId, "callId": callId, "createdAt": at])
                return nil
            } catch let error as MongoError where error.kind == .duplicateKey {
                guard let data = try calls.findOne(["_id": key]) else { return nil }
                return try Self.decode(ToolCallRecord.self, data)
            }
        }
    }

    public func completeToolCall(tenantId: String, callId: String, output: String) async throws {
        _ = try await job { job in
            try job.collection(Collections.toolCalls).updateOne(["_id": Self.key(tenantId, callId)], ["$set": ["output": output]])
        }
    }

    public func toolCall(tenantId: String, callId: String) async throws -> ToolCallRecord? {
        try await job { job in
            try job.collection(Collections.toolCalls).findOne(["_id": Self.key(tenantId, callId)]).map { try Self.decode(ToolCallRecord.self, $0) }
        }
    }
}
