import Testing
import KeywordProbes
@testable import VigilConfig

/// The three places a keyword name is spelled agree, block by block: the catalog
/// (`KeywordCatalog`: what keepalived knows, for "recognised, not supported" and "did you
/// mean"), the readers (each reader switches over its block's `ImplementedKeyword` enum,
/// so the compiler already holds a reader's switch to its list), and the `Dumper` (what
/// `--dump` writes). A keyword read but unknown to the catalog would be accepted where
/// keepalived rejects it; one in the catalog that a reader claims but declines would be
/// reported as not supported although listed as read; one dumped under a name the block
/// does not know would not read back.
@Suite struct KeywordAgreementTests {
    /// Every keyword a reader implements is a keyword keepalived knows in that block, and
    /// each block has one reader's list.
    @Test func everyImplementedKeywordIsInTheCatalogOfItsBlock() {
        var unknown: [String] = []
        for block in ImplementedKeywords.blocks {
            let known = Set(KeywordCatalog.names(in: block))
            for name in ImplementedKeywords.names(in: block) + ImplementedKeywords.reportedUnsupported(in: block)
            where !known.contains(name) {
                unknown.append("\(block.rawValue): \(name)")
            }
        }
        #expect(unknown.isEmpty, "read by Vigil, but not a keyword of its block in the catalog: \(unknown)")
        let blocks = ImplementedKeywords.blocks
        #expect(Set(blocks).count == blocks.count, "two keyword lists for one block: \(blocks)")
        // The include family is the preprocessor's, on any line; the catalog lists it at
        // the top level. `includeVariant` takes `include` and one letter after it.
        let includes = ([""] + "abcdefghijklmnopqrstuvwxyz".map(String.init)).map { "include" + $0 }
            .filter { Preprocessor.includeVariant($0) != nil }
        #expect(Set(includes).isSubset(of: KeywordCatalog.names(in: .root)), "\(includes)")
    }

    /// Keywords accepted for some values only; each probe writes another value (so it is
    /// reported as not supported), and the value given here must be accepted.
    static let acceptedForSomeValues: [String: String] = [
        // Vigil speaks on the RFCs' groups only; another group is recognised, not supported.
        "global_defs: vrrp_mcast_group4": "global_defs {\n    vrrp_mcast_group4 224.0.0.18\n}\n",
        "global_defs: vrrp_mcast_group6": "global_defs {\n    vrrp_mcast_group6 ff02::12\n}\n",
    ]

    /// Every keyword of the catalog, written in a minimal configuration, is taken by the
    /// reader exactly when the reader's list has it: reported as recognised, not supported
    /// when it does not, never when it does, and never as an unknown keyword.
    @Test func theCatalogsKeywordsAreReadExactlyWhereAReaderListsThem() {
        var claimedButDeclined: [String] = []
        var readButUnlisted: [String] = []
        var calledUnknown: [String] = []
        for probe in KeywordProbe.all {
            let result = probe.load(probe.with)
            let listed = ImplementedKeywords.names(in: probe.kind).contains(probe.keyword)
                || (probe.kind == .root && Preprocessor.includeVariant(probe.keyword) != nil)
            let unsupported = probe.isReportedUnsupported(result)
            if result.diagnostics.contains(where: { $0.id == "unknown-keyword" && $0.location.line == probe.line }) {
                calledUnknown.append(probe.description)
            }
            if let accepted = Self.acceptedForSomeValues[probe.description] {
                let other = ConfigurationLoader.load(text: accepted)
                if !listed || other.diagnostics.contains(where: { ["unsupported", "deprecated", "unknown-keyword"].contains($0.id) }) {
                    claimedButDeclined.append("\(probe) (as \(accepted.debugDescription))")
                }
                continue
            }
            if listed && unsupported { claimedButDeclined.append(probe.description) }
            if !listed && !unsupported { readButUnlisted.append(probe.description) }
        }
        #expect(claimedButDeclined.isEmpty, "in a reader's keyword list, yet reported as not supported: \(claimedButDeclined)")
        #expect(readButUnlisted.isEmpty, "read without being in a reader's keyword list: \(readButUnlisted)")
        #expect(calledUnknown.isEmpty, "catalog keywords reported as unknown in their own block: \(calledUnknown)")
        for name in Self.acceptedForSomeValues.keys {
            #expect(KeywordProbe.all.contains { $0.description == name }, "no probe for \(name)")
        }
    }

    /// The statements of a dump, as the parser reads them back.
    static func statements(_ text: String) -> [Statement] {
        let diagnostics = DiagnosticEngine()
        var preprocessor = Preprocessor(reader: InMemorySourceReader(["/dump.conf": text]), diagnostics: diagnostics, configID: nil)
        try? preprocessor.run(mainFile: "/dump.conf")
        return Parser.parse(preprocessor.tokens, diagnostics: diagnostics)
    }

    /// Each keyword the Dumper wrote, as "BLOCK: KEYWORD" (the probes' naming), and those the
    /// catalog does not know in the block they are written in. Statements at `kept` lines
    /// were written back as they stood (not supported, reported again on reading the dump):
    /// their names are the operator's, not the Dumper's.
    static func dumpedKeywords(_ statements: [Statement], in kind: BlockKind, kept: Set<Int>,
                               into names: inout Set<String>, unknown: inout [String]) {
        for s in statements where !kept.contains(s.location.line) {
            guard let entry = KeywordCatalog.entry(s.name, in: kind) else {
                unknown.append("\(kind.rawValue): \(s.name)")
                continue
            }
            names.insert("\(kind == .root ? "top level" : kind.rawValue): \(s.name)")
            if case let .block(child) = entry.shape, let inner = s.block {
                dumpedKeywords(inner, in: child, kept: kept, into: &names, unknown: &unknown)
            }
        }
    }

    /// Implemented keywords the Dumper writes under another spelling (or not at all, being
    /// the default), as "BLOCK: KEYWORD" with what it writes instead.
    static let dumpedAs: [String: String] = [
        "top level: vrrp_track_file": "track_file",
        "global_defs: lvs_flush_onstop": "lvs_flush_on_stop",
        "global_defs: vrrp_mcast_group4": "nothing: only the default group is accepted",
        "global_defs: vrrp_mcast_group6": "nothing: only the default group is accepted",
        "vrrp_instance: preempt": "nothing: preemption is the default (nopreempt otherwise)",
        "vrrp_sync_group: global_tracking": "sync_group_tracking_weight",
        "vrrp_track_process: delay": "fork_delay and terminate_delay",
        "virtual_server: lvs_sched": "lb_algo",
        "virtual_server: lvs_method": "lb_kind",
        "HTTP_GET: nb_get_retry": "retry",
        "global_defs: vrrp_min_garp": "the vrrp_garp_master_* settings it changes",
        "global_defs: vrrp_vmac_garp_intvl": "vrrp_garp_extra_if",
        "vrrp_instance: vmac_garp_intvl": "garp_extra_if",
    ]

    /// What `--dump` writes is read back as the same model, every keyword of it is one the
    /// catalog knows in its block and the reader implements (reading the dump back reports
    /// nothing as unknown or unsupported that the original did not), and every keyword a
    /// reader implements is written by the Dumper, under its own name or one in `dumpedAs`.
    @Test func theDumperWritesEveryImplementedKeywordAndOnlyThose() {
        var dumped: Set<String> = []
        var unknown: [String] = []
        var notReadBack: [String] = []
        for probe in KeywordProbe.all {
            let original = probe.load(probe.with)
            let text = Dumper.dump(original.configuration)
            let again = ConfigurationLoader.load(text: text, path: "/dump.conf")
            let kept = Set(again.diagnostics.filter { ["unsupported", "deprecated"].contains($0.id) }.map(\.location.line))
            Self.dumpedKeywords(Self.statements(text), in: .root, kept: kept, into: &dumped, unknown: &unknown)
            let noted = ["unknown-keyword", "unsupported", "deprecated"]
            let before = original.diagnostics.filter { noted.contains($0.id) }.count
            let after = again.diagnostics.filter { noted.contains($0.id) }.count
            if again.configuration != original.configuration || after > before {
                notReadBack.append("\(probe):\n\(text)\(again.diagnostics.map(\.description))")
            }
        }
        #expect(unknown.isEmpty, "dumped under a name the catalog does not know in that block: \(unknown)")
        #expect(notReadBack.isEmpty, "dumps not read back as the same model without new warnings: \(notReadBack)")
        var neverDumped: [String] = []
        for kind in ImplementedKeywords.blocks {
            let block = kind == .root ? "top level" : kind.rawValue
            for name in ImplementedKeywords.names(in: kind) {
                let probe = "\(block): \(name)"
                if !dumped.contains(probe) && Self.dumpedAs[probe] == nil { neverDumped.append(probe) }
            }
        }
        #expect(neverDumped.isEmpty, "implemented, yet no probe's dump writes them: \(neverDumped)")
        let stale = Self.dumpedAs.keys.filter { dumped.contains($0) }
        #expect(stale.isEmpty, "listed as dumped under another name, yet dumped as they are: \(stale)")
    }

    /// Keywords Vigil used to read where keepalived 2.2.7 does not know them (`keepalived
    /// -t` says "Unknown keyword"): the checkers' connection options and the older retry
    /// spellings in blocks that do not take them, `lb_kind` in a real server, `ICMP_CHECK`.
    /// They are unknown keywords now, as in keepalived, not silently taken.
    @Test func keywordsKeepalivedRejectsAreUnknown() {
        let result = load("""
        virtual_server 192.0.2.1 80 {
            protocol TCP
            connect_ip 192.0.2.9
            connect_port 81
            bindto 192.0.2.8
            bind_port 1000
            bind_if eth0
            nb_get_retry 3
            real_server 198.51.100.1 80 {
                connect_port 82
                nb_sget_retry 2
                lb_kind DR
                ICMP_CHECK {
                }
                TCP_CHECK {
                    nb_get_retry 2
                }
                HTTP_GET {
                    nb_sget_retry 3
                    url {
                        path /
                    }
                }
                MISC_CHECK {
                    misc_path /bin/true
                    connect_timeout 3
                    connect_port 80
                }
            }
        }
        """)
        let unknownLines = result.diagnostics.filter { $0.id == "unknown-keyword" }.map(\.location.line)
        #expect(unknownLines == [3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 19, 26, 27], "\(result.diagnostics)")
        let server = result.configuration.virtualServers.first
        #expect(server?.checkerDefaults == CheckerOptions())
        #expect(server?.realServers.first?.checkerDefaults == CheckerOptions())
        #expect(server?.realServers.first?.forwardingMethod == nil)
    }
}
