import VigilTypes
/// A VRRP ADVERTISEMENT for IPv4 or (VRRPv3) IPv6: the value, and its wire form (RFC 3768 §5.3 for
/// VRRPv2, RFC 5798 §5.2 for VRRPv3).
///
/// ```
/// v2:  |Ver|Type| VRID | Priority | Count IP | Auth Type | Adver Int (s) | Checksum |
///      | IPv4 address 1 … n | Authentication Data (8 bytes) |
/// v3:  |Ver|Type| VRID | Priority | Count IP | Rsvd(4) Max Adver Int (12, cs) | Checksum |
///      | IPv4 address 1 … n |   (or IPv6 addresses of 16 bytes, RFC 5798 §5.2.9)
/// ```
/// `decode` checks only what the bytes themselves can say (length, version, type,
/// checksum); what depends on an instance's configuration is `VirtualRouter`'s.
public struct Advertisement: Hashable, Sendable {
    /// IP protocol number of VRRP.
    public static let ipProtocol: UInt8 = 112
    /// The TTL every advertisement is sent with and must arrive with.
    public static let ttl: UInt8 = 255
    static let headerLength = 8
    static let authenticationLength = 8

    public enum Authentication: Hashable, Sendable {
        /// Type 0.
        case none
        /// Type 1, PASS: up to 8 bytes of password, zero-padded on the wire.
        case simple(password: [UInt8])
        /// Type 2, IPsec AH (RFC 2402): recognised, never sent or accepted by Vigil.
        case ipsecAH

        public var type: UInt8 {
            switch self {
            case .none: return 0
            case .simple: return 1
            case .ipsecAH: return 2
            }
        }

        /// The 8 bytes of Authentication Data as sent.
        var data: [UInt8] {
            guard case let .simple(password) = self else { return [UInt8](repeating: 0, count: 8) }
            let prefix = Array(password.prefix(8))
            return prefix + [UInt8](repeating: 0, count: 8 - prefix.count)
        }
    }

    public var version: VRRPVersion
    public var virtualRouterID: UInt8
    /// 0 means the master is leaving; 255 the address owner.
    public var priority: UInt8
    /// Microseconds: whole seconds on the wire for v2, centiseconds for v3.
    public var advertisementInterval: Microseconds
    public var addresses: [InternetAddress]
    /// VRRPv2 only; a v3 advertisement carries none.
    public var authentication: Authentication

    public init(version: VRRPVersion, virtualRouterID: UInt8, priority: UInt8, advertisementInterval: Microseconds,
                addresses: [InternetAddress], authentication: Authentication = .none) {
        self.version = version
        self.virtualRouterID = virtualRouterID
        self.priority = priority
        self.advertisementInterval = advertisementInterval
        self.addresses = addresses
        self.authentication = version == .v2 ? authentication : .none
    }

    /// An IPv4 advertisement.
    public init(version: VRRPVersion, virtualRouterID: UInt8, priority: UInt8, advertisementInterval: Microseconds,
                addresses: [IPv4Address], authentication: Authentication = .none) {
        self.init(version: version, virtualRouterID: virtualRouterID, priority: priority,
                  advertisementInterval: advertisementInterval, addresses: addresses.map { .v4($0) },
                  authentication: authentication)
    }

    /// The interval field as it goes on the wire: seconds (v2, 8 bits) or centiseconds
    /// (v3, 12 bits), clamped to what the field holds.
    var intervalField: Int {
        switch version {
        case .v2: return Int(min(max(advertisementInterval / 1_000_000, 1), 255))
        case .v3: return Int(min(max(advertisementInterval / 10_000, 1), 4095))
        }
    }

    // MARK: - Encode

    /// The VRRP payload (no IP header: the kernel writes it). `source` and `destination`
    /// enter the VRRPv3 checksum through the pseudo-header, as keepalived computes it;
    /// `checksum` chooses another reading of RFC 5798 for VRRPv3 over IPv4.
    public func encode(source: IPv4Address, destination: IPv4Address, checksum: V3ChecksumForm = .pseudoHeader) -> [UInt8] {
        encode(source: .v4(source), destination: .v4(destination), checksum: checksum)
    }

    /// The VRRP payload for either family (the IPv6 pseudo-header of RFC 2460 §8.1 enters
    /// the checksum of an IPv6 advertisement, whatever `checksum` says: IPv6 has one reading).
    public func encode(source: InternetAddress, destination: InternetAddress,
                       checksum form: V3ChecksumForm = .pseudoHeader) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerLength + 16 * addresses.count + Self.authenticationLength)
        bytes.append(version.rawValue << 4 | 1)
        bytes.append(virtualRouterID)
        bytes.append(priority)
        bytes.append(UInt8(min(addresses.count, 255)))
        let interval = intervalField
        switch version {
        case .v2:
            bytes.append(authentication.type)
            bytes.append(UInt8(interval))
        case .v3:
            bytes.append(UInt8(interval >> 8))
            bytes.append(UInt8(interval & 0xff))
        }
        bytes += [0, 0]
        for address in addresses.prefix(255) { bytes += address.bytes }
        var initial: UInt32 = 0
        switch version {
        case .v2:
            bytes += authentication.data
        case .v3 where source.isIPv6:
            initial = InternetChecksum.pseudoHeaderSum(source: source, destination: destination, length: bytes.count)
        case .v3:
            switch form {
            case .pseudoHeader:
                initial = InternetChecksum.pseudoHeaderSum(source: source, destination: destination, length: bytes.count)
            case .multicastPseudoHeader:
                initial = InternetChecksum.pseudoHeaderSum(source: source, destination: source.vrrpMulticastGroup,
                                                           length: bytes.count)
            case .noPseudoHeader:
                initial = 0
            }
        }
        let checksum = InternetChecksum.finish(InternetChecksum.sum(bytes, initial: initial))
        bytes[6] = UInt8(checksum >> 8)
        bytes[7] = UInt8(checksum & 0xff)
        return bytes
    }

    // MARK: - Decode

    /// Reads the VRRP payload of a packet from `source` to `destination`. Never traps.
    ///
    /// A VRRPv3 checksum passes here when any reading of RFC 5798 verifies it (see
    /// `V3ChecksumForm`); which of them an instance accepts is its own rule
    /// (`V3ChecksumPolicy`), judged on `ReceivedAdvertisement.checksumForms`.
    public static func decode(_ payload: ArraySlice<UInt8>, source: IPv4Address,
                              destination: IPv4Address) throws(Rejection) -> Advertisement {
        try decode(payload, source: .v4(source), destination: .v4(destination))
    }

    /// Reads the payload of an IPv4 or IPv6 packet (the family of `source` says which;
    /// IPv6 speaks VRRPv3 only).
    public static func decode(_ payload: ArraySlice<UInt8>, source: InternetAddress,
                              destination: InternetAddress) throws(Rejection) -> Advertisement {
        try decodeWithChecksum(payload, source: source, destination: destination).advertisement
    }

    /// The forms in which a VRRPv3 payload's checksum verifies (none: corrupt).
    static func v3ChecksumForms(_ p: ArraySlice<UInt8>, source: InternetAddress,
                                destination: InternetAddress) -> Set<V3ChecksumForm> {
        func verifies(withDestination dst: InternetAddress) -> Bool {
            let pseudo = InternetChecksum.pseudoHeaderSum(source: source, destination: dst, length: p.count)
            return InternetChecksum.sum(p, initial: pseudo) == 0xffff
        }
        var forms: Set<V3ChecksumForm> = []
        let group = source.vrrpMulticastGroup
        if verifies(withDestination: destination) {
            forms.insert(.pseudoHeader)
            if destination == group { forms.insert(.multicastPseudoHeader) }
        }
        if destination != group, verifies(withDestination: group) { forms.insert(.multicastPseudoHeader) }
        if InternetChecksum.sum(p) == 0xffff { forms.insert(.noPseudoHeader) }
        return forms
    }

    /// As `decode`, with the forms in which a VRRPv3 checksum verifies (empty for VRRPv2).
    static func decodeWithChecksum(_ payload: ArraySlice<UInt8>, source: InternetAddress, destination: InternetAddress)
        throws(Rejection) -> (advertisement: Advertisement, checksumForms: Set<V3ChecksumForm>) {
        let p = payload
        let size = source.isIPv6 ? 16 : 4
        let base = p.startIndex
        guard p.count >= headerLength else { throw .tooShort(length: p.count) }
        let versionNumber = p[base] >> 4
        guard let version = VRRPVersion(rawValue: versionNumber) else {
            throw .version(received: versionNumber, expected: nil)
        }
        let type = p[base] & 0x0f
        guard type == 1 else { throw .type(type) }
        if source.isIPv6 && version == .v2 { throw .version(received: 2, expected: 3) }
        let count = Int(p[base + 3])
        let expected = headerLength + size * count + (version == .v2 ? authenticationLength : 0)
        guard p.count == expected else { throw .countMismatch(count: count, length: p.count, expected: expected) }

        var forms: Set<V3ChecksumForm> = []
        switch version {
        case .v2:
            guard InternetChecksum.sum(p) == 0xffff else { throw .checksum }
        case .v3:
            forms = v3ChecksumForms(p, source: source, destination: destination)
            guard !forms.isEmpty else { throw .checksum }
        }

        var addresses: [InternetAddress] = []
        addresses.reserveCapacity(count)
        for i in 0..<count {
            let at = base + headerLength + size * i
            addresses.append(size == 4 ? .v4(IPv4Address(bytes: p[at..<at + 4])) : .v6(IPv6Address(bytes: p[at..<at + 16])))
        }
        let interval: Microseconds
        var authentication = Authentication.none
        switch version {
        case .v2:
            interval = Int64(p[base + 5]) * 1_000_000
            let data = Array(p[(p.endIndex - authenticationLength)...])
            switch p[base + 4] {
            case 0: authentication = .none
            case 1: authentication = .simple(password: data)
            case 2: authentication = .ipsecAH
            case let other: throw .authType(received: other, expected: nil)
            }
        case .v3:
            interval = Int64((Int(p[base + 4]) << 8 | Int(p[base + 5])) & 0x0fff) * 10_000
        }
        guard interval > 0 else { throw .zeroAdvertInterval }
        let advertisement = Advertisement(version: version, virtualRouterID: p[base + 1], priority: p[base + 2],
                                          advertisementInterval: interval, addresses: addresses,
                                          authentication: authentication)
        return (advertisement, forms)
    }
}

/// An advertisement as it arrived: the IP header facts the receive checks need.
public struct ReceivedAdvertisement: Hashable, Sendable {
    public var advertisement: Advertisement
    public var source: InternetAddress
    public var destination: InternetAddress
    /// The IPv4 TTL or the IPv6 hop limit.
    public var ttl: UInt8
    /// The readings of RFC 5798 under which a VRRPv3 checksum verified, for the instance's
    /// `V3ChecksumPolicy`; nil for an advert built rather than read (taken as the RFC's).
    public var checksumForms: Set<V3ChecksumForm>?

    public init(advertisement: Advertisement, source: IPv4Address, destination: IPv4Address, ttl: UInt8,
                checksumForms: Set<V3ChecksumForm>? = nil) {
        self.init(advertisement: advertisement, source: .v4(source), destination: .v4(destination), ttl: ttl,
                  checksumForms: checksumForms)
    }

    public init(advertisement: Advertisement, source: InternetAddress, destination: InternetAddress, ttl: UInt8,
                checksumForms: Set<V3ChecksumForm>? = nil) {
        self.advertisement = advertisement
        self.source = source
        self.destination = destination
        self.ttl = ttl
        self.checksumForms = checksumForms
    }

    /// Parses a whole IPv4 packet as a raw IP socket returns it (header included).
    public static func decode(ipPacket bytes: ArraySlice<UInt8>) throws(Rejection) -> ReceivedAdvertisement {
        let base = bytes.startIndex
        guard bytes.count >= 20 else { throw .malformedIPHeader("\(bytes.count) bytes, shorter than an IPv4 header") }
        guard bytes[base] >> 4 == 4 else { throw .malformedIPHeader("IP version \(bytes[base] >> 4)") }
        let headerLength = Int(bytes[base] & 0x0f) * 4
        guard headerLength >= 20, headerLength <= bytes.count else {
            throw .malformedIPHeader("header length \(headerLength)")
        }
        let total = Int(bytes[base + 2]) << 8 | Int(bytes[base + 3])
        guard total == bytes.count else { throw .truncated(ipTotalLength: total, received: bytes.count) }
        guard bytes[base + 9] == Advertisement.ipProtocol else {
            throw .malformedIPHeader("protocol \(bytes[base + 9]), not VRRP (112)")
        }
        let source = IPv4Address(bytes: bytes[(base + 12)..<(base + 16)])
        let destination = IPv4Address(bytes: bytes[(base + 16)..<(base + 20)])
        let read = try Advertisement.decodeWithChecksum(bytes[(base + headerLength)...], source: .v4(source),
                                                        destination: .v4(destination))
        return ReceivedAdvertisement(advertisement: read.advertisement, source: .v4(source), destination: .v4(destination),
                                     ttl: bytes[base + 8],
                                     checksumForms: read.advertisement.version == .v3 ? read.checksumForms : nil)
    }

    /// An IPv6 advertisement: a raw IPv6 socket returns only the payload, the header facts
    /// come from the socket's ancillary data (IPV6_PKTINFO, IPV6_HOPLIMIT).
    public static func decode(ipv6Payload bytes: ArraySlice<UInt8>, source: IPv6Address, destination: IPv6Address,
                              hopLimit: UInt8) throws(Rejection) -> ReceivedAdvertisement {
        let advertisement = try Advertisement.decode(bytes, source: .v6(source), destination: .v6(destination))
        return ReceivedAdvertisement(advertisement: advertisement, source: .v6(source), destination: .v6(destination),
                                     ttl: hopLimit)
    }
}
