import DocketCore
import Foundation
import OpenAPIKit

/// JSON Schemas of the API's bodies, as OpenAPI components. Tests check that the
/// Codable types encode only properties declared here.
enum Schemas {
    typealias Schema = JSONSchema

    static func ref(_ name: String) -> Schema { .reference(.component(named: name)) }

    /// `schema`, or null. A reference or a list of values cannot carry `null` in its type, so
    /// it becomes `anyOf` the schema and null.
    static func nullable(_ schema: Schema) -> Schema {
        switch schema.value {
        case .reference, .all, .one, .any, .not, .fragment: return .any(of: [schema, .null()])
        default: return schema.allowedValues == nil ? schema.nullableSchemaObject() : .any(of: [schema, .null()])
        }
    }
    static func string(
        _ description: String? = nil, format: JSONTypeFormat.StringFormat = .unspecified, maxLength: Int? = nil,
        values: [String]? = nil, minLength: Int? = nil, pattern: String? = nil
    ) -> Schema {
        .string(
            format: format, description: description, minLength: minLength, maxLength: maxLength, pattern: pattern,
            allowedValues: values?.map { AnyCodable($0) })
    }

    /// Text that must say something: at least one character that is not a space, at most `max`.
    static func text(_ description: String? = nil, max: Int) -> Schema {
        string(description, maxLength: max, minLength: 1, pattern: #"\S"#)
    }

    /// An id as `Check.identifier` takes it: 1-64 ASCII letters, digits or - _ . : @.
    static func identifier(_ description: String? = nil) -> Schema {
        string(description, pattern: #"^[A-Za-z0-9_.:@-]{1,64}$"#)
    }

    /// A word such as a tag or a skill: 1-50 characters, not only spaces.
    static var word: Schema { string(maxLength: TicketLimits.tagLength, minLength: 1, pattern: #"\S"#) }
    static func integer(_ description: String? = nil, min: Int? = nil, max: Int? = nil) -> Schema {
        .integer(description: description, maximum: max.map { ($0, exclusive: false) }, minimum: min.map { ($0, exclusive: false) })
    }
    static func number(_ description: String? = nil) -> Schema { .number(description: description) }
    static var number: Schema { .number }
    static var boolean: Schema { .boolean }
    static var dateTime: Schema { string(format: .dateTime) }
    static func array(_ items: Schema, maxItems: Int? = nil) -> Schema { .array(maxItems: maxItems, items: items) }
    static func map(_ values: Schema) -> Schema { .object(additionalProperties: .b(values)) }
    /// An object of exactly these properties, each optional.
    static func closed(_ properties: [String: Schema], description: String? = nil) -> Schema {
        .object(
            description: description,
            properties: ordered(properties.mapValues { $0.optionalSchemaObject() }),
            additionalProperties: .a(false))
    }
    /// Any JSON object.
    static func anyObject(_ description: String? = nil) -> Schema { .object(description: description, additionalProperties: .a(true)) }
    /// An object; a property it does not require may also be null (the server reads a null as
    /// the property left out).
    static func object(_ properties: [String: Schema], required: [String] = [], description: String? = nil) -> Schema {
        let required = Set(required)
        precondition(required.isSubset(of: properties.keys), "required properties \(required.subtracting(properties.keys)) are not declared")
        let declared = properties.map { name, schema in
            (name, required.contains(name) ? schema.requiredSchemaObject() : nullable(schema).optionalSchemaObject())
        }
        return .object(description: description, properties: ordered(Dictionary(uniqueKeysWithValues: declared)))
    }

    /// A dictionary in its keys' order, so the document reads the same on every start.
    static func ordered<Key: Comparable & Hashable, Value>(_ dictionary: [Key: Value]) -> OrderedDictionary<Key, Value> {
        OrderedDictionary(dictionary.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    static var priority: Schema { string(values: Priority.allCases.map(\.rawValue)) }
    static var role: Schema { string(values: Role.allCases.map(\.rawValue)) }
    static var senderType: Schema { string(values: MessageSender.allCases.map(\.rawValue)) }
    static var messageKind: Schema { string(values: MessageKind.allCases.map(\.rawValue)) }

    static var webhookEvents: [String] { Webhook.subscribable }

    /// An address mail can be sent to, as `TenantMail.normalized` takes it.
    static func mailAddress(_ description: String) -> Schema {
        string(
            description, maxLength: 254,
            pattern: #"^[^\x00-\x20\x7F@+<>()\[\]\\,;:"]+@[^\x00-\x20\x7F@+<>()\[\]\\,;:".]+(\.[^\x00-\x20\x7F@+<>()\[\]\\,;:".]+)+$"#)
    }

    static func all() -> OrderedDictionary<String, Schema> {
        ordered(named())
    }

    /// Every component: one table per resource (Schemas+Tickets.swift, Schemas+People.swift...).
    private static func named() -> [String: Schema] {
        var all = system
        for table in [tickets, people, conversations, configuration, packs, assistant, accounts, reports, webhooks] {
            all.merge(table) { _, _ in preconditionFailure("a schema is declared twice") }
        }
        return all
    }

    /// Errors and health.
    static var system: [String: Schema] {
        [
            "Error": object(
                ["error": object(
                    [
                        "code": string("Machine-readable code, e.g. invalid_transition"), "message": string(),
                        "field": string("The offending input field"), "details": map(array(string())),
                    ], required: ["code", "message"])], required: ["error"]),
            "Health": object(
                [
                    "status": string(values: ["ok", "degraded"]), "version": string(),
                    "store": object(["kind": string(), "status": string(values: ["ok", "unavailable"]), "detail": string()]),
                ], required: ["status", "store"]),
        ]
    }
}
