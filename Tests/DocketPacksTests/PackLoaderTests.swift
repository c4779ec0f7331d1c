import DocketCore
import DocketPacks
import DocketTestSupport
import Foundation
import Testing


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

    /// Mail templates are read from the pack and checked: a name, a one-line subject, a text,
    /// and only the placeholders Docket fills in.
    @Test func readsMailTemplatesAndNamesAnUnknownPlaceholder() throws {
        let good = try Self.luxfreeText() + """

            mailTemplates:
              recibido:
                subject: "Recibimos tu reporte {{ticket.id}}"
                text: |
                  Hola {{ customer.name }}:
                  tu reporte sigue abierto.
            """
        let pack = try PackLoader.decode(Data(good.utf8), file: "IndustryPacks/test/pack.yaml")
        let template = try #require(pack.mailTemplates?["recibido"])
        #expect(MailTemplate.render(template.text, ["customer.name": "Ana\nPérez"], oneLine: true) == "Hola Ana Pérez:\ntu reporte sigue abierto.")
        #expect(MailTemplate.render(template.text, ["customer.name": "Ana\nPérez"]) == "Hola Ana\nPérez:\ntu reporte sigue abierto.")
        #expect(MailTemplate.render("{{ticket.id}} {{ sin cierre", ["ticket.id": "L-1"]) == "L-1 {{ sin cierre", "an opening without its closing stays text")
        let bad = try Self.luxfreeText() + """

            mailTemplates:
              Mal Nombre:
                subject: "Hola {{ticket.secret}}"
                text: ""
            """
        let error = try #require(Self.problems(bad))
        let fields = error.problems.map(\.field)
        #expect(fields.contains("mailTemplates.Mal Nombre"))
        #expect(fields.contains("mailTemplates.Mal Nombre.text"))
        #expect(error.problems.contains { $0.field == "mailTemplates.Mal Nombre.subject" && $0.message.contains("'{{ticket.secret}}' is not a placeholder") })
    }

    /// The reserved names word Docket's own mails, each with its own placeholders: the
    /// reply's `{{message.text}}` is refused in a rule's template, a password link's
    /// `{{link.url}}` in a reply, and a template's HTML is checked like its text.
    @Test func reservedTemplatesHaveTheirOwnPlaceholders() throws {
        let good = try Self.luxfreeText() + """

            mailTemplates:
              reply:
                subject: "Re: {{ticket.subject}}"
                text: "{{message.text}}\n\n{{message.author}}\n{{quoted}}"
                html: "<div>{{message.text}}</div>{{quoted}}"
              sla_warning: { subject: "Por vencer {{ticket.id}}", text: "{{sla.target}} vence {{sla.due}}" }
              invitation: { subject: "Hola {{agent.name}}", text: "{{link.url}} hasta {{link.expires}}" }
            """
        let pack = try PackLoader.decode(Data(good.utf8), file: "IndustryPacks/test/pack.yaml")
        #expect(pack.mailTemplates?["reply"]?.html == "<div>{{message.text}}</div>{{quoted}}")
        let bad = try Self.luxfreeText() + """

            mailTemplates:
              seguimiento: { subject: "Sigue {{ticket.id}}", text: "{{message.text}}" }
              reply: { subject: "Re", text: "{{link.url}}", html: "<p>{{sla.due}}</p>" }
              invitation: { subject: "{{ticket.id}}", text: "{{link.url}}", html: "" }
            """
        let error = try #require(Self.problems(bad))
        #expect(error.problems.contains { $0.field == "mailTemplates.seguimiento.text" && $0.message.contains("'{{message.text}}' is not a placeholder (") })
        #expect(error.problems.contains { $0.field == "mailTemplates.reply.text" && $0.message.contains("'{{link.url}}' is not a placeholder of 'reply'") })
        #expect(error.problems.contains { $0.field == "mailTemplates.reply.html" && $0.message.contains("'{{sla.due}}'") })
        #expect(error.problems.contains { $0.field == "mailTemplates.invitation.subject" && $0.message.contains("'{{ticket.id}}' is not a placeholder of 'invitation'") })
        #expect(error.problems.contains { $0.field == "mailTemplates.invitation.html" && $0.message.contains("1 to 20000 characters") })
    }

    @Test func rejectsDuplicateCategories() throws {
        let yaml = try Self.luxfreeText().replacingOccurrences(of: "- id: billing", with: "- id: maintenance")
        let error = try #require(Self.problems(yaml))
        #expect(error.problems.contains { $0.field == "categories[4].id" && $0.message.contains("twice") })
    }
}

@Suite("Strict pack keys")
struct StrictPackKeyTests {
    @Test func anUnknownKeyAnywhereNamesItsLineAndTheNearestKnownKey() throws {
        let yaml = try PackLoaderTests.luxfreeText()
            .replacingOccurrences(of: "\nqueues:\n", with: "\nqueus:\n")
            .replacingOccurrences(of: "  pauseStatuses: [pending_customer]", with: "  pauseStatus: [pending_customer]")
        let error = try #require(PackLoaderTests.problems(yaml))
        let messages = error.problems.map(\.message)
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        let queus = try #require(lines.firstIndex { $0 == "queus:" }) + 1
        let pause = try #require(lines.firstIndex { $0.contains("pauseStatus:") }) + 1
        #expect(messages.contains("line \(queus): queus: unknown key; did you mean 'queues'?"), "\(messages)")
        #expect(messages.contains("line \(pause): sla.pauseStatus: unknown key; did you mean 'pauseStatuses'?"), "\(messages)")
        // As `docket pack validate` and an upload show it: file:line: message.
        let bundle = PackBundle(files: ["pack.yaml": yaml])
        do {
            _ = try PackLoader.decode(bundle, location: "mine/")
            Issue.record("a pack with unknown keys loaded")
        } catch {
            #expect(error.problems.map(\.description).contains("mine/pack.yaml:\(queus): queus: unknown key; did you mean 'queues'?"))
        }
    }

    /// The trap that hid in three shipped packs: an unquoted comma inside a flow mapping makes
    /// the rest of the text a key of its own, and the description was silently cut short.
    @Test func aCommaInAnUnquotedFlowValueIsCaught() throws {
        var yaml = try PackLoaderTests.luxfreeText()
        let categories = try #require(yaml.range(of: "  - id: billing\n"))
        yaml.replaceSubrange(categories, with: "  - { id: refunds, label: Refunds, description: Charges, refunds and gift cards }\n  - id: billing\n")
        let error = try #require(PackLoaderTests.problems(yaml))
        #expect(error.problems.contains { $0.message.contains("refunds and gift cards: unknown key; known here: 'active'") })
    }

    @Test func aFixtureFileWithAnUnknownKeyIsRefusedAtItsLine() throws {
        var bundle = try PackLoader(root: packsRoot).bundle("luxfree-solar")
        let fixtures = try #require(bundle.files["tests/triage.yaml"])
        bundle.files["tests/triage.yaml"] = fixtures.replacingOccurrences(of: "    expect:\n", with: "    expct:\n")
        do {
            _ = try PackLoader.decode(bundle, location: "IndustryPacks/luxfree-solar/")
            Issue.record("a fixture file with unknown keys loaded")
        } catch {
            let problem = try #require(error.problems.first { $0.file.hasSuffix("tests/triage.yaml") }, "\(error.problems)")
            #expect(problem.message.contains("cases[0].expect: is required; 'expct' (line"), "\(problem)")
            #expect(problem.message.contains("looks like a misspelling of it"), "\(problem)")
            #expect(problem.line != nil)
        }
    }

    @Test func everyShippedPackAndFixtureHasOnlyKnownKeys() throws {
        let loader = PackLoader(root: packsRoot)
        for pack in loader.availablePacks() {
            _ = try loader.loadAll(pack)
        }
        #expect(loader.availablePacks().count >= 4)
    }
}

@Suite("The standard library and shipped packs built into the binary")
struct BuiltInFilesTests {
    static func folder(_ name: String, suffixes: Set<String>) throws -> [String: String] {
        let root = packsRoot.deletingLastPathComponent().appendingPathComponent(name)
        var files: [String: String] = [:]
        let walker = try #require(FileManager.default.enumerator(atPath: root.path))
        while let path = walker.nextObject() as? String {
            guard let dot = path.lastIndex(of: "."), suffixes.contains(String(path[dot...])) else { continue }
            files[path] = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        }
        return files
    }

    /// The built-in copy is generated by scripts/embed-library.sh; this fails until it is run
    /// after a change to Rules/ or IndustryPacks/.
    @Test func theBuiltInCopyIsTheFolders() throws {
        let (rules, packs) = PackLoader.builtInFiles
        #expect(rules == (try Self.folder("Rules", suffixes: [".lua", ".md"])), "run scripts/embed-library.sh")
        #expect(packs == (try Self.folder("IndustryPacks", suffixes: [".lua", ".md", ".yaml", ".ics"])), "run scripts/embed-library.sh")
        let library = try PackLoader.standardLibrary(rulesRoot: nil)
        #expect(library.map(\.name) == ["docket.actions", "docket.hours", "docket.routing", "docket.text"])
        #expect(PackLoader.builtInPacks == PackLoader(root: packsRoot).availablePacks())
    }
}
