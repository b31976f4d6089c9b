/// The protocol version an instance speaks: VRRPv2 (RFC 3768) or VRRPv3 (RFC 5798,
/// RFC 9568). keepalived's default is 2.
public enum VRRPVersion: UInt8, Sendable, Hashable, CustomStringConvertible {
    case v2 = 2
    case v3 = 3

    public var description: String { "VRRPv\(rawValue)" }
}
