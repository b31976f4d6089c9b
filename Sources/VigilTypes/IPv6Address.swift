/// An IPv6 address: sixteen bytes in network order, compared as a 128-bit number.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Network order, most significant first, so that `<` is RFC 5798 §6.4.3's numeric
    /// comparison of primary addresses.
    public var high: UInt64
    public var low: UInt64

    /// Inlinable so that each caller's collection type is specialised: unspecialised, the
    /// runtime looks the element type up by name (a quarter of a million instructions the
    /// first time, on a daemon's way to its IPVS table).
    @inlinable
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
