import ArgumentParser
import DocketAssembly
import DocketCore

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Manage tenants.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant on a stored pack version (shipped packs are installed first), on SQLite or MongoDB (--mongo-uri). An existing tenant is left alone.",
            discussion: settingsHelp())

        @Option(help: "Tenant id (lowercase letters, digits, - or _).")
        var id: String
        @Option(help: "Pack id.")
        var pack: String = "luxfree-solar"
        @Option(help: "Pack version (default: the newest stored; naming one pins it).")
        var version: String?
        @Option(help: "Display name (default: the pack's name).")
        var name: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard !id.isEmpty, id.count <= 64, id.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "_" }) else {
                throw ValidationError("--id must be 1-64 lowercase letters, digits, - or _")
            }
            let (tenant, outcome) = try await store.withSystem(command: "tenant create") { system in
                try await system.services.tenants.provisionTenant(id: id, name: name, packId: pack, version: version)
            }
            print("tenant \(tenant.id): \(outcome.rawValue), pack \(tenant.pack.id) \(tenant.pack.version)")
        }
    }
}
