import ArgumentParser
import DocketAssembly

/// The settings of `Configuration.keys` on a command line: every command that opens the data
/// takes the keys of scope `store`, `docket serve` those of scope `server` too. They are read
/// from that one declaration (flag, key, variable, default, range, help), not declared here
/// again; the command's help lists them (`settingsHelp`).
struct StoreOptions: ParsableArguments {
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Settings: --<flag> <value> (listed above).", valueName: "settings"))
    var settings: [String] = []

    /// Refuses unknown flags while the command line is read (with the command's usage); whether a
    /// known one belongs to this command is decided by `flags(scopes:command:)`.
    func validate() throws {
        _ = try flags(scopes: [.store, .server], command: "docket")
    }

    /// The settings given, by key, for a command taking `scopes`; refuses unknown or foreign flags.
    func flags(scopes: [ConfigurationKey.Scope] = [.store], command: String) throws -> [String: String] {
        do {
            return try Configuration.flags(from: settings, scopes: scopes, command: command)
        } catch let error as SetupError {
            throw ValidationError(error.description)
        }
    }

    func configuration(scopes: [ConfigurationKey.Scope] = [.store], command: String) throws -> Configuration {
        try Configuration(flags: flags(scopes: scopes, command: command))
    }

    /// Opens the system for a command (shipped packs installed, one rules worker), runs `body`
    /// and closes the store whatever happens.
    func withSystem<T>(
        command: String,
        _ configure: (inout Configuration, inout AssemblyOptions) -> Void = { _, _ in },
        _ body: (DocketSystem) async throws -> T
    ) async throws -> T {
        var configuration = try configuration(command: command)
        var options = AssemblyOptions.command
        configure(&configuration, &options)
        return try await DocketSystem.open(configuration, options: options).use(body)
    }
}

/// The discussion part of a command's help: the settings it takes.
func settingsHelp(_ scopes: [ConfigurationKey.Scope] = [.store]) -> String {
    "Settings (command line, then environment, then default):\n" + Configuration.help(scopes: scopes)
}
