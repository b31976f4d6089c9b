import VigilTypes

/// Where adverts go when no unicast peer is configured.
extension IPv4Address {
    /// 224.0.0.18, the VRRP multicast group (RFC 3768 §5.2.2, RFC 5798 §5.1.1.2).
    public static let vrrpMulticastGroup = IPv4Address(224, 0, 0, 18)
}

extension IPv6Address {
    /// ff02::12, the VRRP multicast group for IPv6 (RFC 5798 §5.1.2.2).
    public static let vrrpMulticastGroup = IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 0x12)
}

extension InternetAddress {
    /// The VRRP multicast group of this address's family.
    public var vrrpMulticastGroup: InternetAddress {
        isIPv6 ? .v6(.vrrpMulticastGroup) : .v4(.vrrpMulticastGroup)
    }
}
