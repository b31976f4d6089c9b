import VigilTypes
/// Why a received packet was not accepted as an advertisement for an instance.
///
/// The receive checks of RFC 3768 §7.1 and RFC 5798 §7.1, plus keepalived's own. A
/// rejected packet is counted under `reason` and logged (rate-limited by the daemon); it
/// never changes an instance's state.
public enum Rejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// The IPv4 header is not valid (version, header length, protocol).
    case malformedIPHeader(String)
    /// The IP total length disagrees with the bytes received.
    case truncated(ipTotalLength: Int, received: Int)
    /// RFC 3768 §7.1: the TTL MUST be 255 (not checked for unicast peers, as keepalived).
    case ttl(UInt8)
    /// A unicast peer's `min_ttl`/`max_ttl`: the TTL is outside them.
    case ttlOutOfRange(UInt8, minimum: UInt8, maximum: UInt8)
    /// `check_unicast_src`: the source is none of the instance's unicast peers.
    case unicastSource(InternetAddress)
    /// Shorter than the 8-byte VRRP header.
    case tooShort(length: Int)
    /// The address count does not agree with the length of the payload.
    case countMismatch(count: Int, length: Int, expected: Int)
    /// Version not 2 or 3, or not the version this instance speaks.
    case version(received: UInt8, expected: UInt8?)
    /// Type other than 1 (ADVERTISEMENT).
    case type(UInt8)
    case checksum
    /// No instance on this interface has this VRID.
    case unknownVirtualRouter(UInt8)
    /// VRRPv2: the authentication type differs from ours (expected nil: not 0, 1 or 2).
    case authType(received: UInt8, expected: UInt8?)
    /// VRRPv2 PASS: the 8 bytes of authentication data differ from our password.
    case authPassword
    /// An advertisement interval of 0: RFC 5798's Max Adver Int is 1…4095 cs and RFC 3768's
    /// Adver Int at least 1 s; a master announcing 0 would make Master_Down_Interval 0.
    case zeroAdvertInterval
    /// VRRPv2: the advertisement interval differs from ours (RFC 3768 §7.1 MUST).
    case advertIntervalMismatch(received: Microseconds, expected: Microseconds)
    /// The virtual addresses do not match ours (unless `vrrp_skip_check_adv_addr`).
    case addressList(received: [InternetAddress], expected: [InternetAddress])
    /// Our own advertisement, looped back by the multicast socket.
    case ownAdvertisement

    /// A stable short name, used as the counter label.
    public var reason: String {
        switch self {
        case .malformedIPHeader: return "malformed_ip_header"
        case .truncated: return "truncated"
        case .ttl, .ttlOutOfRange: return "ttl"
        case .unicastSource: return "unicast_src"
        case .tooShort: return "too_short"
        case .countMismatch: return "count_mismatch"
        case .version: return "version"
        case .type: return "type"
        case .checksum: return "checksum"
        case .unknownVirtualRouter: return "unknown_vrid"
        case .authType: return "auth_type"
        case .authPassword: return "auth_password"
        case .zeroAdvertInterval: return "advert_interval_zero"
        case .advertIntervalMismatch: return "advert_interval"
        case .addressList: return "address_list"
        case .ownAdvertisement: return "own_advert"
        }
    }

    public var description: String {
        switch self {
        case let .malformedIPHeader(why): return "malformed IPv4 header: \(why)"
        case let .truncated(total, received): return "IP total length \(total) but \(received) bytes received"
        case let .ttl(ttl): return "TTL \(ttl), expected 255"
        case let .ttlOutOfRange(ttl, low, high): return "TTL \(ttl), expected \(low)…\(high) from this unicast peer"
        case let .unicastSource(source): return "\(source) is not a unicast_peer of this instance (check_unicast_src)"
        case let .tooShort(length): return "VRRP payload of \(length) bytes is shorter than its 8-byte header"
        case let .countMismatch(count, length, expected):
            return "\(count) addresses need a payload of \(expected) bytes, got \(length)"
        case let .version(received, expected?): return "version \(received), expected \(expected)"
        case let .version(received, nil): return "unknown version \(received)"
        case let .type(type): return "type \(type) is not ADVERTISEMENT (1)"
        case .checksum: return "bad checksum"
        case let .unknownVirtualRouter(vrid): return "VRID \(vrid) is not configured on this interface"
        case let .authType(received, expected?): return "authentication type \(received), expected \(expected)"
        case let .authType(received, nil): return "unknown authentication type \(received)"
        case .authPassword: return "authentication password mismatch"
        case .zeroAdvertInterval: return "advertisement interval 0"
        case let .advertIntervalMismatch(received, expected):
            return "advertisement interval \(Double(received) / 1_000_000) s, expected \(Double(expected) / 1_000_000) s"
        case let .addressList(received, expected):
            return "addresses [\(received.map(\.description).joined(separator: " "))] differ from ours [\(expected.map(\.description).joined(separator: " "))]"
        case .ownAdvertisement: return "our own advertisement looped back"
        }
    }
}
