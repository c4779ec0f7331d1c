import Foundation

/// Case and accent folding shared by every store's search, so "instalacion" finds
/// "instalación" and "don ho tro" finds "đơn hỗ trợ".
public enum TextFolding {
    public static func fold(_ text: String) -> String {
        // Plain ASCII (most words of most tickets) only needs lower case: Foundation's folding
        // costs tens of microseconds per ticket and runs on every write.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
        }
        // đ/Đ are letters of their own in Unicode, not d with a diacritic.
        let replaced = text.replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "D")
        return replaced.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .lowercased()
    }

    /// Folded words (letters and digits) of `text`, in order.
    public static func terms(_ text: String) -> [String] {
        words(ofFolded: fold(text)).map(String.init)
    }

    /// The words (letters and digits) of text that is folded already.
    public static func words(ofFolded text: String) -> [Substring] {
        text.split { !($0.isLetter || $0.isNumber) }
    }
}
