import DocketCore
import Foundation

extension MemoryTicketStore {
    public func saveAccount(_ account: Account) async throws {
        state.withLock { $0.accounts[account.tenantId, default: [:]][account.email] = account }
    }

    public func account(tenantId: String, email: String) async throws -> Account? {
        state.withLock { $0.accounts[tenantId]?[email] }
    }

    public func account(tenantId: String, agentId: String) async throws -> Account? {
        state.withLock { state in
            state.accounts[tenantId]?.values.filter { $0.agentId == agentId }.min { $0.createdAt < $1.createdAt }
        }
    }

    public func insertSession(_ session: Session) async throws {
        try state.withLock { state in
            guard state.sessions[session.id] == nil else { throw DocketError(.conflict, "session '\(session.id)' already exists") }
            state.sessions[session.id] = session
        }
    }

    public func session(id: String) async throws -> Session? {
        state.withLock { $0.sessions[id] }
    }

    public func renewSession(id: String, at: Date) async throws -> Bool {
        state.withLock { state in
            guard var session = state.sessions[id], session.endedAt == nil else { return false }
            session.renewedAt = max(session.renewedAt, at)
            state.sessions[id] = session
            return true
        }
    }

    public func endSession(id: String, at: Date) async throws -> Bool {
        state.withLock { state in
            guard var session = state.sessions[id], session.endedAt == nil else { return false }
            session.endedAt = at
            state.sessions[id] = session
            return true
        }
    }

    public func endSessions(tenantId: String, subject: String, at: Date) async throws -> Int {
        state.withLock { state in
            let live = state.sessions.values.filter { $0.tenantId == tenantId && $0.subject == subject && $0.endedAt == nil }
            for var session in live {
                session.endedAt = at
                state.sessions[session.id] = session
            }
            return live.count
        }
    }

    public func insertPasswordLink(_ link: PasswordLink) async throws {
        try state.withLock { state in
            guard state.passwordLinks[link.id] == nil else { throw DocketError(.conflict, "password link already exists") }
            state.passwordLinks[link.id] = link
        }
    }

    public func consumePasswordLink(id: String, at: Date) async throws -> PasswordLink? {
        state.withLock { state in
            guard var link = state.passwordLinks[id], link.usedAt == nil, link.expiresAt > at else { return nil }
            link.usedAt = at
            state.passwordLinks[id] = link
            return link
        }
    }

    public func widgetSecret(tenantId: String) async throws -> String? {
        state.withLock { $0.widgetSecrets[tenantId] }
    }

    public func setWidgetSecret(tenantId: String, secret: String) async throws {
        state.withLock { $0.widgetSecrets[tenantId] = secret }
    }
}
