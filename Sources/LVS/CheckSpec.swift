import VigilTypes

/// One checker of one real server, ready to run: what to check and keepalived's timing.
public struct CheckSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case tcp(CheckTarget)
        /// HTTP_GET, or SSL_GET when `settings.tls`.
        case http(CheckTarget, HTTPGetSettings)
        /// UDP_CHECK.
        case udp(CheckTarget, UDPCheckSettings)
        /// DNS_CHECK.
        case dns(CheckTarget, DNSCheckSettings)
        /// SMTP_CHECK.
        case smtp(CheckTarget, SMTPCheckSettings)
        /// PING_CHECK: an ICMP echo to the target's address.
        case ping(CheckTarget)
        /// FILE_CHECK: a track_file's number, read by the daemon (`FileCheckRule`).
        case file(name: String, weight: Int, reverse: Bool)
        /// MISC_CHECK: a command; run by the daemon (processes are spawned at the edge),
        /// not on the event loop.
        case misc(command: String, timeout: Int64, dynamic: Bool, user: String?, group: String?)
    }

    /// Whatever the caller uses to find the real server again.
    public var id: Int
    public var kind: Kind
    /// `delay_loop`: time between checks (keepalived's default 60 s).
    public var delayLoop: Int64
    /// `retry` / `nb_get_retry`: failures in a row before the server counts as down.
    public var retry: Int
    /// `delay_before_retry`: wait before a retry.
    public var delayBeforeRetry: Int64
    /// `warmup`: a random delay up to this before the first check, so that a thousand
    /// checks do not fire in the same millisecond (keepalived's default: the delay_loop).
    public var warmup: Int64
    /// `alpha`: the checker starts as failed, so it must pass before its server is up.
    public var startsDown: Bool

    public init(id: Int, kind: Kind, delayLoop: Int64 = 60_000_000, retry: Int = 1, delayBeforeRetry: Int64 = 1_000_000,
                warmup: Int64 = 0, startsDown: Bool = false) {
        self.id = id
        self.kind = kind
        self.delayLoop = delayLoop
        self.retry = retry
        self.delayBeforeRetry = delayBeforeRetry
        self.warmup = warmup
        self.startsDown = startsDown
    }
}
