import DocketCore
import DocketTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

@testable import DocketSQLite

/// The SQLite writer groups the writes that wait while a transaction runs into the next one,
/// each in its own savepoint: a failing write fails alone, and only committed writes run their
/// after-commit hooks, in commit order.
@Suite("SQLite group commit")
struct GroupCommitTests {
    struct Refused: Error {}
    final class Told: Sendable {
        let list = Mutex<[Int]>([])
    }

    @Test func aFailingWriteFailsAloneAndOnlyCommittedWritesAreTold() async throws {
        let store = try SQLiteTicketStore(path: try Scratch.directory("group").appendingPathComponent("docket.sqlite").path)
        try await store.write { db in try db.execute(sql: "CREATE TABLE probe (seq INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL)") }
        let told = Told()
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for n in 0..<300 {
                group.addTask {
                    do {
                        try await store.write { db in
                            try db.execute(sql: "INSERT INTO probe (n) VALUES (?)", arguments: [n])
                            CommitHooks.afterCommit(db) { told.list.withLock { $0.append(n) } }
                            if n % 3 == 0 { throw Refused() }
                        }
                        return (n, true)
                    } catch is Refused {
                        return (n, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        let committed = try await store.read { db in try Int.fetchAll(db, sql: "SELECT n FROM probe ORDER BY seq") }
        #expect(Set(committed) == Set((0..<300).filter { $0 % 3 != 0 }), "every write that did not fail is stored, no failed one")
        #expect(outcomes.filter(\.value).map(\.key).sorted() == committed.sorted(), "each caller was told its own outcome")
        #expect(told.list.withLock { $0 } == committed, "hooks ran for committed writes only, in commit order")
        let counts = store.writer.counts
        #expect(counts.writes == 301)
        #expect(counts.transactions < counts.writes, "concurrent writes shared transactions")
        print("group commit: \(counts.writes) writes in \(counts.transactions) transactions")
        try store.close()
    }
}
