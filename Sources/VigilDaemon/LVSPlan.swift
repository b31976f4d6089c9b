import LVS
import VRRP
import VigilConfig

/// The IPVS table the configuration asks for, before health checks have a say: keepalived's
/// defaults (scheduler wlc, forwarding NAT, weight 1, a real server without a port uses the
/// service's), virtual_server_group expanded, the sorry server in when no real server is.
///
/// Health checkers are not run by Vigil yet, so a real server that has checkers is kept
/// out of the pool (with a note) rather than put in unchecked: a dead server must not get
/// traffic because Vigil could not look.
public struct LVSPlan: Sendable {
    public var desired: IPVSTable
    public var notes: [String]

    public static func make(_ config: Configuration) -> LVSPlan {
        var table = IPVSTable()
        var notes: [String] = []
        let groups = Dictionary(config.virtualServerGroups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for vs in config.virtualServers {
            let keys = serviceKeys(vs, groups)
            let port = keys.first.flatMap { key -> UInt16? in
                if case let .endpoint(_, p, _) = key { return p }
                return nil
            } ?? 0
            var destinations: [IPVSDestination] = []
            for rs in vs.realServers {
                if !rs.checkers.isEmpty {
                    notes.append("virtual_server \(vs.key): real server \(rs.endpoint) has health checkers, which Vigil does not run yet; it is kept out of the pool")
                    continue
                }
                destinations.append(destination(rs.endpoint, vs: vs, rs: rs, servicePort: port))
            }
            if destinations.isEmpty, let sorry = vs.sorryServer {
                destinations.append(destination(sorry, vs: vs, rs: nil, servicePort: port,
                                                forwarding: vs.sorryServerForwardingMethod))
            }
            for key in keys {
                var flags: UInt32 = 0
                for f in vs.schedulerFlags {
                    switch f {
                    case "ops": flags |= IPVSService.onePacket
                    case "flag-1", "sh-fallback", "mh-fallback": flags |= 0x08
                    case "flag-2", "sh-port", "mh-port": flags |= 0x10
                    case "flag-3": flags |= 0x20
                    default: break
                    }
                }
                var timeout: UInt32 = 0
                if let t = vs.persistenceTimeout {
                    flags |= IPVSService.persistent
                    timeout = UInt32(t)
                }
                var netmask: UInt32?
                if let g = vs.persistenceGranularity {
                    let b = g.bytes
                    // The kernel takes an IPv4 mask in network order, an IPv6 one as a prefix length.
                    netmask = b.count == 4 ? b.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                        : UInt32(b.reduce(0) { $0 + $1.nonzeroBitCount })
                }
                table.services[key] = IPVSService(key: key, scheduler: vs.scheduler?.rawValue ?? "wlc", flags: flags,
                                                  timeout: timeout, netmask: netmask, destinations: destinations)
            }
        }
        return LVSPlan(desired: table, notes: notes)
    }

    static func internet(_ a: IPAddress) -> InternetAddress {
        let b = a.bytes
        return b.count == 4 ? .v4(IPv4Address(bytes: b)) : .v6(IPv6Address(bytes: b))
    }

    static func proto(_ p: ServiceProtocol?) -> IPVSService.IPProtocol {
        switch p {
        case .tcp?: return .tcp
        case .sctp?: return .sctp
        case .udp?, nil: return .udp
        }
    }

    static func serviceKeys(_ vs: VirtualServer, _ groups: [String: VirtualServerGroup]) -> [IPVSService.Key] {
        let ipv6RealServers = vs.realServers.first?.endpoint.address.family == .inet6
        switch vs.key {
        case let .endpoint(address, port):
            return [.endpoint(internet(address), port: UInt16(port), protocol: proto(vs.effectiveProtocol))]
        case let .firewallMark(mark):
            return [.firewallMark(mark, ipv6: ipv6RealServers)]
        case let .group(name):
            guard let g = groups[name] else { return [] }
            return g.members.flatMap { member -> [IPVSService.Key] in
                switch member {
                case let .firewallMark(mark):
                    return [.firewallMark(mark, ipv6: ipv6RealServers)]
                case let .endpoint(address, rangeEnd, port):
                    var bytes = address.bytes
                    let last = bytes.count == 4 ? Int(bytes[3]) : Int(bytes[14]) << 8 | Int(bytes[15])
                    return (last...max(last, rangeEnd ?? last)).prefix(256).map { n in
                        if bytes.count == 4 { bytes[3] = UInt8(n) } else { bytes[14] = UInt8(n >> 8); bytes[15] = UInt8(n & 0xff) }
                        let a: InternetAddress = bytes.count == 4 ? .v4(IPv4Address(bytes: bytes)) : .v6(IPv6Address(bytes: bytes))
                        return .endpoint(a, port: UInt16(port), protocol: proto(vs.effectiveProtocol))
                    }
                }
            }
        }
    }

    static func destination(_ endpoint: RealServerAddress, vs: VirtualServer, rs: RealServer?, servicePort: UInt16,
                            forwarding: ForwardingMethod? = nil) -> IPVSDestination {
        let method = forwarding ?? rs?.forwardingMethod ?? vs.forwardingMethod ?? .nat
        let fwd: IPVSDestination.Forwarding
        switch method {
        case .nat: fwd = .masquerade
        case .dr: fwd = .route
        case .tun: fwd = .tunnel
        }
        return IPVSDestination(key: .init(address: internet(endpoint.address), port: endpoint.port.map { UInt16($0) } ?? servicePort),
                               forwarding: fwd, weight: Int32(rs?.weight ?? 1),
                               upperThreshold: UInt32(rs?.upperThreshold ?? 0), lowerThreshold: UInt32(rs?.lowerThreshold ?? 0))
    }
}
