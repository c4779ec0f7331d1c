/// HTML made plain text, for a mail that came with HTML only: what a reader would see, never
/// markup. Written here because nothing in the project's libraries reads HTML; it is a scanner,
/// not a parser: tags are dropped (their attributes with them), the contents of `script`,
/// `style`, `head` and comments are dropped, blocks and `<br>` become line breaks, list items a
/// bullet, a link keeps its address after its text, an image its alt text. Character references
/// are decoded from a fixed table and numbers only — no document type is read, so no entity can
/// expand into more text (the output is never longer than the input plus a line break per tag).
public enum HTMLText {
    public static func plain(_ html: String) -> String {
        var scanner = Scanner(Array(html.unicodeScalars))
        return scanner.run()
    }

    private static let blocks: Set<String> = [
        "p", "div", "br", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr",
        "section", "article", "header", "footer", "address", "dl", "dt", "dd", "form", "fieldset", "center",
    ]
    private static let skipped: Set<String> = ["script", "style", "head", "title", "template", "noscript", "xml", "svg", "math", "object"]

    static let entities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "shy": "", "copy": "©", "reg": "®",
        "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”",
        "laquo": "«", "raquo": "»", "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "deg": "°", "middot": "·", "bull": "•",
        "iexcl": "¡", "iquest": "¿", "ordf": "ª", "ordm": "º", "times": "×", "divide": "÷", "sect": "§", "para": "¶",
        "aacute": "á", "eacute": "é", "iacute": "í", "oacute": "ó", "uacute": "ú", "yacute": "ý", "ntilde": "ñ", "uuml": "ü",
        "Aacute": "Á", "Eacute": "É", "Iacute": "Í", "Oacute": "Ó", "Uacute": "Ú", "Yacute": "Ý", "Ntilde": "Ñ", "Uuml": "Ü",
        "agrave": "à", "egrave": "è", "igrave": "ì", "ograve": "ò", "ugrave": "ù", "Agrave": "À", "Egrave": "È", "Igrave": "Ì",
        "Ograve": "Ò", "Ugrave": "Ù", "acirc": "â", "ecirc": "ê", "ocirc": "ô", "Acirc": "Â", "Ecirc": "Ê", "Ocirc": "Ô",
        "atilde": "ã", "otilde": "õ", "Atilde": "Ã", "Otilde": "Õ", "ccedil": "ç", "Ccedil": "Ç", "auml": "ä", "ouml": "ö",
        "Auml": "Ä", "Ouml": "Ö", "szlig": "ß", "icirc": "î", "ucirc": "û",
    ]

    private struct Scanner {
        let input: [Unicode.Scalar]
        var index = 0
        var out = String.UnicodeScalarView()
        /// A space is owed before the next text (whitespace collapses to one).
        var pendingSpace = false
        /// Line breaks owed before the next text (at most two: one blank line).
        var pendingBreaks = 0
        /// The addresses of the links open now, shown after their text.
        var links: [String?] = []
        var listDepth = 0

        init(_ input: [Unicode.Scalar]) { self.input = input }

        mutating func run() -> String {
            while index < input.count {
                let scalar = input[index]
                if scalar == "<" {
                    tag()
                } else if scalar == "&" {
                    text(reference())
                } else {
                    index += 1
                    text(String(Character(scalar)))
                }
            }
            return String(out)
        }

        mutating func text(_ piece: String) {
            for scalar in piece.unicodeScalars {
                if scalar.properties.isWhitespace && scalar != "\u{A0}" {
                    if !out.isEmpty, pendingBreaks == 0 { pendingSpace = true }
                    continue
                }
                if pendingBreaks > 0, !out.isEmpty {
                    for _ in 0..<pendingBreaks { out.append("\n") }
                } else if pendingSpace {
                    out.append(" ")
                }
                pendingBreaks = 0
                pendingSpace = false
                out.append(scalar == "\u{A0}" ? " " : scalar)
            }
        }

        mutating func lineBreak(_ count: Int) {
            pendingBreaks = min(2, max(pendingBreaks, count))
            pendingSpace = false
        }

        /// `&...;` at `index`: the character it names, or the ampersand itself.
        mutating func reference() -> String {
            var end = index + 1
            while end < input.count, end - index <= 32, input[end] != ";", input[end] != "&", input[end] != "<",
                !input[end].properties.isWhitespace
            {
                end += 1
            }
            guard end < input.count, input[end] == ";" else {
                index += 1
                return "&"
            }
            let name = String(String.UnicodeScalarView(input[(index + 1)..<end]))
            var decoded: String?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Self.character)
            } else if name.hasPrefix("#") {
                decoded = UInt32(name.dropFirst(1)).flatMap(Self.character)
            } else {
                decoded = HTMLText.entities[name]
            }
            guard let decoded else {
                index += 1
                return "&"
            }
            index = end + 1
            return decoded
        }

        static func character(_ value: UInt32) -> String? {
            guard value != 0, let scalar = Unicode.Scalar(value) else { return "\u{FFFD}" }
            // Controls other than line breaks and tabs are not text.
            if scalar.value < 0x20, scalar != "\n", scalar != "\t" { return "" }
            return String(Character(scalar))
        }

        /// `<` at `index`: a tag, a comment or a declaration; or a lone `<` (text).
        mutating func tag() {
            if starts("<!--") {
                index = find("-->").map { $0 + 3 } ?? input.count
                return
            }
            if starts("<!") || starts("<?") {
                index = find(">").map { $0 + 1 } ?? input.count
                return
            }
            var cursor = index + 1
            let closing = cursor < input.count && input[cursor] == "/"
            if closing { cursor += 1 }
            let nameStart = cursor
            while cursor < input.count, input[cursor].properties.isAlphabetic || ("0"..."9").contains(input[cursor]) {
                cursor += 1
            }
            guard cursor > nameStart else {
                index += 1
                text("<")
                return
            }
            let name = String(String.UnicodeScalarView(input[nameStart..<cursor])).lowercased()
            // The attributes, to the tag's end (quoted values may hold '>').
            var quote: Unicode.Scalar?
            let attributesStart = cursor
            while cursor < input.count {
                let scalar = input[cursor]
                if let open = quote {
                    if scalar == open { quote = nil }
                } else if scalar == "\"" || scalar == "'" {
                    quote = scalar
                } else if scalar == ">" {
                    break
                }
                cursor += 1
            }
            let attributes = Array(input[attributesStart..<min(cursor, input.count)])
            index = min(cursor + 1, input.count)
            if !closing, HTMLText.skipped.contains(name) {
                // Everything up to the matching end tag is not shown.
                index = findEnd(name) ?? input.count
                return
            }
            apply(name, closing: closing, attributes: attributes)
        }

        mutating func apply(_ name: String, closing: Bool, attributes: [Unicode.Scalar]) {
            switch name {
            case "br":
                pendingBreaks = min(2, pendingBreaks + 1)
                if out.isEmpty { pendingBreaks = 0 }
                pendingSpace = false
            case "li":
                if !closing {
                    lineBreak(1)
                    text(String(repeating: "\u{A0}\u{A0}", count: max(0, listDepth - 1)) + "•\u{A0}")
                }
            case "ul", "ol":
                listDepth = max(0, listDepth + (closing ? -1 : 1))
                lineBreak(1)
            case "td", "th":
                if closing { pendingSpace = true }
            case "a":
                if closing {
                    if let href = links.popLast() ?? nil { text(" <\(href)>") }
                } else {
                    let href = Self.attribute("href", in: attributes)
                    links.append(href.flatMap { $0.hasPrefix("http://") || $0.hasPrefix("https://") || $0.hasPrefix("mailto:") ? $0 : nil })
                    if links.count > 64 { links.removeFirst() }
                }
            case "img":
                if let alt = Self.attribute("alt", in: attributes), !alt.isEmpty { text("[\(alt)]") }
            case "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre", "hr":
                lineBreak(2)
            default:
                if HTMLText.blocks.contains(name) { lineBreak(1) }
            }
        }

        /// The value of attribute `name` (references decoded), if the tag has it.
        static func attribute(_ name: String, in scalars: [Unicode.Scalar]) -> String? {
            let text = String(String.UnicodeScalarView(scalars))
            let lower = text.lowercased()
            var search = lower.startIndex
            while let range = lower.range(of: name, range: search..<lower.endIndex) {
                search = range.upperBound
                // A whole attribute name, followed by `=`.
                if range.lowerBound > lower.startIndex, !lower[lower.index(before: range.lowerBound)].isWhitespace { continue }
                var cursor = range.upperBound
                while cursor < lower.endIndex, lower[cursor].isWhitespace { cursor = lower.index(after: cursor) }
                guard cursor < lower.endIndex, lower[cursor] == "=" else { continue }
                cursor = lower.index(after: cursor)
                while cursor < lower.endIndex, lower[cursor].isWhitespace { cursor = lower.index(after: cursor) }
                guard cursor < lower.endIndex else { return nil }
                let value: Substring
                if text[cursor] == "\"" || text[cursor] == "'" {
                    let quote = text[cursor]
                    let start = text.index(after: cursor)
                    let end = text[start...].firstIndex(of: quote) ?? text.endIndex
                    value = text[start..<end]
                } else {
                    let end = text[cursor...].firstIndex { $0.isWhitespace || $0 == "/" } ?? text.endIndex
                    value = text[cursor..<end]
                }
                var scanner = Scanner(Array(value.unicodeScalars))
                return scanner.run()
            }
            return nil
        }

        func starts(_ prefix: String) -> Bool {
            var cursor = index
            for scalar in prefix.unicodeScalars {
                guard cursor < input.count, input[cursor] == scalar else { return false }
                cursor += 1
            }
            return true
        }

        func find(_ needle: String) -> Int? {
            let scalars = Array(needle.unicodeScalars)
            var cursor = index
            while cursor + scalars.count <= input.count {
                if input[cursor] == scalars[0], Array(input[cursor..<(cursor + scalars.count)]) == scalars { return cursor }
                cursor += 1
            }
            return nil
        }

        /// Past `</name ...>` (any case), from `index`.
        func findEnd(_ name: String) -> Int? {
            let target = Array(("</" + name).unicodeScalars)
            var cursor = index
            while cursor + target.count <= input.count {
                if input[cursor] == "<" {
                    var matched = true
                    for (offset, scalar) in target.enumerated() where Character(input[cursor + offset]).lowercased() != Character(scalar).lowercased() {
                        matched = false
                        break
                    }
                    if matched {
                        var end = cursor + target.count
                        while end < input.count, input[end] != ">" { end += 1 }
                        return min(end + 1, input.count)
                    }
                }
                cursor += 1
            }
            return nil
        }
    }
}
