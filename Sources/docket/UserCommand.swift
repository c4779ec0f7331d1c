import ArgumentParser
import DocketAssembly
import DocketCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the people who sign in to the console.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a tenant's admin or agent a console password (the agent record is made if the e-mail has none). The password is read from stdin, or asked for on a terminal. Ends the person's open sessions.",
            discussion: settingsHelp())

        @Option(help: "Tenant id (it must exist; the default tenant is made by the first `docket serve`).")
        var tenant: String
        @Option(help: "E-mail address the person signs in with.")
        var email: String
        @Option(help: "admin, supervisor (an agent who sees the team's reports), agent, or platform (the operator: every workspace; only this command makes one).")
        var role: String = "agent"
        @Option(help: "Display name (default: the e-mail's local part).")
        var name: String?
        @Option(help: "Agent id for a new agent record (default: from the e-mail's local part).")
        var agentId: String?
        @Option(help: "bcrypt cost, 4-16 (auth.bcryptCost, DOCKET_BCRYPT_COST; default 12).")
        var bcryptCost: Int?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let role = Role(rawValue: role), [.admin, .supervisor, .agent, .platform].contains(role) else {
                throw ValidationError("--role must be admin, supervisor, agent or platform")
            }
            guard email.contains("@") else { throw ValidationError("--email must be an e-mail address") }
            let password = try Self.readPassword()
            var flags = try store.flags(command: "user create")
            flags["auth.bcryptCost"] = bcryptCost.map(String.init)
            let configuration = try Configuration(flags: flags)
            let account = try await DocketSystem.open(configuration, options: .command).use { system in
                guard try await system.stores.tenants.tenant(id: tenant) != nil else {
                    throw ValidationError("no tenant '\(tenant)': start the server once (it makes 'default') or run `docket tenant create`")
                }
                return try await system.accounts.createUser(
                    tenantId: tenant, email: email, name: name, role: role, agentId: agentId, password: password)
            }
            print("user \(account.email) of tenant \(account.tenantId): \(account.role.rawValue), agent '\(account.agentId)', password set")
        }

        /// One line from stdin, or a prompt without echo on a terminal.
        static func readPassword() throws -> String {
            if isatty(STDIN_FILENO) == 1 {
                guard let first = getpass("Password: ").map({ String(cString: $0) }), let second = getpass("Again: ").map({ String(cString: $0) })
                else { throw ValidationError("no password given") }
                guard first == second else { throw ValidationError("the two passwords differ") }
                return first
            }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("give the password on stdin (one line), e.g. printf '%s\\n' \"$PASSWORD\" | docket user create ...")
            }
            return line
        }
    }
}
