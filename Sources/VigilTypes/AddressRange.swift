/// A run of addresses as keepalived writes one (`virtual_server_group`, and
/// `local_address_group` in DPVS's words): `198.18.0.101-103` is .101 to .103 — the range
/// varies the last octet of an IPv4 address, the last 16-bit group of an IPv6 one
/// (`2001:db8::a-1f`). One address is a range of one.
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    public var first: InternetAddress
    /// The last octet (IPv4) or group (IPv6) of the last address; nil: `first` alone.
    public var end: Int?

    public init(first: InternetAddress, end: Int? = nil) {
        self.first = first
        self.end = end
    }

    /// Whether the end lies below the first address's own last octet or group
    /// (`198.18.0.101-99`): `vigil check` refuses it in a `local_address_group`; elsewhere
    /// such a range stands for `first` alone.
    public var endsBelowStart: Bool { end.map { $0 < Self.unit(of: first) } ?? false }

    /// The last address (`first` itself without an end, or with one below its start).
    public var last: InternetAddress {
        guard let end, !endsBelowStart else { return first }
        return Self.with(first, unit: end)
    }

    /// Every address, in order (at most 65,536, an IPv6 group's worth).
    public var addresses: [InternetAddress] {
        guard let end, !endsBelowStart else { return [first] }
        return (Self.unit(of: first)...end).map { Self.with(first, unit: $0) }
    }

    public func contains(_ address: InternetAddress) -> Bool {
        guard address.isIPv6 == first.isIPv6 else { return false }
        return !(address < first) && !(last < address)
    }

    /// As written: `198.18.0.101-103`, `2001:db8::a-1f`.
    public var description: String {
        guard let end else { return first.description }
        return "\(first)-\(first.isIPv6 ? String(end, radix: 16) : String(end))"
    }

    /// The part a range varies: the last octet, or the last group for IPv6.
    private static func unit(of address: InternetAddress) -> Int {
        let b = address.bytes
        return address.isIPv6 ? Int(b[14]) << 8 | Int(b[15]) : Int(b[3])
    }

    private static func with(_ address: InternetAddress, unit: Int) -> InternetAddress {
        var b = address.bytes
        if address.isIPv6 {
            b[14] = UInt8(truncatingIfNeeded: unit >> 8)
            b[15] = UInt8(truncatingIfNeeded: unit)
        } else {
            b[3] = UInt8(truncatingIfNeeded: unit)
        }
        return InternetAddress(bytes: b) ?? address
    }
}
