/// Coding paths as field names: `location.coordinates.latitude`, `categories[2].id`.
public enum CodingPath {
    public static func describe(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out
    }
}
