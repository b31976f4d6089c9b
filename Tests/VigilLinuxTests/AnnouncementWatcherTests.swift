#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Testing
import VigilTypes
@testable import VigilLinux

/// The announcement watcher against the real kernel: another box's gratuitous ARP and
/// unsolicited NA are heard, an ordinary ARP request is not, and this box's own
/// announcements never are. Needs root; runs in a network namespace of its own with a veth
/// pair (what leaves `peer` arrives on `lan`, as from another box) and a second one whose
/// far end is down (what this box sends on `own` goes nowhere, so anything heard from it
/// would be its own, handed back by the kernel).
@Suite(.enabled(if: getuid() == 0, "needs root: creates links in a network namespace"))
struct AnnouncementWatcherTests {
    static let vip = IPv4Address(198, 51, 100, 10)
    static let vip6 = IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10)
    static let peerMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x02]

    /// Waits up to `limit` ms for the watcher's sockets, then reads what they hold.
    static func heard(_ watcher: AnnouncementWatcher, within limit: Int32) -> [AnnouncementWatcher.Heard] {
        var all: [AnnouncementWatcher.Heard] = []
        for _ in 0..<20 {
            var fds = [pollfd(fd: watcher.arpDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: watcher.neighbourDescriptor, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, limit) > 0 else { break }
            all += watcher.receive()
        }
        return all
    }

    /// An Ethernet ARP request from `peer` whose target is not its sender (an ordinary
    /// "who has"), sent as the frame is.
    static func sendOrdinaryRequest(on index: Int32) throws {
        var frame = GratuitousARP.frame(announcing: vip, from: peerMAC)
        frame.replaceSubrange(38..<42, with: [198, 51, 100, 1])
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(UInt16(ETH_P_ARP).bigEndian))
        guard fd >= 0 else { throw SystemCallError("socket(AF_PACKET)") }
        defer { close(fd) }
        var link = sockaddr_ll()
        link.sll_family = UInt16(AF_PACKET)
        link.sll_protocol = UInt16(ETH_P_ARP).bigEndian
        link.sll_ifindex = index
        link.sll_halen = 6
        let sent = frame.withUnsafeBytes { bytes in
            withUnsafePointer(to: &link) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
                }
            }
        }
        if sent < 0 { throw SystemCallError("sendto") }
    }

    static func index(_ name: String) throws -> Int32 {
        let i = if_nametoindex(name)
        guard i > 0 else { throw SystemCallError("if_nametoindex \(name)") }
        return Int32(i)
    }

    @Test func anotherBoxsAnnouncementsAreHeardAndNothingElse() throws {
        struct Seen: Sendable {
            var own: [AnnouncementWatcher.Heard], ordinary: [AnnouncementWatcher.Heard]
            var peer: [AnnouncementWatcher.Heard], lan: Int32
        }
        let seen = try NetworkNamespace.run {
            for command in [["link", "add", "lan", "type", "veth", "peer", "name", "peer"],
                            ["link", "set", "peer", "address", "02:00:00:00:00:02"],
                            ["link", "add", "own", "type", "veth", "peer", "name", "nowhere"],
                            ["link", "set", "own", "address", "02:00:00:00:00:03"]] {
                try NetworkNamespace.ip(command)
            }
            for link in ["lan", "peer", "own"] {
                try NetworkNamespace.ip(["link", "set", link, "addrgenmode", "none"])
                try NetworkNamespace.ip(["link", "set", link, "up"])
            }
            try NetworkNamespace.ip(["-6", "addr", "add", "fe80::2/64", "dev", "peer", "nodad"])
            try NetworkNamespace.ip(["-6", "addr", "add", "fe80::3/64", "dev", "own", "nodad"])
            let watcher = try AnnouncementWatcher()
            let (lan, peer, own) = (try Self.index("lan"), try Self.index("peer"), try Self.index("own"))
            // This box announcing on its own link: nothing may come back.
            try GratuitousARP(interfaceIndex: own, hardwareAddress: [2, 0, 0, 0, 0, 3]).announce(Self.vip)
            try NeighbourAdvertisement(interface: "own", index: own, hardwareAddress: [2, 0, 0, 0, 0, 3]).announce(Self.vip6)
            let ownHeard = Self.heard(watcher, within: 300)
            try Self.sendOrdinaryRequest(on: peer)
            let ordinary = Self.heard(watcher, within: 300)
            try GratuitousARP(interfaceIndex: peer, hardwareAddress: Self.peerMAC).announce(Self.vip)
            try NeighbourAdvertisement(interface: "peer", index: peer, hardwareAddress: Self.peerMAC).announce(Self.vip6)
            let peerHeard = Self.heard(watcher, within: 500)
            return Seen(own: ownHeard, ordinary: ordinary, peer: peerHeard, lan: lan)
        }
        #expect(seen.own.isEmpty, "its own announcements were heard: \(seen.own)")
        #expect(seen.ordinary.isEmpty, "an ordinary ARP request was taken for an announcement: \(seen.ordinary)")
        #expect(Set(seen.peer) == [AnnouncementWatcher.Heard(address: .v4(Self.vip), interfaceIndex: seen.lan),
                                   AnnouncementWatcher.Heard(address: .v6(Self.vip6), interfaceIndex: seen.lan)],
                "heard: \(seen.peer)")
    }

    @Test func readingsOfTheBodies() {
        let garp = GratuitousARP.frame(announcing: Self.vip, from: Self.peerMAC)
        #expect(AnnouncementWatcher.gratuitousARPAddress(garp[14...]) == Self.vip)
        var ordinary = garp
        ordinary.replaceSubrange(38..<42, with: [198, 51, 100, 1])
        #expect(AnnouncementWatcher.gratuitousARPAddress(ordinary[14...]) == nil)
        #expect(AnnouncementWatcher.gratuitousARPAddress(garp[14..<30]) == nil, "short")
        let na = NeighbourAdvertisement.message(target: Self.vip6, hardwareAddress: Self.peerMAC)
        #expect(AnnouncementWatcher.unsolicitedAdvertisementTarget(na[...]) == Self.vip6)
        var solicited = na
        solicited[4] |= 0x40
        #expect(AnnouncementWatcher.unsolicitedAdvertisementTarget(solicited[...]) == nil)
        var solicitation = na
        solicitation[0] = 135
        #expect(AnnouncementWatcher.unsolicitedAdvertisementTarget(solicitation[...]) == nil)
    }
}
