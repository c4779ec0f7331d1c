import ArgumentParser
import DocketAssembly
import DocketCore
import DocketPacks
import DocketRules
import Foundation

struct PackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack", abstract: "Write, check and publish an industry pack: init, validate, test, simulate, push, pull (docket-load rules measures one).",
        subcommands: [Validate.self, Test.self, Simulate.self, Init.self, Push.self, Pull.self])

    struct Location: ParsableArguments {
        @Argument(help: "The pack's folder, e.g. IndustryPacks/luxfree-solar.")
        var directory: String

        var folder: URL { URL(fileURLWithPath: directory).standardizedFileURL }
        var loader: PackLoader { PackLoader(root: folder.deletingLastPathComponent()) }
        /// `rulesDir`; else `Rules/` next to the pack's folder of packs when there is one (a
        /// checkout); else nil, the standard library built into the binary.
        func rulesRoot(_ rulesDir: String?) -> URL? {
            if let rulesDir { return URL(fileURLWithPath: rulesDir) }
            return PackLoader.libraryFolder(folder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Rules"))
        }

        func inspector(_ rulesDir: String?) throws -> BundleInspector { try BundleInspector(rulesRoot: rulesRoot(rulesDir), limits: RuleLimits()) }

        /// The pack read and decoded; problems are printed as file:line (as the folder was
        /// named) and exit non-zero. Any folder will do: its name need not be the pack's id.
        func load() throws -> LoadedPack {
            do {
                let shown = directory.hasSuffix("/") ? directory : directory + "/"
                return try PackLoader.decode(try loader.bundle(folder.lastPathComponent), location: shown)
            } catch {
                error.problems.forEach { print($0) }
                throw ExitCode.failure
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the manifest, compile every Lua file in the sandbox, check the handlers and run the fixtures.")
        @OptionGroup var location: Location
        @Option(help: "Directory of the Rules/ standard library (default: Rules next to the packs folder, else the copy built into docket).")
        var rulesDir: String?

        func run() async throws {
            let loaded = try location.load()
            do {
                try await location.inspector(rulesDir).check(loaded)
            } catch let rejection as PackRejection {
                rejection.problems.forEach { print($0) }
                throw ExitCode.failure
            }
            print("\(loaded.manifest.id) \(loaded.manifest.version): valid (\(loaded.ruleSources.count) Lua files, \(loaded.fixtures.values.reduce(0) { $0 + $1.cases.count }) fixtures)")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the pack's fixtures (tests/*.yaml); failures print as file:line.")
        @OptionGroup var location: Location
        @Option(help: "Directory of the Rules/ standard library (default: Rules next to the packs folder, else the copy built into docket).")
        var rulesDir: String?

        func run() async throws {
            let loaded = try location.load()
            let failures = try await location.inspector(rulesDir).fixtureFailures(loaded)
            let total = loaded.fixtures.values.reduce(0) { $0 + $1.cases.count }
            failures.forEach { print($0) }
            print("\(total - failures.count) of \(total) fixtures passed")
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }

    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a tenant's latest recorded events through the pack in DIR and show what would change. Reads only.",
            discussion: settingsHelp())
        @OptionGroup var location: Location
        @Option(help: "Tenant whose events are replayed.")
        var tenant: String
        @Option(help: "How many of the latest events (1-500).")
        var limit: Int = 50
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let loaded = try location.load()
            let rulesDir = try store.flags(command: "pack simulate")["rules.libraryDir"]
            do {
                try await location.inspector(rulesDir).check(loaded)
            } catch let rejection as PackRejection {
                rejection.problems.forEach { print($0) }
                throw ExitCode.failure
            }
            var candidate = RulesSetup.rulePack(loaded)
            // The candidate runs under its own key so it never collides with a stored version.
            candidate.manifest.version += "+local"
            let (tenant, limit, rulesRoot) = (tenant, limit, location.rulesRoot(rulesDir))
            // Reads only: a data directory that is not there is a mistake, not one to create.
            let configuration = try store.configuration(command: "pack simulate")
            if case .sqlite = configuration.store, !FileManager.default.fileExists(atPath: configuration.databasePath) {
                throw ValidationError("no database at \(configuration.databasePath): point --data-dir at the server's data directory")
            }
            let report = try await store.withSystem(command: "pack simulate", { configuration, options in
                configuration.rulesDirectory = rulesRoot
                options.preloadedPacks = [candidate]
            }) { system in
                try await system.services.tenants.simulate(tenantId: tenant, candidate: candidate.manifest, limit: limit)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            print("tenant \(report.tenantId): \(report.events) events replayed, active \(report.activeVersion), candidate \(report.candidateVersion)")
            for result in report.results {
                let mark = result.changed ? "CHANGED" : "same   "
                print("\(mark) #\(result.seq) \(result.ticketId) \(result.event)")
                if result.changed {
                    print("        active:    \(result.active.joined(separator: ", "))")
                    print("        candidate: \(result.candidate.joined(separator: ", "))")
                }
                for error in result.candidateErrors { print("        error: \(error)") }
            }
            print("\(report.changed) of \(report.events) events would change")
        }
    }
}
