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
        // Latin text (Spanish, Portuguese, French, German, Vietnamese's base letters...) is
        // folded letter by letter from a table Foundation filled (`LatinTable`): the same text.
        if let folded = LatinTable.shared.fold(text) { return folded }
        return foundationFold(text)
    }

    /// Foundation's folding: what `fold` answers for any text.
    static func foundationFold(_ text: String) -> String {
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
        if let words = LatinTable.shared.words(text) { return words }
        return characterWords(text)
    }

    /// Words split on Characters: what `words(ofFolded:)` answers for any text.
    static func characterWords(_ text: String) -> [Substring] {
        text.split { !($0.isLetter || $0.isNumber) }
    }

    /// Per scalar of Basic Latin to Latin Extended-B (below U+0250) and of Latin Extended
    /// Additional (U+1E00-U+1EFF, Vietnamese's letters): its folded text, and whether it is a
    /// letter or digit. Filled once from Foundation and `Character`, so folding and
    /// splitting text made only of these scalars letter by letter gives what the whole-text
    /// calls give (`TextFoldingTests` compares them on every scalar and on random texts);
    /// any other scalar (combining marks, Greek, CJK...) sends the text down the general path.
    final class LatinTable: Sendable {
        static let shared = LatinTable()
        static let ranges: [Range<UInt32>] = [0..<0x250, 0x1E00..<0x1F00]
        static var scalars: [UInt32] { ranges.flatMap { Array($0) } }

        let folded: [String]
        let isWord: [Bool]

        init() {
            folded = Self.scalars.map { TextFolding.foundationFold(String(Unicode.Scalar($0)!)) }
            isWord = Self.scalars.map { value in
                let character = Character(Unicode.Scalar(value)!)
                return character.isLetter || character.isNumber
            }
        }

        /// The table slot of `scalar`, nil outside the table.
        @inline(__always) func slot(_ scalar: Unicode.Scalar) -> Int? {
            let value = scalar.value
            if value < 0x250 { return Int(value) }
            if value >= 0x1E00, value < 0x1F00 { return Int(value - 0x1E00) + 0x250 }
            return nil
        }

        func fold(_ text: String) -> String? {
            var out = ""
            out.reserveCapacity(text.utf8.count)
            for scalar in text.unicodeScalars {
                guard let slot = slot(scalar) else { return nil }
                out += folded[slot]
            }
            return out
        }

        func words(_ text: String) -> [Substring]? {
            var words: [Substring] = []
            var start: String.Index?
            var index = text.unicodeScalars.startIndex
            let end = text.unicodeScalars.endIndex
            while index < end {
                let scalar = text.unicodeScalars[index]
                // "\r\n" is one Character, and neither a letter nor a digit: a separator either way.
                guard let slot = slot(scalar) else { return nil }
                if isWord[slot] {
                    if start == nil { start = index }
                } else if let begun = start {
                    words.append(text[begun..<index])
                    start = nil
                }
                index = text.unicodeScalars.index(after: index)
            }
            if let begun = start { words.append(text[begun..<end]) }
            return words
        }
    }
}
