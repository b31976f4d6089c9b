/// Builds the statement tree from the preprocessed token stream.
///
/// A statement is the words up to the end of the line, a `{` or a `}`. A `{` right after
/// the words, on the same or a following line, opens the statement's block; `}` closes it.
/// So `real_server 192.0.2.21 80 { weight 1 TCP_CHECK { connect_timeout 3 } }` reads the
/// same as the spread-out form (keepalived itself misreads nested blocks on one line).
struct Parser {
    private let tokens: [Token]
    private var index = 0
    private let diagnostics: DiagnosticEngine

    init(tokens: [Token], diagnostics: DiagnosticEngine) {
        self.tokens = tokens
        self.diagnostics = diagnostics
    }

    static func parse(_ tokens: [Token], diagnostics: DiagnosticEngine) -> [Statement] {
        var parser = Parser(tokens: tokens, diagnostics: diagnostics)
        return parser.parseBlock(opener: nil)
    }

    /// The kind of the token at `index`, without copying the token.
    private var currentKind: Token.Kind? { index < tokens.count ? tokens[index].kind : nil }

    private mutating func skipNewlines() {
        while currentKind == .newline { index += 1 }
    }

    private mutating func parseBlock(opener: Token?) -> [Statement] {
        var statements: [Statement] = []
        while true {
            skipNewlines()
            guard let kind = currentKind else {
                if let opener {
                    diagnostics.error("unterminated-block", at: opener.location,
                                      "'{' is never closed (missing '}' before the end of the configuration)")
                }
                return statements
            }
            switch kind {
            case .close:
                index += 1
                if opener != nil { return statements }
                diagnostics.error("unmatched-close", at: tokens[index - 1].location, "'}' without an open block")
            case .open:
                index += 1
                let token = tokens[index - 1]
                diagnostics.error("block-without-keyword", at: token.location, "'{' does not follow a keyword; its block is ignored")
                _ = parseBlock(opener: token)
            case .newline:
                break
            case .word:
                statements.append(parseStatement())
            }
        }
    }

    private mutating func parseStatement() -> Statement {
        let keyword = tokens[index]
        index += 1
        let first = index
        while currentKind == .word { index += 1 }
        let arguments = Array(tokens[first..<index])
        // A block may open on this line or at the start of a following one.
        let save = index
        skipNewlines()
        if currentKind == .open {
            let opener = tokens[index]
            index += 1
            return Statement(keyword: keyword, arguments: arguments, block: parseBlock(opener: opener))
        }
        index = save
        return Statement(keyword: keyword, arguments: arguments)
    }
}
