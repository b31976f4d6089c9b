/// An IPv4 address: four bytes in network order, compared as a 32-bit number.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address as a host-order integer (192.0.2.1 is 0xC000_0201), so that `<` is the
    /// numeric comparison RFC 3768 §6.4.3 uses to break a priority tie.
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Dotted quad, strictly four decimal parts of 0…255.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let byte = UInt8(part) else { return nil }
            v = v << 8 | UInt32(byte)
        }
        value = v
    }

    /// Inlinable so that each caller's collection type is specialised: unspecialised, the
    /// runtime looks the element type up by name (a quarter of a million instructions the
    /// first time, on a daemon's way to its IPVS table).
    @inlinable
    public init<C: Collection>(bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == 4)
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

    public var isMulticast: Bool { value >> 28 == 0xE }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    public var description: String { "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)" }
}
