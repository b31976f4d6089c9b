/// An IPv6 address as carried in VRRPv3 packets: sixteen bytes in network order.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Network order, most significant first, so that `<` is RFC 5798 §6.4.3's numeric
    /// comparison of primary addresses.
    public var high: UInt64
    public var low: UInt64

    public init<C: Collection>(bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == 16)
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// Eight 16-bit groups: `IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 0x12)`.
    public init(_ g0: UInt16, _ g1: UInt16, _ g2: UInt16, _ g3: UInt16, _ g4: UInt16, _ g5: UInt16, _ g6: UInt16, _ g7: UInt16) {
        high = UInt64(g0) << 48 | UInt64(g1) << 32 | UInt64(g2) << 16 | UInt64(g3)
        low = UInt64(g4) << 48 | UInt64(g5) << 32 | UInt64(g6) << 16 | UInt64(g7)
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// ff02::12, the VRRP multicast group for IPv6 (RFC 5798 §5.1.2.2).
    public static let vrrpMulticastGroup = IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 0x12)
    /// ff02::1, all nodes: where unsolicited neighbour advertisements go.
    public static let allNodes = IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 1)

    /// fe80::/10.
    public var isLinkLocal: Bool { high >> 54 == 0x3fa }

    public static func < (a: IPv6Address, b: IPv6Address) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// RFC 5952 text: lower-case hex, the longest run (of two or more) of zero groups as ::.
    public var description: String {
        let groups = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * $0)) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * $0)) }
        var best = (start: -1, length: 0)
        var i = 0
        while i < 8 {
            guard groups[i] == 0 else { i += 1; continue }
            var j = i
            while j < 8 && groups[j] == 0 { j += 1 }
            if j - i > best.length && j - i >= 2 { best = (i, j - i) }
            i = j
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.start >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// An address of either family, as a VRRP instance uses them: an IPv4 instance speaks
/// VRRPv2 or v3 with IPv4 addresses only, an IPv6 one VRRPv3 with IPv6 addresses only.
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

    /// The VRRP multicast group of this address's family.
    public var vrrpMulticastGroup: InternetAddress {
        isIPv6 ? .v6(.vrrpMulticastGroup) : .v4(.vrrpMulticastGroup)
    }

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
