import DocketCore
import Foundation

extension MongoTicketStore {
    public func saveAccount(_ account: Account) async throws {
        try await job { job in
            let doc = try Self.document(account, id: Self.key(account.tenantId, account.email))
            _ = try job.collection(Collections.accounts).replaceOne(["_id": Self.key(account.tenantId, account.email)], doc, upsert: true)
        }
    }

    public func account(tenantId: String, email: String) async throws -> Account? {
        try await job { job in
            try job.collection(Collections.accounts).findOne(["_id": Self.key(tenantId, email)]).map { try Self.decode(Account.self, $0) }
        }
    }

    public func account(tenantId: String, agentId: String) async throws -> Account? {
        try await job { job in
            try job.collection(Collections.accounts)
                .find(["tenantId": tenantId, "agentId": agentId], FindOptions(sort: [("createdAt", 1)], limit: 1))
                .first.map { try Self.decode(Account.self, $0) }
        }
    }

    public func insertSession(_ session: Session) async throws {
        try await job { job in
            let doc = try Self.document(session, id: session.id)
            try job.collection(Collections.sessions).insertOne(doc)
        }
    }

    public func session(id: String) async throws -> Session? {
        try await job { job in
            try job.collection(Collections.sessions).findOne(["_id": id]).map { try Self.decode(Session.self, $0) }
        }
    }

    public func renewSession(id: String, at: Date) async throws -> Bool {
        try await job { job in
            try job.collection(Collections.sessions).updateOne(["_id": id, "endedAt": NSNull()], ["$max": ["renewedAt": at]]) == 1
        }
    }

    public func endSession(id: String, at: Date) async throws -> Bool {
        try await job { job in
            try job.collection(Collections.sessions).updateOne(["_id": id, "endedAt": NSNull()], ["$set": ["endedAt": at]]) == 1
        }
    }

    public func endSessions(tenantId: String, subject: String, at: Date) async throws -> Int {
        try await job { job in
            try job.collection(Collections.sessions).updateMany(
                ["tenantId": tenantId, "subject": subject, "endedAt": NSNull()], ["$set": ["endedAt": at]])
        }
    }

    public func insertPasswordLink(_ link: PasswordLink) async throws {
        try await job { job in
            let doc = try Self.document(link, id: link.id)
            try job.collection(Collections.passwordLinks).insertOne(doc)
        }
    }

    public func consumePasswordLink(id: String, at: Date) async throws -> PasswordLink? {
        try await job { job in
            // One conditional update: only the first caller turns an unused, unexpired link used.
            try job.collection(Collections.passwordLinks).findOneAndUpdate(
                ["_id": id, "usedAt": NSNull(), "expiresAt": ["$gt": at]], ["$set": ["usedAt": at]]
            ).map { try Self.decode(PasswordLink.self, $0) }
        }
    }

    public func widgetSecret(tenantId: String) async throws -> String? {
        try await job { job in
            try job.collection(Collections.widgetSecrets).findOne(["_id": tenantId])?["secret"]?.string
        }
    }

    public func setWidgetSecret(tenantId: String, secret: String) async throws {
        _ = try await job { job in
            try job.collection(Collections.widgetSecrets).updateOne(["_id": tenantId], ["$set": ["secret": secret]], upsert: true)
        }
    }
}
