import DocketCore
import Foundation

/// The payloads of live events as the event log stores them (and WebSocket clients receive
/// them unchanged): ISO 8601 dates with milliseconds, sorted keys. The HTTP adapter's own
/// coding (`APICoding`) writes the same dates.
public enum EventJSON {
    public static let encoder = JSONEncoder.isoMilliseconds()

    /// The same text for a type that writes its own JSON (`JSONOut`).
    public static func written(_ value: some JSONWritable) -> String { JSONOut.text(value, dates: .iso8601) }

    /// `value` as JSON text.
    public static func text<T: Encodable>(_ value: T) -> String {
        // Encoding our own plain structs cannot fail; an empty object keeps a frame valid if it ever did.
        (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

extension JSONEncoder {
    /// ISO 8601 dates with milliseconds in UTC, sorted keys, unescaped slashes: what event
    /// payloads and the API (DocketHTTP's `APICoding`) both write, so a client reads one format.
    public static func isoMilliseconds() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            // The same text as Date.ISO8601FormatStyle(includingFractionalSeconds: true), at a
            // fraction of its cost (a ticket holds a dozen dates).
            try container.encode(CivilTime.iso8601(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
