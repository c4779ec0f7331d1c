import Foundation

/// Checks a bundle completely: manifest, Lua compilation in the sandbox, handlers, fixtures.
/// The composition root implements it with the pack reader and the rules engine.
public protocol PackInspector: Sendable {
    /// The manifest of a valid bundle; throws `PackRejection` naming every file:line at fault.
    func inspect(_ bundle: PackBundle) async throws -> PackManifest
    /// Every problem and every fixture case of a bundle, for an author at work; never throws for
    /// a bad pack (that is what the report says).
    func report(_ bundle: PackBundle) async -> PackCheckReport
}
