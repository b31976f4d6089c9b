import Testing
@testable import VRRP
import VigilTypes

/// The codec against packets keepalived 2.2.7 sent on this machine (captured with
/// `tcpdump -xx` in a namespace: VRID 51 from 192.0.2.11, VIPs 192.0.2.100 and .101).
@Suite struct AdvertisementTests {
    static let source = IPv4Address(192, 0, 2, 11)
    static let vips: [InternetAddress] = [.v4(IPv4Address(192, 0, 2, 100)), .v4(IPv4Address(192, 0, 2, 101))]

    /// VRRPv2, priority 255, advert_int 1, auth_type PASS, auth_pass "secret".
    static let keepalivedV2 = hex("""
        45c0 002c 0001 0000 ff70 1883 c000 020b e000 0012
        2133 ff02 0101 1db2 c000 0264 c000 0265 7365 6372 6574 0000
        """)
    /// VRRPv3, priority 200, advert_int 0.5 (50 cs), checksum over the pseudo-header.
    static let keepalivedV3 = hex("""
        45c0 0024 0001 0000 ff70 188b c000 020b e000 0012
        3133 c802 0032 df2e c000 0264 c000 0265
        """)

    @Test func decodesKeepalivedV2() throws {
        let received = try ReceivedAdvertisement.decode(ipPacket: Self.keepalivedV2[...])
        #expect(received.source == .v4(Self.source))
        #expect(received.destination == .v4(.vrrpMulticastGroup))
        #expect(received.ttl == 255)
        let a = received.advertisement
        #expect(a.version == .v2 && a.virtualRouterID == 51 && a.priority == 255)
        #expect(a.advertisementInterval == 1_000_000)
        #expect(a.addresses == Self.vips)
        #expect(a.authentication == .simple(password: Array("secret".utf8) + [0, 0]))
    }

    @Test func encodesExactlyWhatKeepalivedSends() {
        let v2 = Advertisement(version: .v2, virtualRouterID: 51, priority: 255, advertisementInterval: 1_000_000,
                               addresses: Self.vips, authentication: .simple(password: Array("secret".utf8)))
        #expect(v2.encode(source: Self.source, destination: .vrrpMulticastGroup) == Array(Self.keepalivedV2[20...]))
        let v3 = Advertisement(version: .v3, virtualRouterID: 51, priority: 200, advertisementInterval: 500_000,
                               addresses: Self.vips)
        #expect(v3.encode(source: Self.source, destination: .vrrpMulticastGroup) == Array(Self.keepalivedV3[20...]))
    }

    @Test func decodesKeepalivedV3() throws {
        let a = try ReceivedAdvertisement.decode(ipPacket: Self.keepalivedV3[...]).advertisement
        #expect(a.version == .v3 && a.priority == 200 && a.advertisementInterval == 500_000)
        #expect(a.addresses == Self.vips && a.authentication == .none)
    }

    /// Every interval v3 can carry survives the round trip, to the centisecond.
    @Test(arguments: [10_000, 100_000, 990_000, 1_000_000, 40_950_000] as [Int64])
    func v3RoundTrip(interval: Int64) throws {
        let a = Advertisement(version: .v3, virtualRouterID: 7, priority: 90, advertisementInterval: interval,
                              addresses: [IPv4Address(198, 18, 0, 1)])
        let bytes = a.encode(source: Self.source, destination: .vrrpMulticastGroup)
        #expect(try Advertisement.decode(bytes[...], source: Self.source, destination: .vrrpMulticastGroup) == a)
    }

    /// A v3 checksum without the pseudo-header, or with the group as destination of a
    /// unicast packet, is accepted (older peers; keepalived's unicast compatibility).
    @Test func v3ChecksumVariantsAreAccepted() throws {
        let a = Advertisement(version: .v3, virtualRouterID: 7, priority: 90, advertisementInterval: 100_000,
                              addresses: Self.vips)
        let peer = IPv4Address(192, 0, 2, 12)
        var plain = a.encode(source: Self.source, destination: peer)
        plain[6] = 0; plain[7] = 0
        let sum = InternetChecksum.finish(InternetChecksum.sum(plain))
        plain[6] = UInt8(sum >> 8); plain[7] = UInt8(sum & 0xff)
        #expect(try Advertisement.decode(plain[...], source: Self.source, destination: peer) == a)
        let viaGroup = a.encode(source: Self.source, destination: .vrrpMulticastGroup)
        #expect(try Advertisement.decode(viaGroup[...], source: Self.source, destination: peer) == a)
    }

    // MARK: - Wire-level rejections

    /// The packet with its VRRP checksum recomputed after an edit (v2: over the payload).
    static func resealedV2(_ packet: [UInt8]) -> [UInt8] {
        var b = packet
        b[26] = 0; b[27] = 0
        let sum = InternetChecksum.finish(InternetChecksum.sum(Array(b[20...]), initial: 0))
        b[26] = UInt8(sum >> 8); b[27] = UInt8(sum & 0xff)
        return b
    }

    /// v3: over the IPv4 pseudo-header too (RFC 5798 §5.2.8).
    static func resealedV3(_ packet: [UInt8]) -> [UInt8] {
        var b = packet
        b[26] = 0; b[27] = 0
        let pseudo = InternetChecksum.pseudoHeaderSum(source: source, destination: IPv4Address(224, 0, 0, 18), length: b.count - 20)
        let sum = InternetChecksum.finish(InternetChecksum.sum(Array(b[20...]), initial: pseudo))
        b[26] = UInt8(sum >> 8); b[27] = UInt8(sum & 0xff)
        return b
    }

    func rejection(_ bytes: [UInt8]) -> Rejection? {
        do {
            _ = try ReceivedAdvertisement.decode(ipPacket: bytes[...])
            return nil
        } catch {
            return error
        }
    }

    @Test func wireRejections() {
        var v2 = Self.keepalivedV2
        #expect(rejection(Array(v2.prefix(30))).map(\.reason) == "truncated")
        // The IP header says 44 bytes; cut the VRRP payload to 6 and fix the total length.
        var short = Array(v2.prefix(26)); short[3] = 26
        #expect(rejection(short) == .tooShort(length: 6))
        v2[20] = 0x41  // version 4
        #expect(rejection(v2) == .version(received: 4, expected: nil))
        v2 = Self.keepalivedV2; v2[20] = 0x22  // type 2
        #expect(rejection(v2) == .type(2))
        v2 = Self.keepalivedV2; v2[23] = 3  // count 3, but room for 2
        #expect(rejection(v2) == .countMismatch(count: 3, length: 24, expected: 28))
        v2 = Self.keepalivedV2; v2[22] = 254  // priority changed, checksum not
        #expect(rejection(v2) == .checksum)
        var v3 = Self.keepalivedV3; v3[35] ^= 1
        #expect(rejection(v3) == .checksum)
        v3 = Self.keepalivedV3; v3[9] = 17
        #expect(rejection(v3)?.reason == "malformed_ip_header")
        // Max Adver Int 0 (RFC 5798 gives it 12 bits and no zero): one spoofed packet would
        // make Master_Down_Interval 0.
        v3 = Self.keepalivedV3; v3[24] &= 0xf0; v3[25] = 0
        #expect(rejection(v3) == .checksum, "checksum first, as before")
        #expect(rejection(Self.resealedV3(v3)) == .zeroAdvertInterval)
        v2 = Self.keepalivedV2; v2[25] = 0
        #expect(rejection(Self.resealedV2(v2)) == .zeroAdvertInterval)
        #expect(rejection([0x45, 0, 0]).map(\.reason) == "malformed_ip_header")
        #expect(rejection([]).map(\.reason) == "malformed_ip_header")
    }
}

/// VRRPv3 over IPv6 (RFC 5798 §5.2.9): 16-byte addresses and the IPv6 pseudo-header.
@Suite struct IPv6AdvertisementTests {
    static let source = IPv6Address(0xfe80, 0, 0, 0, 0x0011, 0x22ff, 0xfe33, 0x4455)
    static let vip = IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100)

    @Test func textFormFollowsRFC5952() {
        #expect(Self.source.description == "fe80::11:22ff:fe33:4455")
        #expect(IPv6Address.vrrpMulticastGroup.description == "ff02::12")
        #expect(IPv6Address(0x2001, 0xdb8, 0, 1, 0, 0, 0, 1).description == "2001:db8:0:1::1")
        #expect(IPv6Address(0, 0, 0, 0, 0, 0, 0, 0).description == "::")
        #expect(IPv6Address(1, 0, 2, 0, 3, 0, 4, 0).description == "1:0:2:0:3:0:4:0", "no :: for a single zero group")
        #expect(Self.source.isLinkLocal && !Self.vip.isLinkLocal)
    }

    @Test func roundTripAndChecksumOverThePseudoHeader() throws {
        let advert = Advertisement(version: .v3, virtualRouterID: 61, priority: 100, advertisementInterval: 100_000,
                                   addresses: [.v6(Self.vip)])
        let bytes = advert.encode(source: .v6(Self.source), destination: .v6(.vrrpMulticastGroup))
        #expect(bytes.count == 8 + 16)
        #expect(Array(bytes[8...]) == Self.vip.bytes)
        // Checked independently: the ones' complement sum over pseudo-header + payload is 0xffff.
        var pseudo = Self.source.bytes + IPv6Address.vrrpMulticastGroup.bytes
        pseudo += [0, 0, 0, UInt8(bytes.count), 0, 0, 0, 112]
        #expect(InternetChecksum.sum(pseudo + bytes) == 0xffff)
        let back = try ReceivedAdvertisement.decode(ipv6Payload: bytes[...], source: Self.source,
                                                    destination: .vrrpMulticastGroup, hopLimit: 255)
        #expect(back.advertisement == advert)
        #expect(back.source == .v6(Self.source) && back.ttl == 255)
        var corrupted = bytes
        corrupted[2] ^= 1
        #expect(throws: Rejection.checksum) {
            _ = try ReceivedAdvertisement.decode(ipv6Payload: corrupted[...], source: Self.source,
                                                 destination: .vrrpMulticastGroup, hopLimit: 255)
        }
    }

    @Test func ipv6CarriesNoVRRPv2() {
        let v2 = Advertisement(version: .v2, virtualRouterID: 61, priority: 100, advertisementInterval: 1_000_000,
                               addresses: [.v6(Self.vip)])
        let bytes = v2.encode(source: .v6(Self.source), destination: .v6(.vrrpMulticastGroup))
        #expect(throws: Rejection.version(received: 2, expected: 3)) {
            _ = try Advertisement.decode(bytes[...], source: .v6(Self.source), destination: .v6(.vrrpMulticastGroup))
        }
    }

    /// A backup hearing a higher-priority IPv6 master; a tie goes to the higher link-local.
    @Test func electionComparesIPv6Addresses() throws {
        let config = VirtualRouter.Configuration(name: "v6", version: .v3, virtualRouterID: 61, priority: 100,
                                                 advertisementInterval: 100_000, virtualAddresses: [.v6(Self.vip)],
                                                 primaryAddress: .v6(Self.source))
        var router = VirtualRouter(config)
        _ = router.start(at: .zero)
        _ = router.advance(to: Instant(microseconds: 400_000))
        #expect(router.state == .master)
        let higher = IPv6Address(0xfe80, 0, 0, 0, 0x0011, 0x22ff, 0xfe33, 0x4456)
        let advert = Advertisement(version: .v3, virtualRouterID: 61, priority: 100, advertisementInterval: 100_000,
                                   addresses: [.v6(Self.vip)])
        let packet = ReceivedAdvertisement(advertisement: advert, source: .v6(higher), destination: .v6(.vrrpMulticastGroup), ttl: 255)
        let actions = try router.receive(packet, at: Instant(microseconds: 450_000))
        #expect(router.state == .backup)
        #expect(actions.first == .transition(from: .master, to: .backup, reason: .higherAddress(from: .v6(higher))))
    }
}
