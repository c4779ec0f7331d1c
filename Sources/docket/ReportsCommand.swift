import ArgumentParser
import DocketAssembly
import DocketCore
import Foundation

struct ReportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports", abstract: "Maintain the kept report figures.", subcommands: [Rebuild.self])

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the report figures of a tenant (or of every tenant) from its tickets and replace the kept ones.",
            discussion: """
                Changes keep the figures as they happen; rebuild them after an upgrade that adds figures, after a restore, or \
                after changing a tenant's time zone (hours and days are kept in the zone in force when they were written). \
                On SQLite the replacement is one transaction. On MongoDB the old figures are deleted and the new ones written \
                apart: run it while the tenant's tickets are not changing.

                """ + settingsHelp())

        @Option(help: "Tenant id (default: every tenant).")
        var tenant: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let lines = try await store.withSystem(command: "reports rebuild") { system -> [String] in
                var ids: [String] = []
                if let tenant {
                    ids = [tenant]
                } else {
                    var page = 1
                    while true {
                        let listed = try await system.stores.tenants.listTenants(page: page, limit: 100)
                        ids += listed.items.map(\.id)
                        if listed.items.count < 100 { break }
                        page += 1
                    }
                }
                var lines: [String] = []
                for id in ids {
                    let started = Date()
                    let tickets = try await system.services.reports.rebuild(tenantId: id)
                    lines.append(String(format: "tenant %@: figures rebuilt from %d tickets in %.1f s", id, tickets, Date().timeIntervalSince(started)))
                }
                return lines
            }
            for line in lines { print(line) }
        }
    }
}
