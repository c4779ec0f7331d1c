import DocketCore
import DocketPacks
import DocketRules
import Foundation
import Logging

/// Builds the rules engine (loading pack versions from the store on first use) and installs
/// the shipped packs as stored versions.
public enum RulesSetup {
    public static func rulePack(_ loaded: LoadedPack) -> RulePack {
        RulePack(manifest: loaded.manifest, sources: loaded.ruleSources, location: loaded.location)
    }

    /// A stored version as the engine runs it; chunk names read `luxfree-solar@1.1.0/rules/triage.lua`.
    public static func rulePack(_ stored: PackVersion) -> RulePack {
        RulePack(manifest: stored.manifest, sources: stored.bundle.ruleSources, location: "\(stored.summary.key)/")
    }

    /// Stores every pack of the packs folder that passes validation as a shipped version (once
    /// per version), then moves unpinned tenants to newer shipped versions. `required` must pass.
    /// Without a folder (`loader` nil), the packs built into the binary.
    public static func installShipped(_ loader: PackLoader?, tenants: TenantService, required: String?, logger: Logger) async throws {
        if loader == nil { logger.notice("no packs folder: the packs built into docket are shipped", metadata: ["packs": "\(PackLoader.builtInPacks)"]) }
        for packId in loader?.availablePacks() ?? PackLoader.builtInPacks {
            let location = "\(loader?.root.lastPathComponent ?? "IndustryPacks (built in)")/\(packId)/"
            do {
                let bundle: PackBundle
                if let loader {
                    bundle = try loader.bundle(packId)
                    _ = try loader.loadAll(packId)  // the folder name must match the id
                } else {
                    bundle = try PackLoader.builtInPack(packId) ?? { throw SetupError("pack \(packId) is not built in") }()
                }
                let (summary, outcome) = try await tenants.installShippedPack(bundle)
                var metadata: Logger.Metadata = [
                    "pack.id": "\(summary.packId)", "pack.version": "\(summary.version)", "outcome": "\(outcome.rawValue)",
                    "rules": "\(summary.ruleFiles)", "fixtures.files": "\(summary.fixtureFiles)",
                ]
                if outcome == .differs {
                    metadata["hint"] = "the folder changed without a new version; the stored version is kept - raise 'version'"
                    logger.warning("shipped pack differs from its stored version", metadata: metadata)
                } else {
                    logger.info("shipped pack", metadata: metadata)
                }
            } catch {
                let text = (error as? PackRejection).map {
                    $0.problems.map { PackProblem(file: $0.file.hasPrefix(location) ? $0.file : location + $0.file, line: $0.line, $0.message).description }
                        .joined(separator: "\n")
                } ?? "\(error)"
                if packId == required { throw SetupError("pack \(packId) cannot be used:\n\(text)") }
                logger.error("shipped pack left out", metadata: ["pack.id": "\(packId)", "error": "\(text)"])
            }
        }
        for move in try await tenants.upgradeShippedTenants() {
            logger.notice("tenant upgraded to a newer shipped pack", metadata: [
                "tenant.id": "\(move.tenant)", "from": "\(move.from)", "to": "\(move.to)",
            ])
        }
    }
}
