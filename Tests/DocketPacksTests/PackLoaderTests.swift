import DocketCore
import DocketPacks
import Foundation
import Testing

let packsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("IndustryPacks")

@Suite("Pack loading")
struct PackLoaderTests {
    @Test func loadsTheLuxfreeDefaults() throws {
        let pack = try PackLoader(root: packsRoot).load("luxfree-solar")
        #expect(pack.categories.map(\.id) == ["solar_installation", "light_malfunction", "maintenance", "electrical_issue", "billing", "other"])
        #expect(pack.categories[0].label == "Instalación Solar")
        #expect(pack.categories[0].labelEn == "Solar Installation")
        #expect(pack.categories[0].color == "#F59E0B")
        #expect(pack.terminology.ticketSingular == "reporte")
        #expect(pack.assistant.assistantName == "Lúmen")
        #expect(pack.ticketIdFormat.format(number: 1, year: 2026) == "LUX-2026-000001")
        #expect(pack.workflow.statuses.map(\.id) == ["new", "open", "in_progress", "pending_customer", "waiting_internal", "resolved", "closed"])
        #expect(pack.workflow.canTransition(from: "pending_customer", to: "in_progress"))
        #expect(pack.workflow.status("resolved")?.onCustomerReply == "open")
        #expect(pack.sla.target(for: .urgent) == SLATarget(firstResponseSeconds: 15 * 60, resolutionSeconds: 4 * 3600, nextReplySeconds: 30 * 60, allDay: true))
        #expect(pack.sla.target(for: .low) == SLATarget(firstResponseSeconds: 24 * 3600, resolutionSeconds: 7 * 86400, nextReplySeconds: 24 * 3600))
        #expect(PackLoader(root: packsRoot).availablePacks().contains("luxfree-solar"))
    }

    static func luxfreeText() throws -> String {
        try String(contentsOf: packsRoot.appendingPathComponent("luxfree-solar/pack.yaml"), encoding: .utf8)
    }

    static func problems(_ yaml: String) -> PackValidationError? {
        do {
            _ = try PackLoader.decode(Data(yaml.utf8), file: "IndustryPacks/test/pack.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func namesTheFileAndFieldOfAMissingField() throws {
        let yaml = try Self.luxfreeText().replacingOccurrences(of: "  ticketPlural: reportes\n", with: "")
        let error = try #require(Self.problems(yaml))
        #expect(error.file == "IndustryPacks/test/pack.yaml")
        #expect(error.problems.first?.field == "terminology.ticketPlural")
        #expect(error.description.contains("IndustryPacks/test/pack.yaml: terminology.ticketPlural: is required"))
    }

    @Test func namesABadDuration() throws {
        let yaml = try Self.luxfreeText().replacingOccurrences(of: "firstResponse: 15m", with: "firstResponse: soon")
        let error = try #require(Self.problems(yaml))
        #expect(error.problems.first?.field == "sla.targets.urgent.firstResponse")
    }

    @Test func namesBrokenReferences() throws {
        let yaml = try Self.luxfreeText()
            .replacingOccurrences(of: "transitions: [closed, open]", with: "transitions: [closed, limbo]")
            .replacingOccurrences(of: "defaultCategory: other", with: "defaultCategory: nothing")
            .replacingOccurrences(of: "America/Mexico_City", with: "Mars/Olympus")
        let error = try #require(Self.problems(yaml))
        let fields = error.problems.map(\.field)
        #expect(fields.contains("defaultCategory"))
        #expect(fields.contains("timeZone"))
        #expect(fields.contains("workflow.statuses[5].transitions"))
        #expect(fields.contains("workflow.statuses[5].onCustomerReply"))
    }

    @Test func reportsYAMLSyntaxErrors() {
        let error = Self.problems("id: [unclosed\nname: x")
        #expect(error?.problems.first?.field == "yaml")
        #expect(error?.problems.first?.message.contains("line") == true)
    }

    @Test func rejectsDuplicateCategories() throws {
        let yaml = try Self.luxfreeText().replacingOccurrences(of: "- id: billing", with: "- id: maintenance")
        let error = try #require(Self.problems(yaml))
        #expect(error.problems.contains { $0.field == "categories[4].id" && $0.message.contains("twice") })
    }
}
