import ArgumentParser
import DocketCore
import DocketPacks
import DocketSQLite
import Foundation

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Manage tenants.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant from a pack (or refresh its pack defaults; overrides are kept).")

        @Option(help: "Tenant id (lowercase letters, digits, - or _).")
        var id: String
        @Option(help: "Pack id, a folder of the packs directory.")
        var pack: String = "luxfree-solar"
        @Option(help: "Display name (default: the pack's name).")
        var name: String?
        @Option(help: "Data directory (DOCKET_DATA_DIR; default ./data).")
        var dataDir: String?
        @Option(help: "Directory of industry packs (DOCKET_PACKS_DIR; default ./IndustryPacks).")
        var packsDir: String?

        func run() async throws {
            guard !id.isEmpty, id.count <= 64, id.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "_" }) else {
                throw ValidationError("--id must be 1-64 lowercase letters, digits, - or _")
            }
            let directory = DataDirectory(path: Setting.value(dataDir, env: "DOCKET_DATA_DIR", default: "./data"))
            try directory.prepare()
            let store = try SQLiteTicketStore(path: directory.databasePath)
            let loader = PackLoader(root: URL(fileURLWithPath: Setting.value(packsDir, env: "DOCKET_PACKS_DIR", default: "./IndustryPacks")))
            let manifest = try loader.load(pack)
            let (tenant, outcome) = try await TicketService(store: store).provisionTenant(id: id, name: name ?? manifest.name, pack: manifest)
            print("tenant \(tenant.id): \(outcome.rawValue) from pack \(manifest.id) \(manifest.version)")
        }
    }
}
