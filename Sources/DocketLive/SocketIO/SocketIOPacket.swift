import Foundation

/// A Socket.IO protocol 5 packet: `<type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]`.
/// Types: 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR, 5 BINARY_EVENT, 6 BINARY_ACK.
struct SocketIOPacket: Equatable {
    enum Kind: Int {
        case connect = 0, disconnect, event, ack, connectError, binaryEvent, binaryAck
    }

    var kind: Kind
    var namespace = "/"
    var ackId: Int?
    /// The JSON payload as sent (an object for CONNECT, an array for EVENT and ACK).
    var data: String?
    var attachments = 0

    /// Reads a packet; nil when it is not one.
    init?(_ text: String) {
        var rest = Substring(text)
        guard let first = rest.first, let digit = first.wholeNumberValue, let kind = Kind(rawValue: digit) else { return nil }
        self.kind = kind
        rest = rest.dropFirst()
        if kind == .binaryEvent || kind == .binaryAck {
            guard let dash = rest.firstIndex(of: "-"), let count = Int(rest[..<dash]) else { return nil }
            attachments = count
            rest = rest[rest.index(after: dash)...]
        }
        if rest.first == "/" {
            let end = rest.firstIndex(of: ",") ?? rest.endIndex
            namespace = String(rest[..<end])
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
        }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty {
            guard digits.count <= 9, let id = Int(digits) else { return nil }
            ackId = id
            rest = rest.dropFirst(digits.count)
        }
        data = rest.isEmpty ? nil : String(rest)
    }

    init(kind: Kind, namespace: String = "/", ackId: Int? = nil, data: String?) {
        self.kind = kind
        self.namespace = namespace
        self.ackId = ackId
        self.data = data
    }

    var encoded: String {
        var text = String(kind.rawValue)
        if namespace != "/" { text += namespace + "," }
        if let ackId { text += String(ackId) }
        return text + (data ?? "")
    }

    /// An EVENT packet `["name", payload]`.
    static func event(_ name: String, _ payload: Any) -> SocketIOPacket {
        SocketIOPacket(kind: .event, data: json([name, payload]))
    }

    /// The answer to a client's EVENT that asked for one: `[payload]`.
    static func ack(_ id: Int, _ payload: Any) -> SocketIOPacket {
        SocketIOPacket(kind: .ack, ackId: id, data: json([payload]))
    }

    /// JSON text of a value JSONSerialization takes (objects, arrays, strings, numbers, NSNull).
    static func json(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value), let data = try? JSONSerialization.data(withJSONObject: value, options: [.withoutEscapingSlashes])
        else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }
}
