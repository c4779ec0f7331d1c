import DocketCore
import Foundation

extension MemoryTicketStore {
    public func mailOutlet(tenantId: String) async throws -> MailOutlet? {
        state.withLock { $0.mailOutlets[tenantId] }
    }

    public func saveMailOutlet(_ outlet: MailOutlet, expectedVersion: Int?) async throws -> Bool {
        state.withLock { state in
            guard state.mailOutlets[outlet.tenantId]?.version == expectedVersion else { return false }
            state.mailOutlets[outlet.tenantId] = outlet
            return true
        }
    }
}

extension MemoryTicketStore {
    public func mailboxState(tenantId: String, mailboxId: String) async throws -> MailboxState? {
        state.withLock { $0.mailboxStates[tenantId + "/" + mailboxId] }
    }

    public func saveMailboxState(_ mailbox: MailboxState, expectedVersion: Int?) async throws -> Bool {
        state.withLock { state in
            let key = mailbox.tenantId + "/" + mailbox.mailboxId
            guard state.mailboxStates[key]?.version == expectedVersion else { return false }
            state.mailboxStates[key] = mailbox
            return true
        }
    }
}
