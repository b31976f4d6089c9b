import VigilTypes
/// How a virtual service is named: `virtual_server ADDR PORT`, `virtual_server fwmark N`,
/// or `virtual_server group NAME`.
public enum VirtualServiceKey: Hashable, Sendable, CustomStringConvertible {
    case endpoint(IPAddress, port: Int)
    case firewallMark(UInt32)
    case group(String)

    public var description: String {
        switch self {
        case let .endpoint(address, port):
            return address.family == .inet6 ? "[\(address)]:\(port)" : "\(address):\(port)"
        case let .firewallMark(mark): return "fwmark \(mark)"
        case let .group(name): return "group \(name)"
        }
    }
}

/// IPVS schedulers keepalived accepts in `lb_algo`.
public enum Scheduler: String, Hashable, Sendable, CaseIterable {
    case rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh
}

/// IPVS forwarding methods (`lb_kind` / `lvs_method`). FNAT (full NAT, the word of
/// Alibaba's LVS and DPVS) is Vigil's on a stock kernel: IPVS NAT, and the forwarded
/// connections' source translated to an address of this director's `local_address_group`
/// by nftables, so the replies come back through the director that forwarded them.
public enum ForwardingMethod: String, Hashable, Sendable, CaseIterable {
    case nat = "NAT", dr = "DR", tun = "TUN", fnat = "FNAT"
}

/// The tunnel of `lvs_method TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`
/// (Linux 5.2 brought GUE, 5.3 GRE and the checksum flags); keepalived's default is
/// IPIP without checksums.
public struct TunnelOptions: Hashable, Sendable, CustomStringConvertible {
    /// The kernel's IP_VS_CONN_F_TUNNEL_TYPE_* values.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case ipip, gue, gre
        public var kernelValue: UInt8 {
            switch self {
            case .ipip: return 0
            case .gue: return 1
            case .gre: return 2
            }
        }
    }

    /// The kernel's IP_VS_TUNNEL_ENCAP_FLAG_* values.
    public enum Checksum: String, Hashable, Sendable, CaseIterable {
        case nocsum, csum, remcsum
        public var kernelValue: UInt16 {
            switch self {
            case .nocsum: return 0
            case .csum: return 1
            case .remcsum: return 2
            }
        }
    }

    public var kind: Kind
    /// GUE's UDP port (required for GUE, refused otherwise).
    public var port: Int?
    public var checksum: Checksum

    public init(kind: Kind = .ipip, port: Int? = nil, checksum: Checksum = .nocsum) {
        self.kind = kind
        self.port = port
        self.checksum = checksum
    }

    /// The words after `TUN`, as `--dump` writes them back.
    public var description: String {
        var words = ["type", kind.rawValue]
        if let port { words += ["port", String(port)] }
        if checksum != .nocsum { words.append(checksum.rawValue) }
        return words.joined(separator: " ")
    }
}

public enum ServiceProtocol: String, Hashable, Sendable, CaseIterable {
    case tcp = "TCP", udp = "UDP", sctp = "SCTP"
}

/// `virtual_server … { }`: an IPVS service and its pool.
public struct VirtualServer: Hashable, Sendable {
    public var key: VirtualServiceKey
    public var origin: Origin
    public var delayLoop: Microseconds?
    public var scheduler: Scheduler?
    /// Scheduler flags: `sh-port`, `sh-fallback`, `mh-port`, `mh-fallback`, `flag-1`…
    public var schedulerFlags: [String] = []
    public var forwardingMethod: ForwardingMethod?
    /// With `lvs_method TUN type …`: the default tunnel of the real servers.
    public var tunnel: TunnelOptions?
    /// As written; nil when the block has no `protocol` line (see `effectiveProtocol`).
    public var serviceProtocol: ServiceProtocol?
    public var persistenceTimeout: Int?
    public var persistenceGranularity: IPAddress?
    public var virtualhost: String?
    public var sorryServer: RealServerAddress?
    public var sorryServerForwardingMethod: ForwardingMethod?
    /// `sorry_server_lvs_method TUN type …`: the sorry server's own tunnel.
    public var sorryServerTunnel: TunnelOptions?
    public var quorum: Int?
    public var hysteresis: Int?
    public var quorumUp: String?
    /// `smtp_alert [BOOL]`: mail when the quorum is gained or lost (nil: global_defs decides).
    public var smtpAlert: Bool?
    public var quorumDown: String?
    public var alpha = false
    public var omega = false
    public var inhibitOnFailure = false
    public var haSuspend = false
    /// `laddr_group_name NAME`: the `local_address_group` a FNAT service's connections
    /// leave from.
    public var localAddressGroup: LocalAddressGroup.Reference?
    public var checkerDefaults = CheckerOptions()
    public var realServers: [RealServer] = []
    public var unsupported: [Statement] = []

    /// The protocol the IPVS service gets. Without `protocol`, keepalived sets UDP (the
    /// kernel's reading of protocol 0) and says so; Vigil does the same. A firewall-mark
    /// service matches packets of any protocol and has none.
    public var effectiveProtocol: ServiceProtocol? {
        if case .firewallMark = key { return serviceProtocol }
        return serviceProtocol ?? .udp
    }

    public init(key: VirtualServiceKey, origin: Origin) {
        self.key = key
        self.origin = origin
    }
}

public struct RealServerAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: Int?

    public init(address: IPAddress, port: Int?) {
        self.address = address
        self.port = port
    }

    public var description: String { port.map { "\(address) \($0)" } ?? address.description }
}

/// `real_server ADDR [PORT] { }`
public struct RealServer: Hashable, Sendable {
    public var endpoint: RealServerAddress
    public var origin: Origin
    public var weight: Int?
    public var forwardingMethod: ForwardingMethod?
    /// With `lvs_method TUN type …`.
    public var tunnel: TunnelOptions?
    public var inhibitOnFailure: Bool?
    public var notifyUp: String?
    /// `smtp_alert [BOOL]`: mail when it goes down or comes back (nil: global_defs decides,
    /// and keepalived's default for a real server is on).
    public var smtpAlert: Bool?
    public var notifyDown: String?
    public var upperThreshold: Int?
    public var lowerThreshold: Int?
    /// Default Host of its HTTP_GET / SSL_GET checkers (over the virtual server's).
    public var virtualhost: String?
    public var checkerDefaults = CheckerOptions()
    public var checkers: [HealthChecker] = []
    public var unsupported: [Statement] = []

    public init(endpoint: RealServerAddress, origin: Origin) {
        self.endpoint = endpoint
        self.origin = origin
    }
}

/// `virtual_server_group NAME { ADDR PORT | ADDR-RANGE PORT | fwmark N }`
public struct VirtualServerGroup: Hashable, Sendable {
    public enum Member: Hashable, Sendable {
        /// `ADDR PORT`, or a range `192.0.2.10-20 PORT` (last octet / hex group).
        case endpoint(IPAddress, rangeEnd: Int?, port: Int)
        case firewallMark(UInt32)
    }

    public var name: String
    public var origin: Origin
    public var members: [Member] = []

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// `local_address_group NAME { ADDR[-LAST] … }` (the DPVS word): the addresses a FNAT
/// service's forwarded connections take as their source on this director. Each director
/// has its own (keepalived's `@HOST` line prefix keeps one shared file).
public struct LocalAddressGroup: Hashable, Sendable {
    /// `ADDR` or a range `198.18.0.101-103` (last octet, or last hex group for IPv6).
    public struct Entry: Hashable, Sendable {
        public var address: IPAddress
        public var rangeEnd: Int?
        public var origin: Origin

        public init(address: IPAddress, rangeEnd: Int? = nil, origin: Origin) {
            self.address = address
            self.rangeEnd = rangeEnd
            self.origin = origin
        }

        public var range: AddressRange { AddressRange(first: address.internetAddress, end: rangeEnd) }

        /// Whether `other` lies in the range (the address alone without one).
        public func contains(_ other: IPAddress) -> Bool { range.contains(other.internetAddress) }

        /// As written: `198.18.0.101-103`.
        public var text: String { range.description }
    }

    /// A virtual server's `laddr_group_name NAME`, and where it stands.
    public struct Reference: Hashable, Sendable {
        public var name: String
        public var origin: Origin

        public init(name: String, origin: Origin) {
            self.name = name
            self.origin = origin
        }
    }

    public var name: String
    public var origin: Origin
    public var entries: [Entry] = []

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}
