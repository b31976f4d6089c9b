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
    /// `fwmark`: the mark on the checker's packets (SO_MARK), for policy routing.
    public var fwmark: UInt32?
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
    case udp(UDPCheck)
    case dns(DNSCheck)
    case smtp(SMTPCheck)
    case ping(PingCheck)
    case file(FileCheck)
    /// A checker keepalived has and Vigil does not implement (BFD_CHECK), kept as written.
    case unsupported(Statement)
}

public struct TCPCheck: Hashable, Sendable {
    public var origin: Origin
    public var options = CheckerOptions()
    public var unsupported: [Statement] = []
    public init(origin: Origin) { self.origin = origin }
}

/// `UDP_CHECK`: a datagram to the real server; it is down when the port is unreachable
/// (ICMP), or, with `require_reply`, when no reply — or no matching one — comes within
/// connect_timeout.
public struct UDPCheck: Hashable, Sendable {
    public var origin: Origin
    public var options = CheckerOptions()
    /// `payload HEX` (nil: keepalived's 32 bytes of "keepalived check - ").
    public var payload: [UInt8]?
    /// `require_reply [HEX]`: a reply must come; with HEX, its first bytes must match.
    public var requireReply = false
    public var replyData: [UInt8]?
    /// Bits of `replyData` that need not match (an `x` nibble in the HEX).
    public var replyMask: [UInt8]?
    /// A matched reply's length bounds (keepalived: 0 and 255).
    public var minReplyLength: Int?
    public var maxReplyLength: Int?
    public var unsupported: [Statement] = []
    public init(origin: Origin) { self.origin = origin }

    /// keepalived's hex string: pairs of hex digits, spaces anywhere between octets, a
    /// lone digit before a space an octet of its own; with `wildcards`, `x` or `X` is a
    /// nibble that matches anything (its mask bits set). nil: not valid hex.
    public static func hex(_ text: String, wildcards: Bool) -> (data: [UInt8], mask: [UInt8]?)? {
        var data: [UInt8] = [], mask: [UInt8] = []
        var masked = false
        var chars = Array(text.unicodeScalars)[...]
        func nibble(_ c: Unicode.Scalar) -> (UInt8, UInt8)? {
            if let v = UInt8(String(c), radix: 16) { return (v, 0) }
            if wildcards, c == "x" || c == "X" { return (0, 0x0f) }
            return nil
        }
        while true {
            while let c = chars.first, c == " " || c == "\t" { chars = chars.dropFirst() }
            guard let first = chars.first else { break }
            chars = chars.dropFirst()
            guard var (value, m) = nibble(first) else { return nil }
            if let second = chars.first, second != " ", second != "\t" {
                chars = chars.dropFirst()
                guard let (low, lowMask) = nibble(second) else { return nil }
                value = value << 4 | low
                m = m << 4 | lowMask
            }
            if m != 0 { masked = true }
            data.append(value)
            mask.append(m)
        }
        guard !data.isEmpty else { return nil }
        return (data, masked ? mask : nil)
    }
}

/// `DNS_CHECK`: a query over UDP (`type`, keepalived's default SOA; `name`, default the
/// root); up when the answer says NOERROR.
public struct DNSCheck: Hashable, Sendable {
    public var origin: Origin
    public var options = CheckerOptions()
    /// The record type as written (A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG, DNSKEY).
    public var type: String?
    public var name: String?
    public var unsupported: [Statement] = []
    public init(origin: Origin) { self.origin = origin }

    /// keepalived's record types.
    public static let types = ["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"]
}

/// `SMTP_CHECK`: the greeting must be 220, the answer to `HELO helo_name` 250, then QUIT.
/// Each deprecated `host { }` block is one more check of its own address and options.
public struct SMTPCheck: Hashable, Sendable {
    public var origin: Origin
    public var options = CheckerOptions()
    /// keepalived's default: smtpchecker.keepalived.org.
    public var heloName: String?
    public var hosts: [Host] = []
    public var unsupported: [Statement] = []
    public init(origin: Origin) { self.origin = origin }

    public struct Host: Hashable, Sendable {
        public var options = CheckerOptions()
        public var unsupported: [Statement] = []
        public init() {}
    }
}

/// `PING_CHECK`: an ICMP echo to the real server (or connect_ip).
public struct PingCheck: Hashable, Sendable {
    public var origin: Origin
    public var options = CheckerOptions()
    public var unsupported: [Statement] = []
    public init(origin: Origin) { self.origin = origin }
}

/// `FILE_CHECK`: the number in a `track_file` decides. With weight 0 (the default unless
/// the track_file has one) a non-zero number takes the real server down (`reverse`: a
/// zero one); with a weight, the server stays up and its weight moves by number × weight.
public struct FileCheck: Hashable, Sendable {
    public var origin: Origin
    public var trackFile: String?
    /// Where `track_file` is written (an error about the name goes there).
    public var trackFileOrigin: Origin?
    public var weight: Int?
    public var reverse = false
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
    /// `regex`: the body must match it (with `regex_no_match`: must not).
    public var regex: String?
    public var regexNoMatch = false
    /// `regex_options`: caseless, multiline, dotall, extended, ungreedy take effect; the
    /// other PCRE2 names are accepted, with a warning.
    public var regexOptions: [String] = []
    /// The match must start at or after `regexMinOffset` and at or before `regexMaxOffset`
    /// (bytes into the body).
    public var regexMinOffset: Int?
    public var regexMaxOffset: Int?
    public var unsupported: [Statement] = []

    public init(origin: Origin) { self.origin = origin }

    /// The regex options that change what matches here.
    public static let regexOptionsWithEffect: Set<String> = ["caseless", "multiline", "dotall", "extended", "ungreedy"]
    /// keepalived's (PCRE2's) option names.
    public static let pcreOptions: Set<String> = [
        "allow_empty_class", "alt_bsux", "auto_callout", "caseless", "dollar_endonly", "dotall", "dupnames", "extended",
        "firstline", "match_unset_backref", "multiline", "never_ucp", "never_utf", "no_auto_capture", "no_auto_possess",
        "no_dotstar_anchor", "no_start_optimize", "ucp", "ungreedy", "utf", "never_backslash_c", "alt_circumflex",
        "alt_verbnames", "use_offset_limit",
    ]
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
