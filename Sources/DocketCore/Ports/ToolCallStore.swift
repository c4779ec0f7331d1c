import Foundation

/// The assistant's tool calls, done once each.
public protocol ToolCallStore: Sendable {
    /// Claims `callId` for the tenant: nil when this caller claimed it now (do the work, then
    /// `completeToolCall`), or the existing record (its output is nil while the first call runs).
    func claimToolCall(tenantId: String, callId: String, at: Date) async throws -> ToolCallRecord?
    func completeToolCall(tenantId: String, callId: String, output: String) async throws
    /// The record of `callId`, if it was ever claimed; claims nothing.
    func toolCall(tenantId: String, callId: String) async throws -> ToolCallRecord?
}
