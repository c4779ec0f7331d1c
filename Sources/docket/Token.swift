import ArgumentParser
import DocketAssembly
import DocketCore
import Foundation

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a bearer token the server accepts.", discussion: settingsHelp())

    @Option(help: "Tenant id.")
    var tenant: String
    @Option(help: "platform, admin, agent or customer.")
    var role: String
    @Option(help: "Agent id (admin, agent) or customer id (customer).")
    var subject: String
    @Option(help: "Lifetime, e.g. 30m, 1h, 7d.")
    var ttl: String = "1h"
    @OptionGroup var store: StoreOptions

    func run() async throws {
        guard let role = Role(rawValue: role) else { throw ValidationError("--role must be platform, admin, supervisor, agent or customer") }
        guard let seconds = DurationText.parse(ttl) else { throw ValidationError("--ttl must be a duration such as 30m, 1h or 7d") }
        let authority = try await DocketSystem.tokenAuthority(try store.configuration(command: "token"))
        let token = try await authority.issue(Principal(tenantId: tenant, role: role, subject: subject), ttl: TimeInterval(seconds))
        print(token)
    }
}
