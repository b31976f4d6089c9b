import VigilTypes
/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of
/// 16-bit words. VRRP uses it over the advertisement (v2) or over an IPv4 pseudo-header
/// and the advertisement (v3, RFC 5798 §5.2.8).
public enum InternetChecksum {
    /// The folded 16-bit sum of `bytes`, continuing from `initial` (an odd final byte is
    /// padded with zero).
    public static func sum<C: Collection>(_ bytes: C, initial: UInt32 = 0) -> UInt32 where C.Element == UInt8 {
        var acc = initial
        var iterator = bytes.makeIterator()
        while let high = iterator.next() {
            let low = iterator.next() ?? 0
            acc &+= UInt32(high) << 8 | UInt32(low)
        }
        while acc > 0xffff { acc = (acc & 0xffff) + (acc >> 16) }
        return acc
    }

    public static func finish(_ sum: UInt32) -> UInt16 { ~UInt16(truncatingIfNeeded: sum) }

    /// The sum of the IPv4 pseudo-header: source, destination, zero, protocol 112, length.
    public static func pseudoHeaderSum(source: IPv4Address, destination: IPv4Address, length: Int) -> UInt32 {
        sum(source.bytes + destination.bytes + [0, Advertisement.ipProtocol, UInt8(length >> 8), UInt8(length & 0xff)])
    }

    /// The pseudo-header of either family; IPv6's (RFC 2460 §8.1) is source, destination,
    /// a 32-bit upper-layer length, three zero bytes and the next header (112).
    public static func pseudoHeaderSum(source: InternetAddress, destination: InternetAddress, length: Int) -> UInt32 {
        switch (source, destination) {
        case let (.v4(s), .v4(d)):
            return pseudoHeaderSum(source: s, destination: d, length: length)
        default:
            let len: [UInt8] = [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                                UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
            return sum(source.bytes + destination.bytes + len + [0, 0, 0, Advertisement.ipProtocol])
        }
    }
}
