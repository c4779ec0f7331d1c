import ArgumentParser
import DocketAssembly

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server: on the embedded SQLite store, or on MongoDB with --mongo-uri. SIGTERM or SIGINT stops it gracefully.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let configuration = try store.configuration(server.flags)
        let options = DocketSystem.bootstrap(configuration)
        try await DocketSystem.open(configuration, options: options).run()
    }
}
