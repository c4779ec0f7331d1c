import DocketCore
import DocketMail
import DocketWire
import DocketMemory
import DocketPacks
import DocketTestSupport
import Foundation
import Testing

/// Rules that take a while (as real Lua evaluations on a busy worker do): every note runs one.
struct SlowNoteRules: RuleEngine {
    func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome] {
        guard event.type == .noteAdded, !skipping.contains("slow") else { return [] }
        try? await Task.sleep(for: .milliseconds(3))
        return [RuleOutcome(rule: "slow", actions: [.addTag("noted")], error: nil, durationMicros: 3000)]
    }

    func prepare(packId: String, version: String) async throws {}
}

/// Checks bundles the way the composition root does, minus Lua: the manifest must decode.
struct ManifestInspector: PackInspector {
    func inspect(_ bundle: PackBundle) async throws -> PackManifest {
        try PackLoader.decode(bundle, location: "").manifest
    }

    func report(_ bundle: PackBundle) async -> PackCheckReport {
        do {
            let manifest = try await inspect(bundle)
            return PackCheckReport(valid: true, id: manifest.id, version: manifest.version, problems: [], cases: [])
        } catch let rejection as PackRejection {
            return PackCheckReport(valid: false, id: nil, version: nil, problems: rejection.problems, cases: [])
        } catch {
            return PackCheckReport(valid: false, id: nil, version: nil, problems: [PackProblem(file: "pack.yaml", "\(error)")], cases: [])
        }
    }
}

/// `TicketService` on a fresh store of one kind with the LUXFREE pack: the service-level
/// promises run on every store adapter, as the store contract does.
struct Desk {
    let services: DocketServices
    let store: any TicketStore
    let clock = ManualClock(Date(timeIntervalSince1970: 1_795_017_600))  // a Wednesday, 10:00 in Mexico City

    static let admin = Principal(tenantId: "t", role: .admin, subject: "boss")
    static let customer = Principal(tenantId: "t", role: .customer, subject: "c1")
    static func agent(_ id: String) -> Principal { Principal(tenantId: "t", role: .agent, subject: id) }

    /// `agents` are online (a live session of each is open) unless `online` is false.
    init(
        _ kind: StoreKind, rules: [RuleEventType: [RuleAction]] = [:], agents: [String] = ["ana", "bea"], capacity: Int = 10, online: Bool = true,
        mailTemplates: [String: MailTemplate]? = nil, fileQuotaBytes: Int = ServiceCore.defaultFileQuotaBytes
    ) async throws {
        store = try await kind.make()
        services = DocketServices(
            store: store, wire: DocketWireFormat(), clock: clock, tenantCacheSeconds: 0, rules: ScriptedRules(actions: rules), packInspector: ManifestInspector(),
            dkimKeys: DKIMSigner(), mailReader: LenientMailReader(), fileQuotaBytes: fileQuotaBytes)
        var pack = try PackLoader(root: packsRoot).load("luxfree-solar")
        if let mailTemplates { pack.mailTemplates = mailTemplates }
        _ = try await services.tenants.provisionTenant(id: "t", name: "T", pack: pack)
        _ = try await services.tenants.createCustomer(Self.admin, NewCustomer(id: "c1", phoneNumber: "+52 55 1234 5678", firstName: "Luz"))
        for id in agents {
            _ = try await services.tenants.createAgent(Self.admin, NewAgent(id: id, name: id.capitalized, capacity: capacity))
            if online { await services.presence.hold(Self.agent(id), session: "desk-\(id)") }
        }
    }

    func open(_ subject: String = "Luminaria apagada", priority: Priority? = nil) async throws -> Ticket {
        try await services.tickets.createTicket(
            Self.customer, NewTicket(subject: subject, description: "No enciende desde anoche", category: "light_malfunction", priority: priority))
    }
}
