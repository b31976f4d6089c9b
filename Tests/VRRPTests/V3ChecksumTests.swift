import Testing
@testable import VRRP
import VigilTypes

/// VRRPv3 over IPv4, unicast: the three readings of RFC 5798's checksum on real bytes, and
/// keepalived's rules for them (`v3_checksum_as_v2`, `old_unicast_checksum [never]`, and
/// the automatic turn to the old form on hearing it).
///
/// The advert: VRID 51, priority 100, 100 cs, VIP 192.0.2.100, from 192.0.2.12 to the
/// unicast peer 192.0.2.11. Its three checksums were computed apart from Vigil (a short
/// Python sum over the bytes): 0x236e over the pseudo-header with the destination,
/// 0x0567 over the pseudo-header with 224.0.0.18 (keepalived before 1.3.6), 0xa802 over
/// the advertisement alone (as VRRPv2; Cisco, Juniper).
@Suite struct V3ChecksumTests {
    static let peer = IPv4Address(192, 0, 2, 12)
    static let own = IPv4Address(192, 0, 2, 11)
    static let body: [UInt8] = [0x31, 51, 100, 1, 0x00, 0x64, 0, 0, 192, 0, 2, 100]
    static let rfc = withChecksum(0x23, 0x6e)
    static let old = withChecksum(0x05, 0x67)
    static let plain = withChecksum(0xa8, 0x02)

    static func withChecksum(_ high: UInt8, _ low: UInt8) -> [UInt8] {
        var bytes = body
        bytes[6] = high
        bytes[7] = low
        return bytes
    }

    /// The payload in an IPv4 header as the raw socket hands it over.
    static func packet(_ payload: [UInt8], from source: IPv4Address = peer, to destination: IPv4Address = own) -> [UInt8] {
        let total = 20 + payload.count
        return [0x45, 0xc0, 0, UInt8(total), 0, 1, 0, 0, 255, 112, 0, 0] + source.bytes + destination.bytes + payload
    }

    static func heard(_ payload: [UInt8], to destination: IPv4Address = own) throws -> ReceivedAdvertisement {
        try ReceivedAdvertisement.decode(ipPacket: packet(payload, to: destination)[...])
    }

    static let advert = Advertisement(version: .v3, virtualRouterID: 51, priority: 100, advertisementInterval: 1_000_000,
                                      addresses: [IPv4Address(192, 0, 2, 100)])

    /// A unicast VRRPv3 router at .11 with the peer .12, under `policy`, started (backup).
    static func router(_ policy: V3ChecksumPolicy, unicast: Bool = true) -> VirtualRouter {
        var c = VirtualRouter.Configuration.pair("VI_1", host: 11, priority: 90, version: .v3)
        c.unicast = unicast
        c.v3Checksum = policy
        var r = VirtualRouter(c)
        _ = r.start(at: .zero)
        return r
    }

    @Test func encodesEachFormAsComputedApart() {
        #expect(Self.advert.encode(source: Self.peer, destination: Self.own) == Self.rfc)
        #expect(Self.advert.encode(source: Self.peer, destination: Self.own, checksum: .multicastPseudoHeader) == Self.old)
        #expect(Self.advert.encode(source: Self.peer, destination: Self.own, checksum: .noPseudoHeader) == Self.plain)
        // Multicast: the RFC's form and the old one are the same bytes.
        #expect(Self.advert.encode(source: Self.peer, destination: .vrrpMulticastGroup)
            == Self.advert.encode(source: Self.peer, destination: .vrrpMulticastGroup, checksum: .multicastPseudoHeader))
    }

    @Test func decodingSaysWhichFormsVerify() throws {
        #expect(try Self.heard(Self.rfc).checksumForms == [.pseudoHeader])
        #expect(try Self.heard(Self.old).checksumForms == [.multicastPseudoHeader])
        #expect(try Self.heard(Self.plain).checksumForms == [.noPseudoHeader])
        #expect(try Self.heard(Self.old, to: .vrrpMulticastGroup).checksumForms == [.pseudoHeader, .multicastPseudoHeader])
        #expect(try Self.heard(Self.rfc).advertisement == Self.advert)
        #expect(throws: Rejection.checksum) { try Self.heard(Self.withChecksum(0x23, 0x6f)) }
    }

    /// keepalived's default: the RFC form; an advert in the old form from a unicast peer
    /// is taken and this instance sends the old form from then on; one without the
    /// pseudo-header is a bad checksum.
    @Test func theDefaultTurnsToTheOldFormOnHearingIt() throws {
        var r = Self.router(V3ChecksumPolicy())
        #expect(r.advertisementChecksum == .pseudoHeader)
        #expect(throws: Rejection.checksum) { try r.receive(try Self.heard(Self.plain), at: Instant(microseconds: 10)) }
        _ = try r.receive(try Self.heard(Self.rfc), at: Instant(microseconds: 20))
        #expect(r.advertisementChecksum == .pseudoHeader && r.oldUnicastChecksumSince == nil)
        _ = try r.receive(try Self.heard(Self.old), at: Instant(microseconds: 30))
        #expect(r.advertisementChecksum == .multicastPseudoHeader)
        #expect(r.oldUnicastChecksumSince == Instant(microseconds: 30))
        // From then on the old form only, as keepalived checks with the group then.
        #expect(throws: Rejection.checksum) { try r.receive(try Self.heard(Self.rfc), at: Instant(microseconds: 40)) }
    }

    @Test func aMulticastInstanceDoesNotTurn() throws {
        var r = Self.router(V3ChecksumPolicy(), unicast: false)
        _ = try r.receive(try Self.heard(Self.old, to: .vrrpMulticastGroup), at: Instant(microseconds: 10))
        #expect(r.advertisementChecksum == .pseudoHeader && r.oldUnicastChecksumSince == nil)
    }

    @Test func neverRefusesTheOldForm() throws {
        var r = Self.router(V3ChecksumPolicy(unicastCompatibility: .never))
        #expect(throws: Rejection.checksum) { try r.receive(try Self.heard(Self.old), at: Instant(microseconds: 10)) }
        #expect(r.advertisementChecksum == .pseudoHeader)
        _ = try r.receive(try Self.heard(Self.rfc), at: Instant(microseconds: 20))
    }

    @Test func alwaysSendsAndTakesTheOldFormOnly() throws {
        var r = Self.router(V3ChecksumPolicy(unicastCompatibility: .always))
        #expect(r.advertisementChecksum == .multicastPseudoHeader)
        #expect(throws: Rejection.checksum) { try r.receive(try Self.heard(Self.rfc), at: Instant(microseconds: 10)) }
        _ = try r.receive(try Self.heard(Self.old), at: Instant(microseconds: 20))
        #expect(r.oldUnicastChecksumSince == nil, "not a turn: it was configured")
    }

    /// `v3_checksum_as_v2`: sends without the pseudo-header; keepalived then rejects no
    /// advert for its checksum, Vigil takes every form but a corrupt one.
    @Test func asV2SendsWithoutThePseudoHeaderAndTakesAnyForm() throws {
        var r = Self.router(V3ChecksumPolicy(asV2: true, unicastCompatibility: .never))
        #expect(r.advertisementChecksum == .noPseudoHeader)
        for (i, payload) in [Self.plain, Self.rfc, Self.old].enumerated() {
            _ = try r.receive(try Self.heard(payload), at: Instant(microseconds: 10 + Int64(i)))
        }
        #expect(r.advertisementChecksum == .noPseudoHeader)
    }

    /// VRRPv2 and IPv6 have one reading: the policy does not touch them.
    @Test func vrrpV2IsNotJudged() throws {
        var c = VirtualRouter.Configuration.pair("VI_1", host: 11, priority: 90)
        c.v3Checksum = V3ChecksumPolicy(asV2: false, unicastCompatibility: .always)
        var r = VirtualRouter(c)
        _ = r.start(at: .zero)
        let peer = VirtualRouter(.pair("peer", host: 12, priority: 100))
        let payload = peer.advertisement().encode(source: Self.peer, destination: .vrrpMulticastGroup)
        let heard = try ReceivedAdvertisement.decode(ipPacket: SimulatedLAN.ipPacket(payload, from: Self.peer)[...])
        #expect(heard.checksumForms == nil)
        _ = try r.receive(heard, at: Instant(microseconds: 10))
    }
}
