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

        public init(path: String, statusCodes: [ClosedRange<Int>] = [], digest: String? = nil, virtualhost: String? = nil) {
            self.path = path
            self.statusCodes = statusCodes
            self.digest = digest
            self.virtualhost = virtualhost
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
