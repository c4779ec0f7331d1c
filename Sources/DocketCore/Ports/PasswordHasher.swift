import Foundation

/// bcrypt or a stand-in. Hashing is slow on purpose: implementations run it off the event
/// loops and the cooperative pool.
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) async throws -> String
    func verify(_ password: String, hash: String) async throws -> Bool
    /// A valid hash of a password nobody knows: checked when there is no account, so a miss
    /// costs as much as a wrong password.
    var decoyHash: String { get }
}
