/// Splits one physical line of keepalived.conf into tokens.
///
/// keepalived's rules, which Vigil keeps: words are separated by blanks; `#` and `!`
/// outside double quotes begin a comment that runs to the end of the line (`\#` and `\!`
/// are the characters themselves); double quotes group a word and are removed; `{` and
/// `}` outside quotes are tokens of their own; a `\` ending the line continues the logical
/// line on the next physical one.
enum Lexer {
    struct Line {
        var tokens: [Token]
        /// The line ended with `\`: the next physical line continues it.
        var continues: Bool
        /// Where a `"` opened without its closing partner.
        var unterminatedQuote: SourceLocation?
    }

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")
    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let hash = UInt8(ascii: "#"), bang = UInt8(ascii: "!")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")

    static func lex(_ bytes: ArraySlice<UInt8>, file: String, line: Int) -> Line {
        var tokens: [Token] = []
        var scratch: [UInt8] = []
        let end = lex(bytes, file: file, line: line, into: &tokens, scratch: &scratch)
        return Line(tokens: tokens, continues: end.continues, unterminatedQuote: end.unterminatedQuote)
    }

    /// Appends the line's tokens to `tokens`; `current` holds the word being read. Both are
    /// the preprocessor's buffers, reused line after line, so a large file costs no
    /// allocation per line.
    static func lex(_ bytes: ArraySlice<UInt8>, file: String, line: Int, into tokens: inout [Token],
                    scratch current: inout [UInt8]) -> (continues: Bool, unterminatedQuote: SourceLocation?) {
        current.removeAll(keepingCapacity: true)
        var currentStart = 0
        var currentQuoted = false
        var inWord = false
        var inQuote = false
        var quoteStart = 0
        var continues = false
        let base = bytes.startIndex
        var i = base
        let end = bytes.endIndex

        func location(_ index: Int) -> SourceLocation {
            SourceLocation(file: file, line: line, column: index - base + 1)
        }
        func flush() {
            if inWord {
                tokens.append(Token(.word, String(decoding: current, as: UTF8.self),
                                    quoted: currentQuoted, at: location(currentStart)))
                current.removeAll(keepingCapacity: true)
                inWord = false
                currentQuoted = false
            }
        }
        func begin(_ index: Int) {
            if !inWord {
                inWord = true
                currentStart = index
            }
        }

        while i < end {
            let c = bytes[i]
            if inQuote {
                if c == quote {
                    inQuote = false
                } else {
                    current.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case space, tab, cr:
                flush()
            case quote:
                begin(i)
                inQuote = true
                currentQuoted = true
                quoteStart = i
            case hash, bang:
                flush()
                i = end
                continue
            case backslash:
                let next = i + 1
                if bytes[next...].allSatisfy({ $0 == space || $0 == tab || $0 == cr }) {
                    continues = true
                    i = end
                    continue
                } else if bytes[next] == hash || bytes[next] == bang {
                    begin(i)
                    current.append(bytes[next])
                    i += 2
                    continue
                } else {
                    begin(i)
                    current.append(c)
                }
            case UInt8(ascii: "$") where i + 1 < end && bytes[i + 1] == openBrace:
                // `${NAME}` is one word for the preprocessor, not a block.
                begin(i)
                let close = bytes[(i + 1)...].firstIndex(of: closeBrace) ?? (end - 1)
                current.append(contentsOf: bytes[i...close])
                i = close + 1
                continue
            case openBrace, closeBrace:
                flush()
                tokens.append(Token(c == openBrace ? .open : .close, c == openBrace ? "{" : "}",
                                    at: location(i)))
            default:
                begin(i)
                current.append(c)
            }
            i += 1
        }
        let unterminated = inQuote ? location(quoteStart) : nil
        flush()
        return (continues, unterminated)
    }
}
