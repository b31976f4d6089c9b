#if canImport(Glibc)
import Glibc
#endif
import Testing
import VRRP
import VigilTypes
@testable import VigilLinux

/// The kernel's screen on a VRRP socket, against the real kernel: what could pass an
/// instance's checks is queued on the socket's first descriptor, everything else on the
/// second, each packet on exactly one; and a flood of what cannot pass fills only the
/// second queue, so a valid advert sent after it is still there to read. Needs root; runs
/// in a network namespace of its own with a veth pair (what `peer` sends arrives on `lan`).
@Suite(.enabled(if: getuid() == 0, "needs root: creates links in a network namespace"))
struct AdvertScreenTests {
    static let vip = IPv4Address(192, 0, 2, 100)
    static let password = Array("secret".utf8)

    /// What `lan` read: the VRRP part of each packet, from the first queue and the second.
    struct Read: Sendable {
        var passed: [[UInt8]] = []
        var screened: [[UInt8]] = []
    }

    /// `lan` and `peer`, the two ends of a veth pair in this namespace. Only `lan` has an
    /// IPv4 address: IPv4 drops a packet whose source is one of the box's own, so what
    /// `peer` sends carries another box's (`send`).
    static func link() throws -> (lan: Int32, peer: Int32) {
        try NetworkNamespace.ip(["link", "add", "lan", "type", "veth", "peer", "name", "peer"])
        for link in ["lan", "peer"] {
            try NetworkNamespace.ip(["link", "set", link, "addrgenmode", "none"])
            try NetworkNamespace.ip(["link", "set", link, "up"])
        }
        try NetworkNamespace.ip(["addr", "add", "192.0.2.1/24", "dev", "lan"])
        try NetworkNamespace.ip(["-6", "addr", "add", "fe80::1/64", "dev", "lan", "nodad"])
        try NetworkNamespace.ip(["-6", "addr", "add", "fe80::2/64", "dev", "peer", "nodad"])
        return (Int32(if_nametoindex("lan")), Int32(if_nametoindex("peer")))
    }

    /// Sends VRRP payloads from `peer` to 224.0.0.18 as 192.0.2.2 would: the IP header
    /// written here (TTL 255, protocol 112; the kernel fills in the checksum).
    final class Sender {
        let fd: Int32
        init(peer: Int32) throws {
            fd = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
            guard fd >= 0 else { throw SystemCallError("socket(AF_INET, SOCK_RAW, IPPROTO_RAW)") }
            var request = ip_mreqn()
            request.imr_ifindex = peer
            guard setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &request, socklen_t(MemoryLayout<ip_mreqn>.size)) == 0 else {
                close(fd)
                throw SystemCallError("IP_MULTICAST_IF")
            }
        }
        deinit { close(fd) }

        func send(_ payload: [UInt8]) throws {
            let total = 20 + payload.count
            let header: [UInt8] = [0x45, 0xc0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 255, 112, 0, 0,
                                   192, 0, 2, 2, 224, 0, 0, 18]
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = IPv4Address.vrrpMulticastGroup.value.bigEndian
            let packet = header + payload
            let sent = packet.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            if sent != packet.count { throw SystemCallError("sendto") }
        }
    }

    /// Everything queued on both of `socket`'s descriptors after a short wait (the veth
    /// delivers within it); the VRRP part only (an IPv4 packet's header taken off).
    static func read(_ socket: VRRPSocket, limit: Int = 100_000) throws -> Read {
        usleep(100_000)
        func payload(_ packet: VRRPSocket.Packet) -> [UInt8] {
            switch packet {
            case let .ipv4(bytes): return Array(bytes.dropFirst(Int(bytes.first! & 0x0f) * 4))
            case let .ipv6(payload, _, _, _): return Array(payload)
            }
        }
        var read = Read()
        for _ in 0..<limit { guard let p = try socket.receive() else { break }; read.passed.append(payload(p)) }
        for _ in 0..<limit { guard let p = try socket.receiveScreened() else { break }; read.screened.append(payload(p)) }
        return read
    }

    static func advert(_ version: VRRPVersion, vrid: UInt8, priority: UInt8, addresses: Int = 1,
                       authentication: Advertisement.Authentication = .none) -> [UInt8] {
        Advertisement(version: version, virtualRouterID: vrid, priority: priority, advertisementInterval: 1_000_000,
                      addresses: [IPv4Address](repeating: vip, count: addresses), authentication: authentication)
            .encode(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address.vrrpMulticastGroup)
    }

    @Test func eachPacketLandsInTheQueueItsChecksWouldChoose() throws {
        let pass = Advertisement.Authentication.simple(password: Self.password)
        var longCount = Self.advert(.v2, vrid: 51, priority: 9, authentication: pass)
        longCount[3] = 200  // the password would lie past the end of the packet
        let passing: [[UInt8]] = [
            Self.advert(.v2, vrid: 51, priority: 1, authentication: pass),
            Self.advert(.v2, vrid: 51, priority: 2, addresses: 3, authentication: pass),  // the password further on
            Self.advert(.v2, vrid: 52, priority: 3),
            Self.advert(.v3, vrid: 53, priority: 4),
        ]
        let failing: [[UInt8]] = [
            Self.advert(.v2, vrid: 51, priority: 5, authentication: .simple(password: Array("wrong".utf8))),
            Self.advert(.v2, vrid: 51, priority: 6),                                      // no authentication
            Self.advert(.v3, vrid: 51, priority: 7),                                      // the other version
            Self.advert(.v2, vrid: 54, priority: 8),                                      // no instance's VRID
            longCount,
            [0x21, 51, 10, 1],                                                            // shorter than a header
        ]
        let read = try NetworkNamespace.run {
            let (lan, peer) = try Self.link()
            let socket = try VRRPSocket(interface: "lan", index: lan, source: nil, multicast: true)
            try socket.screen(AdvertScreen([.init(virtualRouterID: 51, version: .v2, password: Self.password),
                                            .init(virtualRouterID: 52, version: .v2),
                                            .init(virtualRouterID: 53, version: .v3)], ipv6: false))
            let sender = try Sender(peer: peer)
            for payload in passing + failing { try sender.send(payload) }
            return try Self.read(socket)
        }
        #expect(read.passed == passing)
        #expect(read.screened == failing)
    }

    @Test func ipv6IsScreenedByVRIDAndVersion() throws {
        let source = IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 2)
        let group = IPv6Address.vrrpMulticastGroup
        @Sendable func advert(_ version: VRRPVersion, vrid: UInt8) -> [UInt8] {
            Advertisement(version: version, virtualRouterID: vrid, priority: 100, advertisementInterval: 1_000_000,
                          addresses: [.v6(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10))])
                .encode(source: .v6(source), destination: .v6(group))
        }
        let read = try NetworkNamespace.run {
            let (lan, peer) = try Self.link()
            let socket = try VRRPSocket(interface: "lan", index: lan, source: .v6(IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
                                        multicast: true, ipv6: true)
            try socket.screen(AdvertScreen([.init(virtualRouterID: 7, version: .v3)], ipv6: true))
            let sender = try VRRPSocket(interface: "peer", index: peer, source: .v6(source), multicast: true, ipv6: true,
                                        receives: false)
            for payload in [advert(.v3, vrid: 7), advert(.v3, vrid: 8), advert(.v2, vrid: 7), [0x31, 7, 1]] {
                try sender.send(payload, to: .v6(group))
            }
            return try Self.read(socket)
        }
        #expect(read.passed == [advert(.v3, vrid: 7)])
        #expect(read.screened == [advert(.v3, vrid: 8), advert(.v2, vrid: 7), [0x31, 7, 1]])
    }

    /// The flood of a hostile host (wrong password, as `faults.sh` sends at 100,000 per
    /// second) fills a queue the loop cannot keep up with; the master's advert after it is
    /// read all the same. Without the screen the kernel drops it at the full queue.
    @Test func aFloodThatCannotPassDoesNotCrowdOutTheMastersAdvert() throws {
        let flood = Self.advert(.v2, vrid: 51, priority: 0, authentication: .simple(password: Array("wrong".utf8)))
        let master = Self.advert(.v2, vrid: 51, priority: 150, authentication: .simple(password: Self.password))
        let floodCount = 20_000
        let read = try NetworkNamespace.run {
            let (lan, peer) = try Self.link()
            let socket = try VRRPSocket(interface: "lan", index: lan, source: nil, multicast: true)
            try socket.screen(AdvertScreen([.init(virtualRouterID: 51, version: .v2, password: Self.password)], ipv6: false))
            let sender = try Sender(peer: peer)
            for _ in 0..<floodCount { try sender.send(flood) }
            try sender.send(master)
            return try Self.read(socket, limit: floodCount + 1)
        }
        // Guard: the flood did fill a queue (the kernel dropped some of it), or this proves nothing.
        #expect(read.screened.count + read.passed.count < floodCount, "the flood never filled a queue")
        #expect(read.passed.filter { $0 == master }.count == 1, "the master's advert was lost behind the flood")
    }

    /// A new screen takes effect for what arrives next; nothing is lost in the change.
    @Test func aNewScreenSortsWhatComesNext() throws {
        let a = Self.advert(.v3, vrid: 1, priority: 1), b = Self.advert(.v3, vrid: 2, priority: 2)
        let (before, after, none) = try NetworkNamespace.run {
            let (lan, peer) = try Self.link()
            let socket = try VRRPSocket(interface: "lan", index: lan, source: nil, multicast: true)
            let sender = try Sender(peer: peer)
            try socket.screen(AdvertScreen([.init(virtualRouterID: 1, version: .v3)], ipv6: false))
            for payload in [a, b] { try sender.send(payload) }
            let before = try Self.read(socket)
            try socket.screen(AdvertScreen([.init(virtualRouterID: 2, version: .v3)], ipv6: false))
            for payload in [a, b] { try sender.send(payload) }
            let after = try Self.read(socket)
            try socket.screen(nil)
            for payload in [a, b] { try sender.send(payload) }
            return (before, after, try Self.read(socket))
        }
        #expect(before.passed == [a] && before.screened == [b])
        #expect(after.passed == [b] && after.screened == [a])
        #expect(none.passed == [a, b] && none.screened.isEmpty)
    }
}
