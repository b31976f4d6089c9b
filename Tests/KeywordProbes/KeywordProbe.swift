import VigilConfig

/// One keyword of the catalog written, with a plausible argument, into the smallest
/// configuration in which it can take effect, and the same configuration without it.
///
/// Why: a keyword Vigil reads must either change what it does or be reported as
/// "recognised, not supported"; a keyword read and then dropped looks accepted while the
/// operator's setting is lost. Loading both variants and comparing what comes out (the
/// model, the daemon's plan) tells the two apart for every keyword at once, and a keyword
/// added to the catalog is covered without a new test.
///
/// The keyword's lines become comment lines in `without`, so every other line keeps its
/// number (and the diagnostics their lines).
public struct KeywordProbe: Sendable, CustomStringConvertible {
    public let kind: BlockKind
    public let keyword: String
    /// The configuration with the keyword.
    public let with: String
    /// The same configuration with the keyword's lines commented out.
    public let without: String
    /// The line the keyword is written on.
    public let line: Int
    /// The lines opening the blocks around the keyword: a block reported as not supported
    /// leaves everything inside it unsupported too.
    public let enclosingLines: [Int]

    public var description: String { "\(kind == .root ? "top level" : kind.rawValue): \(keyword)" }

    /// Where the configuration is read from, and the file the `include` family reads.
    public static let mainFile = "/cfg/keepalived.conf"
    public static let includedFile = "/cfg/included.conf"
    static let includedText = "vrrp_script included {\n    script /bin/true\n}\n"

    public func load(_ text: String) -> ConfigurationLoader.Result {
        let reader = InMemorySourceReader([Self.mainFile: text, Self.includedFile: Self.includedText])
        // The in-memory reader always has the main file, so this cannot throw.
        return try! ConfigurationLoader.load(path: Self.mainFile, reader: reader)
    }

    /// Reported as recognised but not supported (or as an older spelling, which is also
    /// not supported) at its own line or at a block around it.
    public func isReportedUnsupported(_ result: ConfigurationLoader.Result) -> Bool {
        let lines = Set([line] + enclosingLines)
        return result.diagnostics.contains { ($0.id == "unsupported" || $0.id == "deprecated") && lines.contains($0.location.line) }
    }

    /// Every keyword of every block of the catalog.
    public static var all: [KeywordProbe] {
        BlockKind.allCases.flatMap { kind in KeywordCatalog.keywords(in: kind).map { make($0, in: kind) } }
    }

    public static func make(_ entry: KeywordEntry, in kind: BlockKind) -> KeywordProbe {
        let frame = ProbeFrame.of(kind)
        let use = ProbeUse.of(entry.name, in: kind)
        var lines = [entry.name + (use.arguments.isEmpty ? "" : " " + use.arguments)]
        switch entry.shape {
        case .leaf:
            break
        case .list:
            lines[0] += " {"
            lines += (use.body ?? []) + ["}"]
        case let .block(child):
            lines[0] += " {"
            lines += (use.body ?? ProbeFrame.of(child).required.flatMap(\.lines)) + ["}"]
        }
        // A keyword the block needs anyway is written once, as the probe.
        let required = frame.required.filter { $0.keyword != entry.name }.flatMap(\.lines)
        let before = frame.openers + required + use.context
        let after = frame.closers + use.extra
        let commented = lines.map { "# " + $0 }
        let enclosing = frame.openers.indices.filter { frame.openers[$0].hasSuffix("{") }.map { $0 + 1 }
        return KeywordProbe(kind: kind, keyword: entry.name,
                            with: (before + lines + after).joined(separator: "\n") + "\n",
                            without: (before + commented + after).joined(separator: "\n") + "\n",
                            line: before.count + 1, enclosingLines: enclosing)
    }
}
