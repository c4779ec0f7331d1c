import Foundation

/// JSON as the API and the live events speak it: ISO 8601 dates with milliseconds, sorted keys.
public enum DocketJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            // The same text as Date.ISO8601FormatStyle(includingFractionalSeconds: true), at a
            // fraction of its cost (a ticket holds a dozen dates).
            try container.encode(CivilTime.iso8601(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `value` as JSON text.
    public static func text<T: Encodable>(_ value: T) -> String {
        // Encoding our own plain structs cannot fail; an empty object keeps a frame valid if it ever did.
        (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
