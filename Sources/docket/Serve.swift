import ArgumentParser
import DocketAssembly
import Foundation

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server: on the embedded SQLite store, or on MongoDB with --mongo-uri. SIGTERM or SIGINT stops it gracefully.",
        discussion: settingsHelp([.store, .server]))

    @Flag(help: "Print every setting's value and where it came from (flag, variable or default), then exit without serving.")
    var checkConfig = false
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let flags = try store.flags(scopes: [.store, .server], command: "serve")
        let configuration = try Configuration(flags: flags)
        if checkConfig {
            for (key, value, from) in Configuration.resolved(flags: flags, environment: ProcessInfo.processInfo.environment) {
                print("\(key.name) = \(value ?? "—")  (\(from))")
            }
            return
        }
        let options = DocketSystem.bootstrap(configuration)
        try await DocketSystem.open(configuration, options: options).run()
    }
}
