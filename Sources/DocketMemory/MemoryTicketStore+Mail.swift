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
