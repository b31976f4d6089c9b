import VigilTypes
/// The options every checker shares, which a virtual or real server may also set as
/// defaults for its checkers.
public struct CheckerOptions: Hashable, Sendable {
    public var connectIP: IPAddress?
    public var connectPort: Int?
    public var bindTo: IPAddress?
    public var bindPort: Int?
    public var bindInterface: String?
    public var connectTimeout: Microseconds?
    /// `retry` (also `nb_get_retry`)
    public var retry: Int?
    public var delayBeforeRetry: Microseconds?
    public var warmup: Microseconds?
    public var delayLoop: Microseconds?
    public var alpha: Bool?

    public init() {}
}

/// A health checker of a real server.
public enum HealthChecker: Hashable, Sendable {
    case tcp(TCPCheck)
    /// `HTTP_GET`, or `SSL_GET` when `tls` is set.
    case http(HTTPGetCheck)
    case misc(MiscCheck)
    /// A checker keepalived has and Vigil does not implement yet (SMTP_CHECK, DNS_CHECK,
    /// UDP_CHECK, PING_CHECK, FILE_CHECK, BFD_CHECK), kept as written.
    case unsupported(Statement)
}

public struct TCPCheck: Hashable, Sendable {
    public var origin: Origin
    public var options = CheckerOptions()
    public var unsupported: [Statement] = []
    public init(origin: Origin) { self.origin = origin }
}

public struct HTTPGetCheck: Hashable, Sendable {
    public var origin: Origin
    public var tls: Bool
    public var options = CheckerOptions()
    public var urls: [URLCheck] = []
    public var virtualhost: String?
    /// `http_protocol 1.0 | 1.0C | 1.1` (nil: 1.0, keepalived's default)
    public var httpProtocol: String?
    /// `fast_recovery`: a failed (or `alpha`) server checks all its URLs at once rather
    /// than one per delay_loop.
    public var fastRecovery = false
    /// `enable_sni` (SSL_GET): send the virtualhost as the TLS server name.
    public var enableSNI = false
    public var unsupported: [Statement] = []

    public init(origin: Origin, tls: Bool) {
        self.origin = origin
        self.tls = tls
    }
}

/// `url { path …; digest …; status_code …; virtualhost … }`
public struct URLCheck: Hashable, Sendable {
    public var origin: Origin
    public var path: String?
    /// MD5 of the body, 32 lowercase hex digits.
    public var digest: String?
    /// Accepted status codes: single codes and ranges (`200-299`); keepalived's default is 2xx.
    public var statusCodes: [ClosedRange<Int>] = []
    public var virtualhost: String?
    public var unsupported: [Statement] = []

    public init(origin: Origin) { self.origin = origin }
}

public struct MiscCheck: Hashable, Sendable {
    public var origin: Origin
    public var options = CheckerOptions()
    public var path: String?
    public var timeout: Microseconds?
    /// `misc_dynamic`: the exit code sets the weight (exit 2+N → weight N).
    public var dynamic = false
    public var user: ScriptUser?
    public var unsupported: [Statement] = []

    public init(origin: Origin) { self.origin = origin }
}
