import Foundation

/// Whether the store answers (`/health`).
public protocol StoreHealth: Sendable {
    /// Cheap round trip.
    func ping() async throws
    /// A short description for logs and `/health` (kind and location).
    var description: String { get }
}
