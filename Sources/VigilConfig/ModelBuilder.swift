import VigilTypes
/// Turns the statement tree into the typed `Configuration`, reporting every value that
/// does not parse, at the word that holds it. Cross-references and rules that need the
/// whole configuration are the `Validator`'s.
final class ModelBuilder {
    let diagnostics: DiagnosticEngine
    /// The priority the next rule without one gets (keepalived counts down from 16384,
    /// per family, over `static_rules` and every `virtual_rules` in reading order).
    var nextRulePriority = (ipv4: 16384, ipv6: 16384)

    init(diagnostics: DiagnosticEngine) {
        self.diagnostics = diagnostics
    }

    // MARK: - Dispatch

    /// Offers each statement of a block to `handle`; what it does not take is looked up in
    /// the catalog: recognised keywords are kept in `unsupported` with a warning, unknown
    /// words get a warning with the nearest keyword of this block suggested. Readers go
    /// through the typed `each(_:_:path:unsupported:_:)`, which offers only the keywords of
    /// their block's `ImplementedKeyword` list.
    func each(_ statements: [Statement], in kind: BlockKind, path: @autoclosure () -> String,
              unsupported: inout [Statement], _ handle: (Statement) -> Bool) {
        for statement in statements {
            if handle(statement) { continue }
            unrecognised(statement, in: kind, path: path(), unsupported: &unsupported)
        }
    }

    /// `path` names the block for messages; it is built only when there is one to write.
    func unrecognised(_ statement: Statement, in kind: BlockKind, path: @autoclosure () -> String,
                      unsupported: inout [Statement]) {
        if let entry = KeywordCatalog.entry(statement.name, in: kind) {
            if let replacement = entry.replacement {
                diagnostics.warning("deprecated", at: statement.location,
                                    "'\(statement.name)' is deprecated (keepalived reads it as '\(replacement)'); it is recognised, not supported by vigil yet")
            } else if let since = entry.since {
                diagnostics.warning("unsupported", at: statement.location,
                                    "'\(statement.name)' in \(path()) (keepalived \(since)) is recognised, not supported by vigil yet")
            } else {
                diagnostics.warning("unsupported", at: statement.location,
                                    "'\(statement.name)' in \(path()) is recognised, not supported by vigil yet")
            }
            unsupported.append(statement)
            return
        }
        var message = "unknown keyword '\(statement.name)' in \(path())"
        if let suggestion = Suggestion.nearest(to: statement.name, among: KeywordCatalog.names(in: kind)) {
            message += "; did you mean '\(suggestion)'?"
        }
        if statement.block != nil { message += " (its block is skipped)" }
        diagnostics.warning("unknown-keyword", at: statement.location, message)
    }

    // MARK: - Arguments

    /// Checks the number of words after the keyword: too few is an error (nil returned),
    /// too many a warning (keepalived ignores the extra words too).
    @discardableResult
    func arguments(_ s: Statement, _ count: ClosedRange<Int>, _ usage: String) -> [Token]? {
        if s.arguments.count < count.lowerBound {
            diagnostics.error("missing-argument", at: s.location, "'\(s.name)' needs \(usage)")
            return nil
        }
        if s.arguments.count > count.upperBound {
            diagnostics.warning("extra-argument", at: s.arguments[count.upperBound].location,
                                "extra words after '\(s.name)' are ignored")
        }
        return s.arguments
    }

    /// A keyword used as a flag; keepalived ignores words after most flags.
    func flag(_ s: Statement) -> Bool {
        if s.block != nil { blockNotExpected(s) }
        return true
    }

    /// A keyword with keepalived's optional <BOOL> (`fast_recovery`, `fast_recovery no`):
    /// true without a word; yes/no, on/off, true/false otherwise.
    func optionalBool(_ s: Statement) -> Bool? {
        if s.block != nil { blockNotExpected(s) }
        guard let word = s.arguments.first else { return true }
        switch word.text.lowercased() {
        case "yes", "on", "true": return true
        case "no", "off", "false": return false
        default:
            diagnostics.error("bad-value", at: word.location, "'\(s.name) \(word.text)': expected yes/no, on/off or true/false")
            return nil
        }
    }

    /// A keyword without a block was given one.
    func blockNotExpected(_ s: Statement) {
        diagnostics.error("unexpected-block", at: s.location, "'\(s.name)' does not take a block")
    }

    func blockExpected(_ s: Statement) -> [Statement]? {
        guard let block = s.block else {
            diagnostics.error("missing-block", at: s.location, "'\(s.name)' needs a block '{ … }'")
            return nil
        }
        return block
    }

    func integer(_ s: Statement, _ range: ClosedRange<Int>, what: String? = nil) -> Int? {
        guard let args = arguments(s, 1...1, "a number from \(range.lowerBound) to \(range.upperBound)") else { return nil }
        return integer(args[0], range, what: what ?? s.name)
    }

    func integer(_ token: Token, _ range: ClosedRange<Int>, what: String) -> Int? {
        guard let value = Int(token.text), range.contains(value) else {
            diagnostics.error("out-of-range", at: token.location,
                              "\(what) '\(token.text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    /// A time in seconds with up to six decimals, as keepalived writes timers.
    func seconds(_ s: Statement, _ range: ClosedRange<Double>) -> Microseconds? {
        guard let args = arguments(s, 1...1, "a time in seconds") else { return nil }
        return seconds(args[0], range, what: s.name)
    }

    func seconds(_ token: Token, _ range: ClosedRange<Double>, what: String) -> Microseconds? {
        guard let value = Self.parseSeconds(token.text),
              Double(value) / 1_000_000 >= range.lowerBound, Double(value) / 1_000_000 <= range.upperBound else {
            diagnostics.error("out-of-range", at: token.location,
                              "\(what) '\(token.text)' is not a time from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound)) seconds")
            return nil
        }
        return value
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Parses `1`, `0.01`, `1.5` into microseconds exactly (no binary floating point).
    static func parseSeconds(_ text: String) -> Microseconds? {
        let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        var micro: Int64 = 0
        var wholeDigits = 0
        var fractionDigits = -1  // -1: no '.' seen
        var scale: Int64 = 100_000  // the weight of the next fraction digit
        for c in text.utf8 {
            if c == UInt8(ascii: ".") {
                guard fractionDigits < 0 else { return nil }
                fractionDigits = 0
            } else if digit.contains(c) {
                if fractionDigits < 0 {
                    wholeDigits += 1
                    guard wholeDigits <= 9 else { return nil }
                    micro = micro * 10 + Int64(c - digit.lowerBound) * 1_000_000
                } else {
                    fractionDigits += 1
                    guard fractionDigits <= 6 else { return nil }
                    micro += Int64(c - digit.lowerBound) * scale
                    scale /= 10
                }
            } else {
                return nil
            }
        }
        // "" and "." are not times; "5." is not either (keepalived's strtod would take it,
        // but a trailing dot is a typo worth reporting); ".5" is.
        guard wholeDigits > 0 || fractionDigits > 0, fractionDigits != 0 else { return nil }
        return micro
    }

    func address(_ token: Token, what: String) -> IPAddress? {
        guard let address = IPAddress(token.text) else {
            diagnostics.error("bad-address", at: token.location, "\(what) '\(token.text)' is not an IPv4 or IPv6 address")
            return nil
        }
        return address
    }

    func port(_ token: Token) -> Int? {
        integer(token, 0...65535, what: "port")
    }

    /// A command line: the arguments as one string, quoted words kept quoted.
    func command(_ s: Statement) -> String? {
        guard let args = arguments(s, 1...Int.max, "a script path") else { return nil }
        if args.count == 1 { return args[0].text }
        return args.map { $0.quoted ? "\"\($0.text)\"" : $0.text }.joined(separator: " ")
    }

    func word(_ s: Statement, _ usage: String) -> String? {
        arguments(s, 1...1, usage)?.first?.text
    }

    func scriptUser(_ s: Statement) -> ScriptUser? {
        guard let args = arguments(s, 1...2, "a user name and optionally a group") else { return nil }
        return ScriptUser(user: args[0].text, group: args.count > 1 ? args[1].text : nil)
    }
}
