/// The keywords of one block kind that Vigil's reader implements, as an enum whose raw
/// values are the keywords as keepalived.conf spells them.
///
/// Why an enum: each reader switches over its block's enum, not over strings, so the
/// compiler holds the switch and the list together: a keyword cannot be read without a
/// case here, and a case cannot be added without the switch reading it (the switch is
/// exhaustive, with no `default`). The tests hold these lists to `KeywordCatalog` (every
/// name here is a keyword keepalived knows in that block) and to the `Dumper` (every name it
/// writes is read back).
protocol ImplementedKeyword: RawRepresentable<String>, CaseIterable, Hashable, Sendable {
    /// The block the keywords are looked up in.
    static var block: BlockKind { get }
    /// The shared checker options this block also takes (`readCheckerOption` reads them).
    static var checkerOptions: [CheckerOptionKeyword] { get }
    /// Keywords the reader takes itself and then reports as recognised, not supported
    /// (the checkers Vigil does not implement, still checked for misspelt keywords).
    static var reportedUnsupported: [Self] { get }
}

extension ImplementedKeyword {
    static var checkerOptions: [CheckerOptionKeyword] { [] }
    static var reportedUnsupported: [Self] { [] }

    /// The keywords of the block the reader implements: its own and the checker options it takes.
    static var implementedNames: [String] {
        allCases.filter { !reportedUnsupported.contains($0) }.map(\.rawValue) + checkerOptions.map(\.rawValue)
    }
}

/// The options every checker shares (keepalived's `install_checker_common_keywords`), which
/// some blocks take as defaults for their checkers; each block lists the ones it takes in
/// its `ImplementedKeyword.checkerOptions`.
enum CheckerOptionKeyword: String, CaseIterable, Sendable {
    case connectIP = "connect_ip"
    case connectPort = "connect_port"
    case bindTo = "bindto"
    case bindPort = "bind_port"
    case bindInterface = "bind_if"
    case connectTimeout = "connect_timeout"
    /// SO_MARK on the checker's socket (policy routing of the checks).
    case fwmark
    case retry
    /// HTTP_GET's and SSL_GET's older spelling of `retry`.
    case nbGetRetry = "nb_get_retry"
    case delayBeforeRetry = "delay_before_retry"
    case warmup
    case delayLoop = "delay_loop"
    case alpha

    /// What a checker that opens a connection takes (all but MISC_CHECK).
    static let connection: [CheckerOptionKeyword] = [.connectIP, .connectPort, .bindTo, .bindPort, .bindInterface, .connectTimeout,
                                                     .fwmark]
    /// What every checker takes. A checker's own `alpha` is left to the catalog
    /// (recognised, not supported): Vigil starts a whole real server down or up
    /// (`RealServerHealth`), from the real server's or virtual server's `alpha`.
    static let common: [CheckerOptionKeyword] = [.retry, .delayBeforeRetry, .warmup, .delayLoop]
}

/// Every reader's keywords, by block kind, for the tests that hold them to the catalog.
enum ImplementedKeywords {
    static let all: [any ImplementedKeyword.Type] = [
        RootKeyword.self, SSLKeyword.self, GlobalDefsKeyword.self,
        VRRPInstanceKeyword.self, AuthenticationKeyword.self, SyncGroupKeyword.self,
        VRRPScriptKeyword.self, TrackProcessKeyword.self, TrackFileKeyword.self,
        VirtualServerKeyword.self, RealServerKeyword.self, TCPCheckKeyword.self,
        HTTPGetKeyword.self, URLKeyword.self, MiscCheckKeyword.self, UDPCheckKeyword.self, DNSCheckKeyword.self,
        SMTPCheckKeyword.self, SMTPHostKeyword.self, PingCheckKeyword.self, FileCheckKeyword.self,
        AnnounceKeyword.self,
    ]

    /// The block kinds a reader reads, one list each.
    static var blocks: [BlockKind] { all.map { $0.block } }

    /// The keywords Vigil implements in a block kind; empty for a block no reader reads.
    static func names(in kind: BlockKind) -> [String] {
        all.filter { $0.block == kind }.flatMap { $0.implementedNames }
    }

    /// The keywords a reader takes in a block kind and reports as not supported.
    static func reportedUnsupported(in kind: BlockKind) -> [String] {
        all.filter { $0.block == kind }.flatMap { type in reportedUnsupportedNames(type) }
    }

    private static func reportedUnsupportedNames<K: ImplementedKeyword>(_: K.Type) -> [String] {
        K.reportedUnsupported.map(\.rawValue)
    }
}

extension ModelBuilder {
    /// Offers each statement of a block to `handle` as the keyword of `K` it names; a
    /// statement naming none, or one `handle` declines (returns false), is looked up in the
    /// catalog as in `each(_:in:path:unsupported:_:)`.
    func each<K: ImplementedKeyword>(_ statements: [Statement], _: K.Type, path: @autoclosure () -> String,
                                     unsupported: inout [Statement], _ handle: (K, Statement) -> Bool) {
        each(statements, in: K.block, path: path(), unsupported: &unsupported) { s in
            guard let keyword = K(rawValue: s.name) else { return false }
            return handle(keyword, s)
        }
    }

    /// As `each(_:_:path:unsupported:_:)`, and the checker options `K` takes are read into `options`.
    func each<K: ImplementedKeyword>(_ statements: [Statement], _: K.Type, path: @autoclosure () -> String,
                                     unsupported: inout [Statement], checkerOptions options: inout CheckerOptions,
                                     _ handle: (K, Statement) -> Bool) {
        each(statements, in: K.block, path: path(), unsupported: &unsupported) { s in
            if let keyword = K(rawValue: s.name) { return handle(keyword, s) }
            return readCheckerOption(s, of: K.self, into: &options)
        }
    }

    /// For a block with no keywords of its own, only the checker options `K` takes (TCP_CHECK).
    func each<K: ImplementedKeyword>(_ statements: [Statement], _: K.Type, path: @autoclosure () -> String,
                                     unsupported: inout [Statement], checkerOptions options: inout CheckerOptions) {
        each(statements, in: K.block, path: path(), unsupported: &unsupported) { s in
            readCheckerOption(s, of: K.self, into: &options)
        }
    }

    /// Reads a checker option the block `K` takes; false for any other statement.
    private func readCheckerOption<K: ImplementedKeyword>(_ s: Statement, of _: K.Type, into options: inout CheckerOptions) -> Bool {
        guard let option = CheckerOptionKeyword(rawValue: s.name), K.checkerOptions.contains(option) else { return false }
        readCheckerOption(option, s, into: &options)
        return true
    }
}
