import VigilTypes

/// Where a checker connects, and how long it may take (keepalived's connect_ip,
/// connect_port, bindto, bind_port, connect_timeout).
public struct CheckTarget: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var bindAddress: String?
    public var bindPort: Int?
    /// `bind_if`: the connection leaves by this interface whatever the routing table says
    /// (a link-local `bindto` needs it).
    public var bindInterface: String?
    /// Microseconds for the whole exchange (keepalived's connect_timeout, default 5 s).
    public var timeout: Int64
    /// `fwmark`: SO_MARK on the checker's socket, so policy routing (`ip rule fwmark`) can
    /// send the checks another way than the routing table would.
    public var fwmark: UInt32?

    public init(host: String, port: Int, bindAddress: String? = nil, bindPort: Int? = nil, bindInterface: String? = nil,
                timeout: Int64 = 5_000_000, fwmark: UInt32? = nil) {
        self.fwmark = fwmark
        self.host = host
        self.port = port
        self.bindAddress = bindAddress
        self.bindPort = bindPort
        self.bindInterface = bindInterface
        self.timeout = timeout
    }

    public var timeoutText: String { "\(formatSeconds(timeout)) s" }
}
