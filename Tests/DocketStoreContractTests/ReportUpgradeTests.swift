import DocketCore
import DocketTestSupport
import Foundation
import GRDB
import Testing

@testable import DocketMongo
@testable import DocketSQLite

/// After an upgrade that adds figures, a tenant whose tickets came before has figures that lack
/// their part: it is marked stale (SQLite by its migration, MongoDB when a store opens a
/// database whose figures are older), `stats/summary` counts its tickets meanwhile, and
/// `docket reports rebuild` clears the mark.
@Suite("Report figures after an upgrade")
struct ReportUpgradeTests {
    @Test(arguments: StoreKind.available.filter { $0 != .memory })
    func aTenantFromBeforeTheUpgradeIsCountedFromItsTicketsUntilRebuilt(kind: StoreKind) async throws {
        let clock = ManualClock(ReportContractTests.start)
        let (services, store) = try await ReportContractTests.desk(kind, zone: "Europe/Madrid", clock: clock)
        _ = try await ReportContractTests.drive(services, clock: clock, seed: 3, steps: 40)
        let tickets = try await ReportContractTests.all(store)
        let admin = ReportContractTests.admin
        #expect(try await services.reports.statistics(admin, StatsFilter()).total == tickets.count)
        // As the upgrade finds it: no figures of these tickets (an older version counted none).
        try await store.replaceReports(tenantId: "t", with: .empty)
        #expect(try await services.reports.statistics(admin, StatsFilter()).total == 0, "a fresh tenant's summary comes from its figures")
        if let sqlite = store as? SQLiteTicketStore {
            // What migration v23 does to a database that has tickets.
            try await sqlite.write { db in try db.execute(sql: "INSERT INTO report_stale SELECT DISTINCT tenant_id FROM tickets") }
        } else if let mongo = store as? MongoTicketStore {
            // A database from before: no figures version. Opening it marks the tenant.
            try await mongo.job { job in _ = try job.collection(MongoTicketStore.ReportCollections.state).deleteMany([:]) }
            _ = try await MongoTicketStore.open(mongo.connection, database: mongo.database)
        }
        #expect(try await store.reportsStale(tenantId: "t"))
        let counted = try await services.reports.statistics(admin, StatsFilter())
        #expect(counted.total == tickets.count, "counted from the tickets while stale")
        #expect(try await services.reports.rebuild(tenantId: "t") == tickets.count)
        #expect(!(try await store.reportsStale(tenantId: "t")))
        let rebuilt = try await services.reports.statistics(admin, StatsFilter())
        #expect(rebuilt.total == counted.total && rebuilt.byStatus == counted.byStatus && rebuilt.byPriority == counted.byPriority)
        #expect(rebuilt.agents.map(\.assigned) == counted.agents.map(\.assigned), "the rebuilt figures say the same")
    }
}
