/// An address of either family: the one address type of the core, the pool and the edge.
/// (A VRRP instance uses one family only: IPv4 with VRRPv2 or v3, IPv6 with VRRPv3.)
public enum InternetAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public var bytes: [UInt8] {
        switch self {
        case let .v4(a): return a.bytes
        case let .v6(a): return a.bytes
        }
    }

    /// From 4 or 16 bytes in network order; nil for any other length.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self = .v4(IPv4Address(bytes: bytes))
        case 16: self = .v6(IPv6Address(bytes: bytes))
        default: return nil
        }
    }

    public var isIPv6: Bool { if case .v6 = self { return true } else { return false } }

    public var ipv4: IPv4Address? { if case let .v4(a) = self { return a } else { return nil } }
    public var ipv6: IPv6Address? { if case let .v6(a) = self { return a } else { return nil } }

    /// Within one family, the numeric order (IPv4 sorts before IPv6; VRRP never compares
    /// across families).
    public static func < (a: InternetAddress, b: InternetAddress) -> Bool {
        switch (a, b) {
        case let (.v4(x), .v4(y)): return x < y
        case let (.v6(x), .v6(y)): return x < y
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }

    public var description: String {
        switch self {
        case let .v4(a): return a.description
        case let .v6(a): return a.description
        }
    }
}
