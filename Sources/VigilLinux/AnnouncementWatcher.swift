#if canImport(Glibc)
import Glibc
#endif
import CLinux
import VigilTypes

/// Hears other boxes announce addresses: gratuitous ARP (IPv4) and unsolicited neighbour
/// advertisements (IPv6), on every link of the namespace.
///
/// A master that leaves on purpose keeps its VIPs until the new master has told the
/// clients where they live now. keepalived sends its first advert before it adds the VIPs
/// and announces them, so the advert alone is not that moment; the announcement is, and
/// the old master sees it on the link like any client.
///
/// Two sockets, each filtered in the kernel so the loop wakes only for announcements:
/// an AF_PACKET socket for ARP frames with a classic BPF program that keeps those whose
/// sender and target protocol addresses are equal (a gratuitous ARP, request or reply)
/// and that this box did not send; and a raw ICMPv6 socket whose type filter passes
/// neighbour advertisements only (the unsolicited ones are picked here; this box's own
/// do not loop back: `NeighbourAdvertisement` turns multicast loop off). Neither socket
/// sees forwarded or other traffic.
public final class AnnouncementWatcher {
    /// One announcement heard: the address and the link it came in on.
    public struct Heard: Hashable, Sendable {
        public var address: InternetAddress
        public var interfaceIndex: Int32
    }

    public let arpDescriptor: Int32
    public let neighbourDescriptor: Int32

    public init() throws {
        let arp = socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                         Int32(UInt16(ETH_P_ARP).bigEndian))
        guard arp >= 0 else { throw SystemCallError("socket(AF_PACKET, ARP)") }
        do { try SocketFilter.attach(Self.gratuitousARPFilter, to: arp, "gratuitous ARP") } catch {
            close(arp)
            throw error
        }
        let nd = socket(AF_INET6, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                        Int32(IPPROTO_ICMPV6))
        guard nd >= 0 else {
            let error = SystemCallError("socket(AF_INET6, SOCK_RAW, ICMPv6)")
            close(arp)
            throw error
        }
        // struct icmp6_filter: 256 bits, a set bit blocks that type. Block all but one.
        // (<netinet/icmp6.h> is not imported: in the C shim it takes <netinet/in.h> from Glibc.)
        var filter = [UInt32](repeating: ~0, count: 8)
        filter[Int(Self.neighbourAdvertisement) >> 5] &= ~(UInt32(1) << (UInt32(Self.neighbourAdvertisement) & 31))
        let icmp6Filter: Int32 = 1  // ICMP6_FILTER
        if setsockopt(nd, Int32(IPPROTO_ICMPV6), icmp6Filter, &filter, socklen_t(filter.count * 4)) != 0 {
            let error = SystemCallError("ICMP6_FILTER")
            close(arp)
            close(nd)
            throw error
        }
        arpDescriptor = arp
        neighbourDescriptor = nd
    }

    deinit {
        close(arpDescriptor)
        close(neighbourDescriptor)
    }

    static let neighbourAdvertisement: UInt8 = 136

    /// Keeps an Ethernet/IPv4 ARP packet (as SOCK_DGRAM gives it: from the ARP header on)
    /// whose sender protocol address equals its target protocol address, and that was not
    /// this box's own outgoing frame; 28 bytes of it, the ARP body.
    static let gratuitousARPFilter: [sock_filter] = {
        let statement = SocketFilter.statement, jump = SocketFilter.jump
        let ld = BPF_LD | BPF_ABS, jeq = BPF_JMP | BPF_JEQ | BPF_K
        let packetTypeOffset = UInt32(bitPattern: SKF_AD_OFF + SKF_AD_PKTTYPE)
        // Each test jumps to "drop" (the last instruction) when it fails.
        return [
            statement(ld | BPF_B, packetTypeOffset),            // 0 packet type
            jump(jeq, UInt32(PACKET_OUTGOING), 11, 0),          // 1 ours -> drop
            statement(ld | BPF_H, 0),                           // 2 hardware type
            jump(jeq, 1, 0, 9),                                 // 3 Ethernet
            statement(ld | BPF_H, 2),                           // 4 protocol type
            jump(jeq, 0x0800, 0, 7),                            // 5 IPv4
            statement(ld | BPF_H, 4),                           // 6 hlen, plen
            jump(jeq, 0x0604, 0, 5),                            // 7 6 and 4
            statement(ld | BPF_W, 14),                          // 8 sender protocol address
            statement(BPF_MISC | BPF_TAX, 0),                   // 9 X = it
            statement(ld | BPF_W, 24),                          // 10 target protocol address
            jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),           // 11 equal?
            SocketFilter.ret(28),                               // 12 keep
            SocketFilter.ret(SocketFilter.drop),                // 13 drop
        ]
    }()

    /// What is queued on both sockets now (at most `limit` packets each): the addresses
    /// announced. A flood costs one bounded read per turn.
    public func receive(limit: Int = 64) -> [Heard] {
        Self.drain(arpDescriptor, limit: limit, from: sockaddr_ll()) { body, from in
            Self.gratuitousARPAddress(body).map { Heard(address: .v4($0), interfaceIndex: from.sll_ifindex) }
        }
        + Self.drain(neighbourDescriptor, limit: limit, from: sockaddr_in6()) { message, from in
            Self.unsolicitedAdvertisementTarget(message).map {
                Heard(address: .v6($0), interfaceIndex: Int32(bitPattern: from.sin6_scope_id))
            }
        }
    }

    /// Reads `fd` until it is empty or `limit` packets were read, each with its sender's
    /// socket address (`SocketAddress`, zeroed as `empty`), keeping what `take` makes of it.
    private static func drain<SocketAddress>(_ fd: Int32, limit: Int, from empty: SocketAddress,
                                             _ take: (ArraySlice<UInt8>, SocketAddress) -> Heard?) -> [Heard] {
        var heard: [Heard] = []
        var buffer = [UInt8](repeating: 0, count: 128)
        for _ in 0..<limit {
            var from = empty
            var length = socklen_t(MemoryLayout<SocketAddress>.size)
            let n = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, bytes.baseAddress, bytes.count, 0, $0, &length)
                    }
                }
            }
            guard n >= 0 else { break }
            if let h = take(buffer[..<n], from) { heard.append(h) }
        }
        return heard
    }

    /// The address a gratuitous ARP announces (the filter already checked it; again here,
    /// so the reading stands on its own), or nil.
    static func gratuitousARPAddress(_ body: ArraySlice<UInt8>) -> IPv4Address? {
        let b = Array(body)
        guard b.count >= 28, b[0] == 0, b[1] == 1, b[2] == 0x08, b[3] == 0, b[4] == 6, b[5] == 4 else { return nil }
        let sender = Array(b[14..<18]), target = Array(b[24..<28])
        guard sender == target, sender != [0, 0, 0, 0] else { return nil }
        return IPv4Address(sender[0], sender[1], sender[2], sender[3])
    }

    /// The target of an unsolicited neighbour advertisement (ICMPv6 type 136, code 0,
    /// Solicited flag clear; the kernel checked its checksum), or nil.
    static func unsolicitedAdvertisementTarget(_ message: ArraySlice<UInt8>) -> IPv6Address? {
        let m = Array(message)
        guard m.count >= 24, m[0] == neighbourAdvertisement, m[1] == 0, m[4] & 0x40 == 0 else { return nil }
        return IPv6Address(bytes: Array(m[8..<24]))
    }
}
