import Foundation

/// A JSON value, for documents whose shape is data (tool definitions, tool outputs).
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let text) = self { return text } else { return nil } }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(elements, uniquingKeysWith: { $1 })) }
}

/// The words the assistant integration speaks, in the tenant's language (es, vi, en).
struct AssistantTexts {
    let language: String
    let terms: Terminology

    init(_ tenant: Tenant) {
        let language = String(tenant.assistant.language.prefix(2)).lowercased()
        self.language = ["es", "vi"].contains(language) ? language : "en"
        terms = tenant.terminology
    }

    func pick(es: String, vi: String, en: String) -> String {
        switch language {
        case "es": es
        case "vi": vi
        default: en
        }
    }

    var createDescription: String {
        pick(
            es: "Crea un \(terms.ticketSingular) nuevo con lo que el cliente describió. Úsalo cuando el cliente reporta un problema o pide un servicio.",
            vi: "Tạo một \(terms.ticketSingular) mới từ nội dung khách hàng mô tả. Dùng khi khách báo sự cố hoặc yêu cầu dịch vụ.",
            en: "Create a new \(terms.ticketSingular) from what the customer described. Use it when the customer reports a problem or asks for a service.")
    }

    var lookupDescription: String {
        pick(
            es: "Consulta el estado de un \(terms.ticketSingular) del cliente por su número, o sus \(terms.ticketPlural) más recientes.",
            vi: "Tra cứu trạng thái một \(terms.ticketSingular) của khách theo mã, hoặc các \(terms.ticketPlural) gần đây nhất.",
            en: "Look up one of the customer's \(terms.ticketPlural) by its ID, or their most recent \(terms.ticketPlural).")
    }

    func priorityDescription(_ priority: Priority) -> String {
        switch priority {
        case .urgent: pick(es: "urgent: peligro para personas o bienes, o un servicio totalmente caído", vi: "urgent: nguy hiểm cho người hoặc tài sản, hoặc dịch vụ ngừng hoàn toàn", en: "urgent: danger to people or property, or a service completely down")
        case .high: pick(es: "high: afecta mucho al cliente y no puede esperar días", vi: "high: ảnh hưởng lớn đến khách và không thể chờ nhiều ngày", en: "high: hurts the customer a lot and cannot wait days")
        case .medium: pick(es: "medium: un problema normal (por defecto)", vi: "medium: vấn đề thông thường (mặc định)", en: "medium: an ordinary problem (the default)")
        case .low: pick(es: "low: preguntas o pedidos sin prisa", vi: "low: câu hỏi hoặc yêu cầu không gấp", en: "low: questions or requests with no hurry")
        }
    }

    var unknownCustomer: String {
        pick(
            es: "No encontramos un cliente con este número de teléfono. Pide al cliente que se registre o que escriba desde el número registrado.",
            vi: "Không tìm thấy khách hàng với số điện thoại này. Hãy đề nghị khách đăng ký hoặc nhắn từ số đã đăng ký.",
            en: "No customer is registered with this phone number. Ask the customer to register or to write from their registered number.")
    }

    func unknownTool(_ name: String) -> String {
        pick(es: "La herramienta '\(name)' no existe.", vi: "Công cụ '\(name)' không tồn tại.", en: "There is no tool named '\(name)'.")
    }

    func malformed(_ detail: String) -> String {
        pick(es: "Argumentos inválidos: \(detail)", vi: "Tham số không hợp lệ: \(detail)", en: "Invalid arguments: \(detail)")
    }

    func notFound(_ id: String) -> String {
        pick(
            es: "No encontramos el \(terms.ticketSingular) \(id) entre los \(terms.ticketPlural) de este cliente.",
            vi: "Không tìm thấy \(terms.ticketSingular) \(id) trong các \(terms.ticketPlural) của khách hàng này.",
            en: "No \(terms.ticketSingular) \(id) was found among this customer's \(terms.ticketPlural).")
    }

    func created(_ id: String) -> String {
        pick(
            es: "Se creó el \(terms.ticketSingular) \(id).", vi: "Đã tạo \(terms.ticketSingular) \(id).",
            en: "The \(terms.ticketSingular) \(id) was created.")
    }

    var inProgress: String {
        pick(
            es: "Esta llamada ya se está procesando; inténtalo de nuevo en un momento.",
            vi: "Yêu cầu này đang được xử lý; vui lòng thử lại sau giây lát.",
            en: "This call is already being processed; try again in a moment.")
    }

    var noTickets: String {
        pick(es: "El cliente no tiene \(terms.ticketPlural).", vi: "Khách hàng chưa có \(terms.ticketPlural) nào.", en: "The customer has no \(terms.ticketPlural).")
    }

    var failed: String {
        pick(es: "No se pudo completar la operación; inténtalo de nuevo.", vi: "Không thể hoàn tất thao tác; vui lòng thử lại.", en: "The operation could not be completed; try again.")
    }
}

extension TicketIDFormat {
    /// A regular expression matching the IDs this format issues (for JSON Schema `pattern`).
    public var pattern: String {
        func escaped(_ text: String) -> String {
            text.map { "\\^$.|?*+()[]{}/-".contains($0) ? "\\\($0)" : String($0) }.joined()
        }
        var out = "^" + escaped(prefix) + escaped(separator)
        if includeYear { out += "[0-9]{4}" + escaped(separator) }
        return out + "[0-9]{\(padLength),}$"
    }
}

/// The OpenAI function-calling definitions of the assistant tools for one tenant.
enum AssistantToolDefinitions {
    static let createTool = "create_ticket_report"
    static let lookupTool = "get_ticket_information"

    static func make(_ tenant: Tenant) -> [JSONValue] {
        let texts = AssistantTexts(tenant)
        let categories = tenant.categories.filter(\.active)
        let categoryHelp = categories.map { "\($0.id): \($0.description ?? $0.label)" }.joined(separator: "; ")
        let create: JSONValue = [
            "type": "function",
            "function": [
                "name": .string(createTool),
                "description": .string(texts.createDescription),
                "parameters": [
                    "type": "object",
                    "properties": [
                        "subject": ["type": "string", "maxLength": .number(Double(TicketLimits.subject)), "description": .string(texts.pick(es: "Resumen breve", vi: "Tóm tắt ngắn", en: "A short summary"))],
                        "description": ["type": "string", "maxLength": .number(Double(TicketLimits.description)), "description": .string(texts.pick(es: "Lo que el cliente describió, con sus palabras", vi: "Nội dung khách mô tả, theo lời của khách", en: "What the customer described, in their words"))],
                        "category": ["type": "string", "enum": .array(categories.map { .string($0.id) }), "description": .string(categoryHelp)],
                        "priority": [
                            "type": "string", "enum": .array(Priority.allCases.map { .string($0.rawValue) }),
                            "description": .string(Priority.allCases.reversed().map(texts.priorityDescription).joined(separator: "; ")),
                        ],
                        "location": [
                            "type": "object",
                            "properties": [
                                "address": ["type": "string", "maxLength": 500],
                                "description": ["type": "string", "maxLength": 1000],
                            ],
                            "additionalProperties": false,
                        ],
                    ],
                    "required": ["subject", "description"],
                    "additionalProperties": false,
                ],
            ],
        ]
        let lookup: JSONValue = [
            "type": "function",
            "function": [
                "name": .string(lookupTool),
                "description": .string(texts.lookupDescription),
                "parameters": [
                    "type": "object",
                    "properties": [
                        "ticket_id": ["type": "string", "pattern": .string(tenant.ticketIdFormat.pattern), "description": .string(texts.pick(es: "Número del \(tenant.terminology.ticketSingular), p. ej. \(tenant.ticketIdFormat.format(number: 123, year: 2026))", vi: "Mã \(tenant.terminology.ticketSingular), ví dụ \(tenant.ticketIdFormat.format(number: 123, year: 2026))", en: "The \(tenant.terminology.ticketSingular) ID, e.g. \(tenant.ticketIdFormat.format(number: 123, year: 2026))"))],
                        "lookup_recent": ["type": "boolean", "description": .string(texts.pick(es: "true para listar los más recientes del cliente", vi: "true để liệt kê các mục gần đây của khách", en: "true to list the customer's most recent ones"))],
                    ],
                    "additionalProperties": false,
                ],
            ],
        ]
        return [create, lookup]
    }
}
