import ArgumentParser
import DocketAssembly
import DocketCore
import DocketPacks
import DocketRules
import DocketSQLite
import Foundation
import Logging

/// The data directory, packs and rules of a local installation, for commands that work on
/// the store directly (`tenant create`, `pack simulate`).
struct LocalInstallation: ParsableArguments {
    @Option(help: "Data directory (DOCKET_DATA_DIR; default ./data).")
    var dataDir: String?
    @Option(help: "Directory of industry packs (DOCKET_PACKS_DIR; default ./IndustryPacks).")
    var packsDir: String?
    var packsRoot: URL {
        URL(fileURLWithPath: Setting.value(packsDir, env: "DOCKET_PACKS_DIR", default: "./IndustryPacks")).standardizedFileURL
    }
    /// `Rules/` next to the packs directory unless DOCKET_RULES_DIR says otherwise.
    var defaultRulesRoot: URL {
        URL(fileURLWithPath: Setting.value(
            nil, env: "DOCKET_RULES_DIR", default: packsRoot.deletingLastPathComponent().appendingPathComponent("Rules").path))
    }

    /// Opens the store and installs the shipped packs, as `serve` does at start-up.
    func open(rulesRoot: URL? = nil, extraPacks: [RulePack] = []) async throws -> (TicketService, BundleInspector) {
        let rulesRoot = rulesRoot ?? defaultRulesRoot
        let directory = DataDirectory(path: Setting.value(dataDir, env: "DOCKET_DATA_DIR", default: "./data"))
        try directory.prepare()
        let store = try SQLiteTicketStore(path: directory.databasePath)
        let inspector = try BundleInspector(rulesRoot: rulesRoot, limits: RuleLimits())
        let engine = try LuaRuleEngine(
            packs: extraPacks, standardLibrary: inspector.library, limits: inspector.limits, workers: 1,
            source: { packId, version in try await store.packVersion(packId: packId, version: version).map(RulesSetup.rulePack) })
        let service = TicketService(store: store, rules: engine, packInspector: inspector)
        var logger = Logger(label: "docket")
        logger.logLevel = .warning
        try await RulesSetup.installShipped(PackLoader(root: packsRoot), service: service, required: nil, logger: logger)
        return (service, inspector)
    }
}

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Manage tenants.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant on a stored pack version (shipped packs are installed first). An existing tenant is left alone.")

        @Option(help: "Tenant id (lowercase letters, digits, - or _).")
        var id: String
        @Option(help: "Pack id.")
        var pack: String = "luxfree-solar"
        @Option(help: "Pack version (default: the newest stored; naming one pins it).")
        var version: String?
        @Option(help: "Display name (default: the pack's name).")
        var name: String?
        @OptionGroup var installation: LocalInstallation

        func run() async throws {
            guard !id.isEmpty, id.count <= 64, id.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "_" }) else {
                throw ValidationError("--id must be 1-64 lowercase letters, digits, - or _")
            }
            let (service, _) = try await installation.open()
            let (tenant, outcome) = try await service.provisionTenant(id: id, name: name, packId: pack, version: version)
            print("tenant \(tenant.id): \(outcome.rawValue), pack \(tenant.pack.id) \(tenant.pack.version)")
        }
    }
}
