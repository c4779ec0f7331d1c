import DocketCore
import DocketWire
import DocketPacks
import DocketTestSupport
import Foundation
import Testing

/// The randomized chat drive (`ChatHarness`) on every store: many clients at once, every
/// promise checked afterwards. CI runs a bounded drive; `DOCKET_HARNESS_OPERATIONS` makes it
/// longer (e.g. 2000 per client before a release) and `DOCKET_HARNESS_SEED` replays a seed.
@Suite("Chat under concurrency (randomized)")
struct ChatHarnessTests {
    static let packs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("IndustryPacks")

    static var operations: Int { ProcessInfo.processInfo.environment["DOCKET_HARNESS_OPERATIONS"].flatMap(Int.init) ?? 60 }

    @Test(arguments: StoreKind.available)
    func everyPromiseHoldsAfterARandomDrive(kind: StoreKind) async throws {
        let store = try await kind.make()
        let services = DocketServices(store: store, wire: DocketWireFormat(), tenantCacheSeconds: 0)
        let harness = try await ChatHarness.prepare(services, pack: try PackLoader(root: Self.packs).load("luxfree-solar"))
        // The stand-in is a Python server: fewer operations there keep CI's run short.
        let operations = kind == .mongo ? max(15, Self.operations / 4) : Self.operations
        let seed = ChatHarness.seed
        print("chat harness on \(kind): seed \(seed) (DOCKET_HARNESS_SEED=\(seed) replays its choices)")
        let report = try await harness.run(seed: seed, clients: 12, operations: operations)
        print("chat harness on \(kind): \(report)")
        #expect(report.violations.isEmpty, "\(report) — \(report.violations.prefix(20))")
        #expect(report.checks >= 20, "the drive left too little to check")
    }
}
