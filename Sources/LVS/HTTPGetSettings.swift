/// How an HTTP_GET or SSL_GET asks, as configured: the URLs, the request's shape, TLS.
/// The asking itself is HealthCheck's `HTTPGetChecker`; the plan holds only this.
public struct HTTPGetSettings: Sendable, Equatable {
    /// A `url` block: the path, and what the answer must be (status codes, body digest).
    public struct URL: Sendable, Equatable {
        public var path: String
        public var statusCodes: [ClosedRange<Int>]
        /// MD5 of the body, 32 lowercase hex digits.
        public var digest: String?
        public var virtualhost: String?
        /// `regex`: the body must match (with `regexNoMatch`: must not), the match starting
        /// within `matchStart` (bytes into the body).
        public var regex: String?
        public var regexNoMatch: Bool
        /// caseless, multiline, dotall, extended, ungreedy (keepalived's PCRE2 names).
        public var regexOptions: [String]
        public var matchStart: ClosedRange<Int>

        public init(path: String, statusCodes: [ClosedRange<Int>] = [], digest: String? = nil, virtualhost: String? = nil,
                    regex: String? = nil, regexNoMatch: Bool = false, regexOptions: [String] = [],
                    matchStart: ClosedRange<Int> = 0...Int.max) {
            self.path = path
            self.statusCodes = statusCodes
            self.digest = digest
            self.virtualhost = virtualhost
            self.regex = regex
            self.regexNoMatch = regexNoMatch
            self.regexOptions = regexOptions
            self.matchStart = matchStart
        }

        /// The verdict of `regex` on a body: nil when it passes, else why not.
        public func regexFailure(_ body: [UInt8]) -> String? {
            guard let pattern = regex else { return nil }
            guard var compiled = try? Regex(regexOptions.contains("extended") ? "(?x)" + pattern : pattern) else {
                return "regex '\(pattern)' does not compile"
            }
            if regexOptions.contains("caseless") { compiled = compiled.ignoresCase() }
            if regexOptions.contains("multiline") { compiled = compiled.anchorsMatchLineEndings() }
            if regexOptions.contains("dotall") { compiled = compiled.dotMatchesNewlines() }
            if regexOptions.contains("ungreedy") { compiled = compiled.repetitionBehavior(.reluctant) }
            let text = String(decoding: body, as: UTF8.self)
            let utf8 = text.utf8
            let from = utf8.index(utf8.startIndex, offsetBy: min(matchStart.lowerBound, utf8.count))
            let matched = text[from...].matches(of: compiled).contains { m in
                matchStart.contains(utf8.distance(from: utf8.startIndex, to: m.range.lowerBound))
            }
            switch (matched, regexNoMatch) {
            case (true, false), (false, true): return nil
            case (false, false): return "regex '\(pattern)' not matched in \(path)"
            case (true, true): return "regex '\(pattern)' matched in \(path) (regex_no_match)"
            }
        }
    }

    /// `http_protocol`: the request line's version and whether it says `Connection: close`
    /// (keepalived: 1.0 bare, 1.0C and 1.1 with it).
    public enum HTTPProtocol: String, Sendable, Equatable {
        case http10 = "1.0", http10Close = "1.0C", http11 = "1.1"
    }

    public var urls: [URL]
    public var httpProtocol: HTTPProtocol
    /// SSL_GET: TLS first.
    public var tls: Bool
    /// `enable_sni`: the TLS server name (the virtualhost) is sent.
    public var sni: Bool
    /// `fast_recovery`: a server that is down checks every URL in one round instead of
    /// one URL per delay_loop (see `CheckScheduler`).
    public var fastRecovery: Bool

    public init(urls: [URL], httpProtocol: HTTPProtocol = .http10, tls: Bool = false, sni: Bool = false,
                fastRecovery: Bool = false) {
        self.urls = urls
        self.httpProtocol = httpProtocol
        self.tls = tls
        self.sni = sni
        self.fastRecovery = fastRecovery
    }
}
