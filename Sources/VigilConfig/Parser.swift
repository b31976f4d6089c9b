/// Builds the statement tree from the preprocessed token stream.
///
/// A statement is the words up to the end of the line, a `{` or a `}`. A `{` right after
/// the words, on the same or a following line, opens the statement's block; `}` closes it.
/// So `real_server 192.0.2.21 80 { weight 1 TCP_CHECK { connect_timeout 3 } }` reads the
/// same as the spread-out form (keepalived itself misreads nested blocks on one line):
/// the parser knows which kind of block it is in, and a word that opens a block of that
/// kind, directly followed by `{`, starts a statement of its own (`weight 1` then
/// `TCP_CHECK { … }`).
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
        return parser.parseBlock(opener: nil, kind: .root)
    }

    /// The kind of the token at `index`, without copying the token.
    private var currentKind: Token.Kind? { index < tokens.count ? tokens[index].kind : nil }

    private mutating func skipNewlines() {
        while currentKind == .newline { index += 1 }
    }

    /// How deep blocks may nest. keepalived's deepest is five (virtual_server > real_server
    /// > HTTP_GET > url > …); beyond this a block is one error and skipped, so hostile
    /// nesting cannot exhaust the stack of the parser or of anything that walks the tree.
    static let maximumDepth = 64
    private var depth = 0

    /// `kind` is nil inside a block the catalog does not describe (lists, unknown blocks).
    private mutating func parseBlock(opener: Token?, kind blockKind: BlockKind?) -> [Statement] {
        if let opener, depth >= Self.maximumDepth {
            diagnostics.error("nesting-too-deep", at: opener.location,
                              "blocks nested deeper than \(Self.maximumDepth) levels; this block is skipped")
            skipBlock(opener: opener)
            return []
        }
        depth += 1
        defer { depth -= 1 }
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
                _ = parseBlock(opener: token, kind: nil)
            case .newline:
                break
            case .word:
                statements.append(parseStatement(in: blockKind))
            }
        }
    }

    /// Past the `}` that closes the block `opener` opened, without recursion.
    private mutating func skipBlock(opener: Token) {
        var open = 1
        while let kind = currentKind {
            index += 1
            if kind == .open { open += 1 }
            if kind == .close { open -= 1; if open == 0 { return } }
        }
        diagnostics.error("unterminated-block", at: opener.location,
                          "'{' is never closed (missing '}' before the end of the configuration)")
    }

    private mutating func parseStatement(in blockKind: BlockKind?) -> Statement {
        let keyword = tokens[index]
        index += 1
        let first = index
        while currentKind == .word {
            if let blockKind, index + 1 < tokens.count, tokens[index + 1].kind == .open,
               !tokens[index].quoted, case .block = KeywordCatalog.entry(tokens[index].text, in: blockKind)?.shape,
               (KeywordCatalog.entry(keyword.text, in: blockKind)?.shape ?? .leaf) == .leaf {
                // `weight 1 TCP_CHECK {`: the block belongs to TCP_CHECK, a statement of its own.
                return Statement(keyword: keyword, arguments: Array(tokens[first..<index]))
            }
            index += 1
        }
        let arguments = Array(tokens[first..<index])
        // A block may open on this line or at the start of a following one.
        let save = index
        skipNewlines()
        if currentKind == .open {
            let opener = tokens[index]
            index += 1
            var childKind: BlockKind?
            if let blockKind, case let .block(child) = KeywordCatalog.entry(keyword.text, in: blockKind)?.shape {
                childKind = child
            }
            return Statement(keyword: keyword, arguments: arguments, block: parseBlock(opener: opener, kind: childKind))
        }
        index = save
        return Statement(keyword: keyword, arguments: arguments)
    }
}
