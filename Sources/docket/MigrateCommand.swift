import ArgumentParser
import DocketAssembly
import DocketCore
import Foundation

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Import data from earlier systems.", subcommands: [Conversations.self])

    struct Conversations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import the old 1-1 chat (sender_id, receiver_id, content, created_at, is_read) into conversations: one ticket per customer thread, its messages in order. Safe to re-run; a re-run continues where one stopped.",
            discussion: """
                The legacy collection is read from --from (the old application's MongoDB; the database is the URI's path), or,
                without it, from the Docket database of --mongo-uri. The tickets go to this Docket's store: --mongo-uri, or the
                embedded store in --data-dir.

                """ + settingsHelp())

        @OptionGroup var store: StoreOptions
        @Option(help: "The old chat's MongoDB, e.g. mongodb://127.0.0.1:27017/chat (default: the Docket database of --mongo-uri).")
        var from: String?
        @Option(help: "The legacy collection.")
        var collection: String = "conversations"
        @Option(help: "Tenant the tickets are created in (it must exist: start the server once, or POST /api/v2/tenants).")
        var tenant: String = "default"
        @Option(help: "Staff ids, comma-separated (the other party of each message is the customer).")
        var staffIds: String?
        @Option(help: "A file of staff ids, one per line (# comments allowed).")
        var staffFile: String?
        @Flag(help: "Read and report what would be created; write nothing.")
        var dryRun = false

        func staff() throws -> Set<String> {
            var ids = Set((staffIds ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            if let staffFile {
                guard let text = try? String(contentsOfFile: staffFile, encoding: .utf8) else {
                    throw ValidationError("cannot read --staff-file \(staffFile): no such readable UTF-8 file")
                }
                for line in text.split(whereSeparator: \.isNewline) {
                    let id = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
                    if !id.isEmpty { ids.insert(id) }
                }
            }
            guard !ids.isEmpty else { throw ValidationError("give the staff ids with --staff-ids or --staff-file") }
            return ids
        }

        func run() async throws {
            if from == nil, case .sqlite = try store.configuration(command: "migrate conversations").store {
                throw ValidationError("give the old chat's MongoDB with --from mongodb://host/database (or import into --mongo-uri, where the collection lives)")
            }
            let staff = try staff()
            let (collection, tenant, dryRun, from) = (collection, tenant, dryRun, from)
            try await store.withSystem(command: "migrate conversations", { _, options in options.installShippedPacks = false }) { system in
                guard let source = try system.legacyChatSource(uri: from, collection: collection) else {
                    throw ValidationError("the legacy import reads MongoDB: give --from")
                }
                let importer = LegacyChatImport(stores: system.stores)
                let started = ContinuousClock.now
                let (messages, unreadable) = try await source.readMessages(pageSize: 1_000)
                print("read \(messages.count) messages from \(source.name)\(dryRun ? " (dry run)" : "") into \(system.storeLocation)")
                var report = try await importer.run(tenantId: tenant, messages: messages, staffIds: staff, dryRun: dryRun) { done, total in
                    if done == total || done % 100 == 0 { print("threads: \(done)/\(total)") }
                }
                report.skipped = unreadable + report.skipped
                let reasons = Dictionary(grouping: report.skipped, by: \.reason).mapValues(\.count)
                for (reason, count) in reasons.sorted(by: { $0.key < $1.key }) { print("skipped \(count): \(reason)") }
                print(report.summary)
                let seconds = (ContinuousClock.now - started).inSeconds
                if !dryRun, report.messagesImported > 0 {
                    print(String(format: "%.1f s, %.0f messages/s", seconds, Double(report.messagesImported) / max(seconds, 0.001)))
                }
            }
        }
    }
}
