import ArgumentParser
import VigilConfig

/// `vigil check --list-keywords` (hidden): every keyword of keepalived.conf as the catalog
/// lists it, with what this build of Vigil does with it. The manual page vigil.conf(5) is
/// generated from this list, so it cannot drift from the reader.
///
/// The status is measured, not declared: each block of the catalog is written out once with
/// all its keywords (no arguments) inside the blocks that lead to it, and read by the same
/// loader `vigil check` uses. A keyword the reader does not implement is reported at its
/// line as recognised but not supported; every other keyword is taken by the reader (an
/// error about its missing argument still means it is read). A block whose opening keyword
/// is not supported makes every keyword inside it unsupported too.
///
/// Output: one line per keyword, tab-separated: BLOCK, KEYWORD, STATUS, NOTE, where BLOCK
/// is the keyword(s) opening the block ("-" at the top level), STATUS is `supported` or
/// `unsupported`, and NOTE names the keyword an older spelling stands for, says that the
/// keyword is Vigil's own (keepalived would reject it) or which keepalived release after
/// 2.2.7 added it, or is empty.
struct KeywordList: ParsableArguments {
    @Flag(name: .customLong("list-keywords"), help: .hidden)
    var listKeywords = false

    func validate() throws {
        guard listKeywords else { return }
        print(KeywordList.table(), terminator: "")
        throw ExitCode.success
    }

    /// Arguments for a block's opening keyword where keepalived wants a name or address.
    private static let openerArguments: [String: String] = [
        "vrrp_instance": "VI_1", "vrrp_script": "chk", "vrrp_track_process": "proc",
        "vrrp_sync_group": "G1", "track_group": "TG", "track_file": "tf",
        "bfd_instance": "bfd1", "virtual_server": "192.0.2.1 80", "real_server": "192.0.2.2 80",
    ]

    /// The chain of opening keywords from the top level to each block kind (the first way
    /// found, breadth first, preferring current spellings).
    private static func paths() -> [BlockKind: [String]] {
        var paths: [BlockKind: [String]] = [.root: []]
        var queue: [BlockKind] = [.root]
        while !queue.isEmpty {
            let kind = queue.removeFirst()
            for entry in KeywordCatalog.keywords(in: kind) where entry.replacement == nil {
                guard case let .block(child) = entry.shape, paths[child] == nil else { continue }
                paths[child] = paths[kind]! + [entry.name]
                queue.append(child)
            }
        }
        return paths
    }

    /// Every keyword that opens a block of the given kind, in catalog order ("HTTP_GET, SSL_GET").
    private static func openers(of kind: BlockKind) -> String {
        var names: [String] = []
        for parent in BlockKind.allCases {
            for entry in KeywordCatalog.keywords(in: parent) where entry.shape == .block(kind) && !names.contains(entry.name) {
                names.append(entry.name)
            }
        }
        return names.joined(separator: ", ")
    }

    static func table() -> String {
        let paths = paths()
        var out = ""
        for kind in BlockKind.allCases {
            let entries = KeywordCatalog.keywords(in: kind)
            guard let path = paths[kind], !entries.isEmpty else { continue }
            // The probe: the path's openers, then one keyword per line, then the closing braces.
            var lines: [String] = []
            for opener in path {
                lines.append([opener, openerArguments[opener], "{"].compactMap { $0 }.joined(separator: " "))
            }
            let firstKeywordLine = lines.count + 1
            for entry in entries {
                switch entry.shape {
                case .leaf: lines.append(entry.name)
                case .list: lines.append("\(entry.name) {\n}")
                case .block: lines.append([entry.name, openerArguments[entry.name], "{\n}"].compactMap { $0 }.joined(separator: " "))
                }
            }
            lines.append(contentsOf: path.map { _ in "}" })
            let text = lines.joined(separator: "\n") + "\n"
            let result = ConfigurationLoader.load(text: text, path: "probe.conf")
            let unsupportedLines = Set(result.diagnostics
                .filter { $0.id == "unsupported" || $0.id == "deprecated" }
                .map(\.location.line))
            let blockUnsupported = path.indices.contains { unsupportedLines.contains($0 + 1) }
            // Physical line of each keyword: lists and blocks take two lines.
            var line = firstKeywordLine
            let block = kind == .root ? "-" : openers(of: kind)
            for entry in entries {
                let supported = !blockUnsupported && !unsupportedLines.contains(line)
                var notes = entry.replacement.map { ["older spelling of \($0)"] } ?? []
                if entry.isVigilExtension { notes.append("Vigil's own; keepalived does not know it") }
                if let since = entry.since { notes.append("keepalived \(since); 2.2.7 does not know it") }
                let note = notes.joined(separator: "; ")
                out += "\(block)\t\(entry.name)\t\(supported ? "supported" : "unsupported")\t\(note)\n"
                line += entry.shape == .leaf ? 1 : 2
            }
        }
        return out
    }
}
