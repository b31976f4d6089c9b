import VigilTypes

/// The IPVS table as values: what the kernel holds, or what Vigil wants it to hold. Plain
/// data, compared and diffed without I/O; only `VigilLinux.IPVSDriver` talks to the kernel.
public struct IPVSTable: Hashable, Sendable {
    public var services: [IPVSService.Key: IPVSService] = [:]

    public init(_ services: [IPVSService] = []) {
        for s in services { self.services[s.key] = s }
    }

    /// The table as the kernel holds it after `change`, as `IPVSDriver` applies it: adding
    /// what is there or deleting what is gone changes nothing; a new service comes without
    /// destinations and marked hashed, as the kernel reports it. What the runner believes
    /// the kernel holds, between two reads.
    public mutating func apply(_ change: IPVSChange) {
        switch change {
        case let .addService(s):
            guard services[s.key] == nil else { return }
            var bare = s
            bare.destinations = [:]
            bare.flags.insert(.hashed)
            services[s.key] = bare
        case let .editService(s):
            guard var have = services[s.key] else { return }
            let destinations = have.destinations
            have = s
            have.destinations = destinations
            have.flags.insert(.hashed)
            services[s.key] = have
        case let .deleteService(key):
            services[key] = nil
        case let .addDestination(key, d):
            if services[key]?.destinations[d.key] == nil { services[key]?.destinations[d.key] = d }
        case let .editDestination(key, d):
            if services[key]?.destinations[d.key] != nil { services[key]?.destinations[d.key] = d }
        case let .deleteDestination(key, d):
            services[key]?.destinations[d] = nil
        }
    }

    /// Only the services named.
    public func restricted(to keys: some Sequence<IPVSService.Key>) -> IPVSTable {
        IPVSTable(keys.compactMap { services[$0] })
    }
}

/// One virtual service (`ipvsadm -A`) with its destinations (`ipvsadm -a`).
public struct IPVSService: Hashable, Sendable, CustomStringConvertible {
    /// How the kernel names a service: address + port + protocol, or a firewall mark.
    public enum Key: Hashable, Sendable, Comparable, CustomStringConvertible {
        case endpoint(InternetAddress, port: UInt16, protocol: IPProtocol)
        case firewallMark(UInt32, ipv6: Bool)

        public var isIPv6: Bool {
            switch self {
            case let .endpoint(a, _, _): return a.isIPv6
            case let .firewallMark(_, ipv6): return ipv6
            }
        }

        public var description: String {
            switch self {
            case let .endpoint(a, port, proto):
                return "\(proto) " + (a.isIPv6 ? "[\(a)]:\(port)" : "\(a):\(port)")
            case let .firewallMark(mark, ipv6): return "FWM \(mark)\(ipv6 ? " IPv6" : "")"
            }
        }

        /// A stable order for diffs and listings: address services first (by address —
        /// IPv4 before IPv6 —, port, protocol), then firewall marks (IPv4 before IPv6).
        public static func < (a: Key, b: Key) -> Bool {
            switch (a, b) {
            case let (.endpoint(x, p, q), .endpoint(y, r, s)): return (x, p, q.rawValue) < (y, r, s.rawValue)
            case (.endpoint, .firewallMark): return true
            case (.firewallMark, .endpoint): return false
            case let (.firewallMark(m, x), .firewallMark(n, y)): return (x ? 1 : 0, m) < (y ? 1 : 0, n)
            }
        }
    }

    public enum IPProtocol: UInt16, Hashable, Sendable, CustomStringConvertible {
        case tcp = 6, udp = 17, sctp = 132
        public var description: String {
            switch self {
            case .tcp: return "TCP"
            case .udp: return "UDP"
            case .sctp: return "SCTP"
            }
        }
    }

    public var key: Key
    /// Scheduler name as the kernel knows it: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed,
    /// nq, fo, ovf, mh.
    public var scheduler: String
    public var flags: IPVSServiceFlags
    /// Persistence timeout in seconds (with the persistent flag).
    public var timeout: UInt32
    /// Persistence granularity: a netmask (IPv4 as a mask in network order, IPv6 a prefix length).
    public var netmask: UInt32
    public var destinations: [IPVSDestination.Key: IPVSDestination]

    public init(key: Key, scheduler: String = "wlc", flags: IPVSServiceFlags = [], timeout: UInt32 = 0, netmask: UInt32? = nil,
                destinations: [IPVSDestination] = []) {
        self.key = key
        self.scheduler = scheduler
        self.flags = flags
        self.timeout = timeout
        self.netmask = netmask ?? (key.isIPv6 ? 128 : 0xffff_ffff)
        self.destinations = Dictionary(destinations.map { ($0.key, $0) }, uniquingKeysWith: { _, b in b })
    }

    /// The service's own settings, destinations aside: what IPVS_CMD_SET_SERVICE changes.
    public func sameSettings(as other: IPVSService) -> Bool {
        scheduler == other.scheduler && flags.subtracting(.hashed) == other.flags.subtracting(.hashed)
            && timeout == other.timeout && netmask == other.netmask
    }

    public var description: String {
        var s = "\(key) \(scheduler)"
        if flags.contains(.persistent) { s += " persistent \(timeout)" }
        return s
    }
}

/// IP_VS_SVC_F_* (linux/ip_vs.h): a service's flags.
public struct IPVSServiceFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IP_VS_SVC_F_PERSISTENT: `persistence_timeout`.
    public static let persistent = Self(rawValue: 0x1)
    /// IP_VS_SVC_F_HASHED: the kernel sets it on every service it holds; never asked for,
    /// so never compared.
    public static let hashed = Self(rawValue: 0x2)
    /// IP_VS_SVC_F_ONEPACKET: one-packet scheduling (`ops`).
    public static let onePacket = Self(rawValue: 0x4)
    /// IP_VS_SVC_F_SCHED1…3: the scheduler's own (`sh-fallback`/`mh-fallback`,
    /// `sh-port`/`mh-port`, `flag-3`).
    public static let scheduler1 = Self(rawValue: 0x8)
    public static let scheduler2 = Self(rawValue: 0x10)
    public static let scheduler3 = Self(rawValue: 0x20)
}

/// A real server of a service.
public struct IPVSDestination: Hashable, Sendable, CustomStringConvertible {
    public struct Key: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var address: InternetAddress
        public var port: UInt16
        public init(address: InternetAddress, port: UInt16) {
            self.address = address
            self.port = port
        }
        public var description: String { address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
        public static func < (a: Key, b: Key) -> Bool { (a.address, a.port) < (b.address, b.port) }
    }

    /// IP_VS_CONN_F_* forwarding methods.
    public enum Forwarding: UInt32, Hashable, Sendable, CustomStringConvertible {
        case masquerade = 0, local = 1, tunnel = 2, route = 3
        public var description: String {
            switch self {
            case .masquerade: return "Masq"
            case .local: return "Local"
            case .tunnel: return "Tunnel"
            case .route: return "Route"
            }
        }
    }

    public var key: Key
    public var forwarding: Forwarding
    public var weight: Int32
    public var upperThreshold: UInt32
    public var lowerThreshold: UInt32
    /// IPIP 0, GUE 1, GRE 2 (tunnel forwarding only).
    public var tunnelType: UInt8
    /// GUE's UDP port (host order; 0 for the other tunnel types).
    public var tunnelPort: UInt16
    /// IP_VS_TUNNEL_ENCAP_FLAG_*: 0 no checksum, 1 csum, 2 remcsum (GUE and GRE).
    public var tunnelFlags: UInt16

    public init(key: Key, forwarding: Forwarding = .masquerade, weight: Int32 = 1, upperThreshold: UInt32 = 0,
                lowerThreshold: UInt32 = 0, tunnelType: UInt8 = 0, tunnelPort: UInt16 = 0, tunnelFlags: UInt16 = 0) {
        self.key = key
        self.forwarding = forwarding
        self.weight = weight
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
        self.tunnelType = tunnelType
        self.tunnelPort = tunnelPort
        self.tunnelFlags = tunnelFlags
    }

    public var description: String { "\(key) \(forwarding) \(weight)" }
}
