/// keepalived's preprocessing, applied line by line before parsing: line continuation,
/// `@ID` / `@^ID` conditional lines, `$NAME=value` definitions with `$NAME` / `${NAME}`
/// expansion (a definition ending in `\` spans several lines), keepalived 2.4's
/// `${_ENV NAME}` (the environment variable NAME), `~SEQ(var, start, step, end)`
/// repetition, and `include` with globs relative to the including file.
///
/// The result is one flat token stream with `.newline` between logical lines; every token
/// keeps the location it was written at (an expanded macro takes the location of its use).
struct Preprocessor {
    private let reader: SourceReader
    private let diagnostics: DiagnosticEngine
    private let configID: String?
    /// The config id every Vigil selects, beside its own.
    static let vigilID = "vigil"
    /// What `${_ENV NAME}` reads: the environment the configuration is read in.
    private let environment: (String) -> String?
    private var definitions: [String: String] = [:]
    private var includeStack: [String] = []
    private(set) var tokens: [Token] = []
    /// Every file read, in order (for `--dump` provenance and tests).
    private(set) var files: [String] = []

    static let maximumIncludeDepth = 32
    static let maximumExpansionDepth = 16
    static let maximumSequenceLength = 65536

    init(reader: SourceReader, diagnostics: DiagnosticEngine, configID: String?, environment: @escaping (String) -> String? = { _ in nil }) {
        self.reader = reader
        self.diagnostics = diagnostics
        self.configID = configID
        self.environment = environment
    }

    /// Reads the main file; an unreadable main file is thrown (an I/O error, not a
    /// configuration error), an unreadable include is a located diagnostic.
    mutating func run(mainFile: String) throws {
        let bytes = try reader.read(mainFile)
        process(bytes, path: mainFile)
    }

    private mutating func process(_ bytes: [UInt8], path: String) {
        let canonical = reader.canonicalPath(path)
        includeStack.append(canonical)
        defer { includeStack.removeLast() }
        files.append(path)
        diagnostics.noteFile(path)

        var segments: [[Token]] = []
        var scratch: [UInt8] = []
        var lineNumber = 0
        var start = bytes.startIndex
        let newline = UInt8(ascii: "\n")
        if tokens.isEmpty { tokens.reserveCapacity(bytes.count / 5) }
        while start <= bytes.endIndex {
            let end = bytes[start...].firstIndex(of: newline) ?? bytes.endIndex
            lineNumber += 1
            // Lexed straight into the output: the common line (no directive, nothing to
            // expand) stays there; any other is taken back out and preprocessed.
            let mark = tokens.count
            let line = Lexer.lex(bytes[start..<end], file: path, line: lineNumber, into: &tokens, scratch: &scratch)
            if let quote = line.unterminatedQuote {
                diagnostics.error("unterminated-quote", at: quote, "unterminated quoted string")
            }
            if segments.isEmpty, !line.continues, isPlain(tokens[mark...]) {
                if tokens.count > mark { tokens.append(Token(.newline, "", at: tokens[tokens.count - 1].location)) }
            } else {
                segments.append(Array(tokens[mark...]))
                tokens.removeSubrange(mark...)
                if !line.continues {
                    logicalLine(segments)
                    segments.removeAll(keepingCapacity: true)
                }
            }
            if end == bytes.endIndex { break }
            start = end + 1
        }
        if !segments.isEmpty { logicalLine(segments) }
    }

    // MARK: - One logical line

    /// A line the preprocessor passes on unchanged: it starts with no directive and, when
    /// names are defined, holds no `$` to expand.
    private func isPlain(_ line: ArraySlice<Token>) -> Bool {
        guard let first = line.first else { return true }
        if first.kind == .word, !first.quoted, Self.isDirective(first.text) { return false }
        // Not only with definitions: `${_ENV NAME}` needs none.
        return !line.contains { $0.kind == .word && $0.text.utf8.contains(UInt8(ascii: "$")) }
    }

    private mutating func logicalLine(_ segments: [[Token]]) {
        var segments = segments
        guard let first = segments.lazy.flatMap({ $0 }).first else { return }

        // @ID / @^ID: keep the rest of the line only when the config id matches (or not).
        if first.kind == .word, !first.quoted, first.text.hasPrefix("@") {
            let reversed = first.text.hasPrefix("@^")
            let id = String(first.text.dropFirst(reversed ? 2 : 1))
            if let s = segments.firstIndex(where: { !$0.isEmpty }) { segments[s].removeFirst() }
            // `@vigil` lines are Vigil's whatever the config id: keepalived skips them (its
            // config id is the host's name), so a file can carry Vigil's own keywords.
            if (configID == id || id == Self.vigilID) == reversed { return }
            guard segments.contains(where: { !$0.isEmpty }) else { return }
            logicalLine(segments)
            return
        }

        // $NAME=value defines; the value is the rest of the line, continued lines included.
        if first.kind == .word, !first.quoted, first.text.hasPrefix("$"),
           let equals = first.text.firstIndex(of: "=") {
            let name = String(first.text[first.text.index(after: first.text.startIndex)..<equals])
            if Self.isValidName(name) {
                var lines: [String] = []
                for (n, segment) in segments.enumerated() {
                    var words = segment
                    var head = ""
                    if n == 0 {
                        words.removeFirst()
                        head = String(first.text[first.text.index(after: equals)...])
                    }
                    let rest = words.map(Self.sourceText).joined(separator: " ")
                    lines.append([head, rest].filter { !$0.isEmpty }.joined(separator: " "))
                }
                definitions[name] = lines.filter { !$0.isEmpty }.joined(separator: "\n")
                return
            }
        }

        let tokens = segments.flatMap { $0 }
        if first.kind == .word, !first.quoted, first.text.hasPrefix("~SEQ") {
            sequence(tokens)
            return
        }
        if first.kind == .word, !first.quoted, first.text.hasPrefix("~LST") {
            diagnostics.warning("unsupported", at: first.location,
                                "'~LST' is recognised, not supported by vigil yet; line ignored")
            return
        }
        let expanded = expand(tokens, depth: 0)
        if let head = expanded.first, head.kind == .word, !head.quoted, head.text.hasPrefix("~SEQ") {
            // A definition whose value is a `~SEQ` line: keepalived expands, then repeats.
            sequence(expanded)
            return
        }
        emit(expanded)
    }

    /// Emits expanded tokens, which a multi-line definition may have split into several lines.
    private mutating func emit(_ expanded: [Token]) {
        var line: [Token] = []
        for token in expanded {
            if token.kind == .newline {
                emitLine(line)
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(token)
            }
        }
        emitLine(line)
    }

    private mutating func emitLine(_ line: [Token]) {
        guard let first = line.first else { return }
        if first.kind == .word, !first.quoted, let variant = Self.includeVariant(first.text) {
            include(line, strictGlob: variant == "w" || variant == "a")
            return
        }
        tokens.append(contentsOf: line)
        tokens.append(Token(.newline, "", at: line[line.count - 1].location))
    }

    /// A word that, unquoted at the start of a line, the preprocessor reads as a directive
    /// (`@ID`, `$NAME=` or `$NAME`, `~SEQ`/`~LST`, the `include` family), not as a keyword.
    static func isDirective(_ word: String) -> Bool {
        switch word.utf8.first {
        case UInt8(ascii: "@"), UInt8(ascii: "$"), UInt8(ascii: "~"): return true
        default: return includeVariant(word) != nil
        }
    }

    // MARK: - include

    /// `include` and keepalived's stricter spellings `includer`, `includem`, `includew`,
    /// `includeb`, `includea`: nil for any other word, else the letter ("" for plain).
    /// Vigil already treats an unreadable or missing named file as an error; `w` and `a`
    /// also make a pattern that matches nothing an error.
    static func includeVariant(_ word: String) -> String? {
        guard word.hasPrefix("include") else { return nil }
        let rest = word.dropFirst(7)
        if rest.isEmpty { return "" }
        return rest.count == 1 && "rmwba".contains(rest) ? String(rest) : nil
    }

    private mutating func include(_ line: [Token], strictGlob: Bool) {
        let keyword = line[0]
        let patterns = line.dropFirst()
        if patterns.isEmpty {
            diagnostics.error("include-missing-file", at: keyword.location, "'\(keyword.text)' needs a file name or pattern")
            return
        }
        for pattern in patterns {
            guard pattern.kind == .word else {
                diagnostics.error("include-syntax", at: pattern.location, "unexpected '\(pattern.text)' in include")
                continue
            }
            let resolved = Self.resolve(pattern.text, relativeTo: pattern.location.file)
            let matches = reader.glob(resolved)
            if matches.isEmpty {
                if Self.isGlob(pattern.text), !strictGlob {
                    diagnostics.warning("include-no-match", at: pattern.location,
                                        "include pattern '\(pattern.text)' matches no file (looked for \(resolved))")
                } else if Self.isGlob(pattern.text) {
                    diagnostics.error("include-no-match", at: pattern.location,
                                      "'\(keyword.text)' pattern '\(pattern.text)' matches no file (looked for \(resolved))")
                } else {
                    diagnostics.error("include-not-found", at: pattern.location,
                                      "include file '\(pattern.text)' not found (looked for \(resolved))")
                }
                continue
            }
            for match in matches {
                let canonical = reader.canonicalPath(match)
                if includeStack.contains(canonical) {
                    diagnostics.error("include-loop", at: pattern.location,
                                      "include loop: '\(match)' is already being read")
                    continue
                }
                if includeStack.count >= Self.maximumIncludeDepth {
                    diagnostics.error("include-depth", at: pattern.location,
                                      "includes nested deeper than \(Self.maximumIncludeDepth) levels")
                    continue
                }
                do {
                    let bytes = try reader.read(match)
                    process(bytes, path: match)
                } catch {
                    diagnostics.error("include-unreadable", at: pattern.location, "\(error)")
                }
            }
        }
    }

    static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let slash = file.lastIndex(of: "/") else { return path }
        return String(file[...slash]) + path
    }

    static func isGlob(_ pattern: String) -> Bool {
        pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    // MARK: - $NAME expansion

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    private static func isNameCharacter(_ c: Character) -> Bool {
        c == "_" || (c.isASCII && (c.isLetter || c.isNumber))
    }

    /// The text a token would be written as in a definition's value.
    private static func sourceText(_ token: Token) -> String {
        token.quoted ? "\"\(token.text)\"" : token.text
    }

    /// Replaces every defined `$NAME` / `${NAME}`; undefined names stay as written, since a
    /// `$` is also at home in a shell command. With `multiLine` false, a definition of
    /// several lines stays as written too: keepalived expands one only where its name ends
    /// the line, which a name inside quotes never does.
    /// keepalived 2.4's standard definition `${_ENV NAME}`: the value of the environment
    /// variable NAME, empty when it is not set (as keepalived; Vigil says so). `inner` is
    /// what stands between the braces. Nil when it is no use of `_ENV` (a definition of
    /// `_ENV` written in the file takes its place, as in keepalived). Like keepalived, the
    /// parameter is a name of letters, digits and `_`, and there is exactly one.
    private func environmentValue(_ inner: Substring, at location: SourceLocation?) -> String? {
        guard definitions["_ENV"] == nil, inner.hasPrefix("_ENV"),
              inner.dropFirst(4).first.map({ $0 == " " || $0 == "\t" }) == true else { return nil }
        let parameters = inner.dropFirst(4).split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard !parameters.isEmpty, parameters.allSatisfy({ $0.allSatisfy(Self.isNameCharacter) }),
              inner.last.map(Self.isNameCharacter) == true else { return nil }
        guard parameters.count == 1 else {
            if let location {
                diagnostics.error("env-syntax", at: location, "'${\(inner)}': _ENV takes one environment variable name, not \(parameters.count)")
            }
            return nil
        }
        let name = String(parameters[0])
        guard let value = environment(name) else {
            if let location {
                diagnostics.warning("env-unset", at: location, "environment variable \(name) is not set: '${_ENV \(name)}' is empty (as in keepalived)")
            }
            return ""
        }
        return value
    }

    private func substitute(_ text: String, multiLine: Bool = true, at location: SourceLocation? = nil) -> String? {
        var result = ""
        var changed = false
        var i = text.startIndex
        while let dollar = text[i...].firstIndex(of: "$") {
            result += text[i..<dollar]
            var nameStart = text.index(after: dollar)
            var nameEnd = nameStart
            var after = nameStart
            if nameStart < text.endIndex, text[nameStart] == "{" {
                nameStart = text.index(after: nameStart)
                if let close = text[nameStart...].firstIndex(of: "}") {
                    nameEnd = close
                    after = text.index(after: close)
                } else {
                    nameEnd = nameStart
                    after = nameStart
                }
            } else {
                nameEnd = text[nameStart...].firstIndex(where: { !Self.isNameCharacter($0) }) ?? text.endIndex
                after = nameEnd
                // keepalived expands a bare $NAME only when a blank or the end of the line
                // follows it; `$ADDR/24` stays as written (use `${ADDR}/24`).
                if nameEnd != text.endIndex { nameEnd = nameStart }
            }
            if nameEnd > nameStart, let value = definitions[String(text[nameStart..<nameEnd])],
               multiLine || !value.contains("\n") {
                result += value
                changed = true
                i = after
            } else if nameEnd > nameStart, after > nameEnd, let value = environmentValue(text[nameStart..<nameEnd], at: location) {
                result += value
                changed = true
                i = after
            } else {
                result.append("$")
                i = text.index(after: dollar)
            }
        }
        result += text[i...]
        return changed ? result : nil
    }

    /// A definition that keeps expanding: too deep (it uses itself) or too large (each
    /// level using the one below several times grows exponentially). Said once, at the
    /// word that started it, and that word is dropped.
    private struct RunawayExpansion: Error {
        var message: String
    }

    /// Words one written word may expand to, all levels together.
    static let maximumExpansionWords = 65536

    private func expand(_ tokens: [Token], depth: Int) -> [Token] {
        var out: [Token] = []
        out.reserveCapacity(tokens.count)
        for token in tokens {
            guard token.kind == .word, token.text.contains("$") else {
                out.append(token)
                continue
            }
            var budget = Self.maximumExpansionWords
            do {
                out.append(contentsOf: try expandNested([token], depth: depth, budget: &budget))
            } catch {
                diagnostics.error("macro-recursion", at: token.location, error.message)
            }
        }
        return out
    }

    private func expandNested(_ tokens: [Token], depth: Int, budget: inout Int) throws(RunawayExpansion) -> [Token] {
        var out: [Token] = []
        for token in tokens {
            guard token.kind == .word, token.text.contains("$"),
                  let text = substitute(token.text, multiLine: !token.quoted, at: token.location) else {
                budget -= 1
                guard budget >= 0 else {
                    throw RunawayExpansion(message: "definitions expand this word to more than \(Self.maximumExpansionWords) words (a definition that uses another several times, nested?)")
                }
                out.append(token)
                continue
            }
            if depth >= Self.maximumExpansionDepth {
                throw RunawayExpansion(message: "definitions nest deeper than \(Self.maximumExpansionDepth) levels (a definition that uses itself?)")
            }
            if token.quoted {
                // keepalived replaces names in the line's text, inside quotes too, before it
                // splits the line into words, and looks at the replacement again. So the
                // value is read where it stands: a `"` in it closes the quoted piece (or
                // opens another) like any quote written there. Without one, this is the
                // same quoted word with the value in it.
                let lexed = Lexer.lex(Array(("\"" + text + "\"").utf8)[...], file: token.location.file,
                                      line: token.location.line)
                let moved = lexed.tokens.map { t -> Token in
                    var t = t
                    t.location = token.location
                    return t
                }
                out.append(contentsOf: try expandNested(moved, depth: depth + 1, budget: &budget))
                continue
            }
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if n > 0 { out.append(Token(.newline, "", at: token.location)) }
                let lexed = Lexer.lex(Array(line.utf8)[...], file: token.location.file, line: token.location.line)
                let moved = lexed.tokens.map { t -> Token in
                    var t = t
                    t.location = token.location
                    return t
                }
                out.append(contentsOf: try expandNested(moved, depth: depth + 1, budget: &budget))
            }
        }
        return out
    }

    // MARK: - ~SEQ

    /// `~SEQ(var, end)`, `~SEQ(var, start, end)`, `~SEQ(var, start, step, end)` followed by a
    /// line that is repeated with `$var` set to each value; `~SEQx` writes values in hex.
    private mutating func sequence(_ tokens: [Token]) {
        let head = tokens[0]
        let joined = tokens.map(\.text).joined(separator: " ")
        guard let open = joined.firstIndex(of: "("), let close = joined.firstIndex(of: ")"), open < close else {
            diagnostics.error("seq-syntax", at: head.location, "invalid ~SEQ: expected ~SEQ(var, start, step, end) followed by a line")
            return
        }
        let hex = joined[joined.index(joined.startIndex, offsetBy: 4)] == "x"
        let parameters = joined[joined.index(after: open)..<close]
            .split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " \t") }
        let variable = parameters.first ?? ""
        let numbers = parameters.dropFirst().map { substitute($0) ?? $0 }.map(Self.integer)
        guard Self.isValidName(variable), (1...3).contains(numbers.count), numbers.allSatisfy({ $0 != nil }) else {
            diagnostics.error("seq-syntax", at: head.location, "invalid ~SEQ parameters '\(joined[open...close])'")
            return
        }
        let values = numbers.map { $0! }
        var (start, step, last): (Int, Int, Int)
        switch values.count {
        case 1: last = values[0]; start = last < 0 ? -1 : 1; step = last < 1 ? -1 : 1
        case 2: start = values[0]; last = values[1]; step = start <= last ? 1 : -1
        default: start = values[0]; step = values[1]; last = values[2]
        }
        if step == 0 || (start < last && step < 0) || (start > last && step > 0) {
            diagnostics.error("seq-values", at: head.location, "~SEQ never reaches \(last) from \(start) in steps of \(step)")
            return
        }
        if hex && (start < 0 || last < 0) {
            diagnostics.error("seq-values", at: head.location, "~SEQx takes only non-negative numbers")
            return
        }
        // Values near Int64's limits: the span (and the value after the last) may not fit.
        let (span, spanOverflows) = last.subtractingReportingOverflow(start)
        let count = spanOverflows ? Int.max : span / step + 1
        if count > Self.maximumSequenceLength {
            let lines = spanOverflows ? "more than \(Int.max)" : "\(count)"
            diagnostics.error("seq-values", at: head.location, "~SEQ of \(lines) lines is longer than the limit of \(Self.maximumSequenceLength)")
            return
        }
        // The repeated text: everything after the ')' token.
        var body: [Token] = []
        var seenClose = false
        for token in tokens {
            if seenClose { body.append(token); continue }
            if let p = token.text.firstIndex(of: ")") {
                seenClose = true
                let rest = token.text[token.text.index(after: p)...]
                if !rest.isEmpty {
                    let lexed = Lexer.lex(Array(rest.utf8)[...], file: token.location.file, line: token.location.line)
                    body.append(contentsOf: lexed.tokens.map { var t = $0; t.location = token.location; return t })
                }
            }
        }
        let saved = definitions[variable]
        defer { definitions[variable] = saved }
        for k in 0..<count {
            // start + k·step stays between start and last, so it fits.
            let value = start + k * step
            definitions[variable] = hex ? String(value, radix: 16) : String(value)
            emit(expand(body, depth: 0))
        }
    }

    private static func integer(_ text: String) -> Int? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return Int(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("-0x") { return Int(text.dropFirst(3), radix: 16).map { -$0 } }
        return Int(text)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
