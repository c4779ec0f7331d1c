import ArgumentParser

@main
struct Docket: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "docket",
        abstract: "Multi-tenant support-ticket server configured by industry packs.",
        version: version,
        subcommands: [Serve.self, Token.self, TenantCommand.self, PackCommand.self, MigrateCommand.self, SLACommand.self],
        defaultSubcommand: Serve.self)
}
