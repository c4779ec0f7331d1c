import ArgumentParser
import DocketAssembly

@main
struct Docket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docket",
        abstract: "Multi-tenant support-ticket server configured by industry packs.",
        version: DocketSystem.version,
        subcommands: [
            Serve.self, Token.self, TenantCommand.self, UserCommand.self, PackCommand.self, MigrateCommand.self, BackupCommand.self,
            RestoreCommand.self, WSCommand.self, ReportsCommand.self,
        ],
        defaultSubcommand: Serve.self)
}
