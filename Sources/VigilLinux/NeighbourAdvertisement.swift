#if canImport(Glibc)
import Glibc
#endif
import VRRP
import VigilTypes

/// Unsolicited neighbour advertisements (RFC 4861 §7.2.6): IPv6's gratuitous ARP. A new
/// master sends one per IPv6 VIP to all nodes (ff02::1) with the Override flag, so hosts
/// and switches replace the old master's MAC for the VIP at once.
///
/// A raw ICMPv6 socket on the interface, hop limit 255 as RFC 4861 requires; the kernel
/// fills in the ICMPv6 checksum.
public final class NeighbourAdvertisement {
    private let fd: Int32
    private let interfaceIndex: Int32
    private let hardwareAddress: [UInt8]

    public init(interface name: String, index: Int32, hardwareAddress: [UInt8]) throws {
        fd = socket(AF_INET6, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMPV6))
        guard fd >= 0 else { throw SystemCallError("socket(AF_INET6, SOCK_RAW, ICMPv6)") }
        interfaceIndex = index
        self.hardwareAddress = hardwareAddress
        var hops: Int32 = 255
        var ifindex = index
        // Not looped back to this box: its own announcement watcher must hear only others.
        var loop: Int32 = 0
        let ok = name.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0) + 1)) } == 0
            && setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, &hops, 4) == 0
            && setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, &hops, 4) == 0
            && setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, &ifindex, 4) == 0
            && setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, &loop, 4) == 0
        if !ok {
            let error = SystemCallError("neighbour advertisement socket on \(name)")
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// The ICMPv6 message: type 136, Override set, the VIP as target, our MAC as the
    /// target link-layer address option.
    static func message(target: IPv6Address, hardwareAddress: [UInt8]) -> [UInt8] {
        [136, 0, 0, 0, 0x20, 0, 0, 0] + target.bytes + [2, 1] + hardwareAddress.prefix(6)
    }

    public func announce(_ address: IPv6Address) throws {
        let bytes = Self.message(target: address, hardwareAddress: hardwareAddress)
        var to = VRRPSocket.sockaddr6(.allNodes, scope: interfaceIndex)
        let sent = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        if sent < 0 { throw SystemCallError("neighbour advertisement for \(address)") }
    }
}
