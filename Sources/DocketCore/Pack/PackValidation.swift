import Foundation

/// One thing wrong with a field of a document.
public struct FieldProblem: Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// A pack that cannot be used, with every problem found and the file it came from.
public struct PackValidationError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [FieldProblem]

    public init(file: String, problems: [FieldProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        problems.map { "\(file): \($0.field): \($0.message)" }.joined(separator: "\n")
    }
}

extension PackManifest {
    /// Checks what decoding cannot: references between fields, formats and limits.
    public func validate(file: String) throws(PackValidationError) {
        var problems: [FieldProblem] = []
        if !Identifier.isValid(id) { problems.append(.init("id", "must be lowercase letters, digits, - or _")) }
        if version.isEmpty { problems.append(.init("version", "must not be empty")) }
        if TimeZone(identifier: timeZone) == nil {
            problems.append(.init("timeZone", "'\(timeZone)' is not an IANA time zone"))
        }
        problems += Self.categoryProblems(categories, fieldPrefix: "categories")
        if !categories.contains(where: { $0.id == defaultCategory }) {
            problems.append(.init("defaultCategory", "'\(defaultCategory)' is not one of the categories"))
        }
        problems += ticketIdFormat.problems(fieldPrefix: "ticketIdFormat.")
        problems += workflow.problems()
        for priority in Priority.allCases where sla.targets[priority.rawValue] == nil {
            problems.append(.init("sla.targets.\(priority.rawValue)", "is missing"))
        }
        for key in sla.targets.keys where Priority(rawValue: key) == nil {
            problems.append(.init("sla.targets.\(key)", "is not a priority (low, medium, high, urgent)"))
        }
        if let calendar = sla.calendar { problems += calendar.problems(field: "sla.calendar") }
        if let warning = sla.warning, !(1...99).contains(warning.percent) || warning.minutesBefore < 0 {
            problems.append(.init("sla.warning", "percent must be 1-99 and minutesBefore 0 or more"))
        }
        for status in sla.pauseStatuses ?? [] where workflow.status(status) == nil {
            problems.append(.init("sla.pauseStatuses", "'\(status)' is not a status of the workflow"))
        }
        for (index, named) in (sla.policies ?? []).enumerated() {
            if !Identifier.isValid(named.name) { problems.append(.init("sla.policies[\(index)].name", "must be lowercase letters, digits, - or _")) }
            for key in named.targets.keys where Priority(rawValue: key) == nil {
                problems.append(.init("sla.policies[\(index)].targets.\(key)", "is not a priority"))
            }
        }
        for (key, target) in sla.targets where target.resolutionSeconds < target.firstResponseSeconds {
            problems.append(.init("sla.targets.\(key).resolution", "must not be shorter than firstResponse"))
        }
        var queueIds = Set<String>()
        for (index, queue) in (queues ?? []).enumerated() {
            if !Identifier.isValid(queue.id) { problems.append(.init("queues[\(index)].id", "'\(queue.id)' must be lowercase letters, digits, - or _")) }
            if !queueIds.insert(queue.id).inserted { problems.append(.init("queues[\(index)].id", "'\(queue.id)' appears twice")) }
        }
        for (index, rule) in (rules ?? []).enumerated() {
            if !rule.file.hasPrefix("rules/") || !rule.file.hasSuffix(".lua") || rule.file.contains("..") {
                problems.append(.init("rules[\(index)].file", "'\(rule.file)' must be a rules/*.lua file of the pack"))
            }
            if rule.events.isEmpty { problems.append(.init("rules[\(index)].events", "must list at least one event")) }
            for event in rule.events where RuleEventType(rawValue: event) == nil {
                problems.append(.init(
                    "rules[\(index)].events", "'\(event)' is not an event (\(RuleEventType.allCases.map(\.rawValue).joined(separator: ", ")))"))
            }
        }
        problems += MailTemplate.problems(mailTemplates ?? [:])
        if !problems.isEmpty { throw PackValidationError(file: file, problems: problems) }
    }

    /// Problems with a list of categories (also used when an admin replaces them).
    public static func categoryProblems(_ categories: [TicketCategory], fieldPrefix: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if categories.isEmpty { problems.append(.init(fieldPrefix, "must not be empty")) }
        if categories.count > 200 { problems.append(.init(fieldPrefix, "at most 200 categories")) }
        var seen = Set<String>()
        for (index, category) in categories.enumerated() {
            let field = "\(fieldPrefix)[\(index)]"
            if !Identifier.isValid(category.id) {
                problems.append(.init("\(field).id", "'\(category.id)' must be lowercase letters, digits, - or _"))
            }
            if !seen.insert(category.id).inserted {
                problems.append(.init("\(field).id", "'\(category.id)' appears twice"))
            }
            if category.label.trimmingCharacters(in: .whitespaces).isEmpty || category.label.count > 100 {
                problems.append(.init("\(field).label", "must be 1-100 characters"))
            }
            if let color = category.color, !Self.isHexColor(color) {
                problems.append(.init("\(field).color", "'\(color)' must look like #RRGGBB"))
            }
        }
        return problems
    }

    static func isHexColor(_ text: String) -> Bool {
        text.count == 7 && text.first == "#" && text.dropFirst().allSatisfy { $0.isHexDigit }
    }
}

extension Workflow {
    func problems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let ids = Set(statuses.map(\.id))
        if ids.count != statuses.count { problems.append(.init("workflow.statuses", "status ids must be unique")) }
        for (field, value) in [("initial", initial), ("firstResponse", firstResponse), ("resolved", resolved), ("closed", closed)]
        where !ids.contains(value) {
            problems.append(.init("workflow.\(field)", "'\(value)' is not one of the statuses"))
        }
        if let onAssign, !ids.contains(onAssign) {
            problems.append(.init("workflow.onAssign", "'\(onAssign)' is not one of the statuses"))
        }
        for (index, status) in statuses.enumerated() {
            if !Identifier.isValid(status.id) {
                problems.append(.init("workflow.statuses[\(index)].id", "'\(status.id)' must be lowercase letters, digits, - or _"))
            }
            for target in status.transitions where !ids.contains(target) {
                problems.append(.init("workflow.statuses[\(index)].transitions", "'\(target)' is not one of the statuses"))
            }
            if let reply = status.onCustomerReply, !status.transitions.contains(reply) {
                problems.append(.init(
                    "workflow.statuses[\(index)].onCustomerReply", "'\(reply)' is not an allowed transition from '\(status.id)'"))
            }
        }
        return problems
    }
}

enum Identifier {
    static func isValid(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64
            && text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" || $0 == "-" }
    }
}
