#if canImport(Glibc)
import Glibc
#endif
import VRRP

/// A raw IPv4 socket for IP protocol 112 on one interface.
///
/// Several instances on the interface share it: the daemon reads each packet once and
/// hands it to the instance with that VRID. Sent with TTL 255 and DSCP CS6 (TOS 0xc0),
/// as keepalived does; the kernel writes the IP header and picks the interface's primary
/// address as the source unless `unicast_src_ip` binds another.
public final class VRRPSocket {
    public let fileDescriptor: Int32
    public let interfaceName: String
    public let interfaceIndex: Int32

    /// Opens the socket and, for multicast, joins 224.0.0.18 on the interface.
    public init(interface name: String, index: Int32, source: IPv4Address?, multicast: Bool) throws {
        let fd = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                        Int32(Advertisement.ipProtocol))
        guard fd >= 0 else { throw SystemCallError("socket(AF_INET, SOCK_RAW, 112)") }
        fileDescriptor = fd
        interfaceName = name
        interfaceIndex = index
        do {
            try name.withCString { cname in
                try Self.check(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cname, socklen_t(strlen(cname) + 1)),
                               "SO_BINDTODEVICE \(name)")
            }
            try setInt(Int32(IPPROTO_IP), IP_TTL, 255, "IP_TTL")
            try setInt(Int32(IPPROTO_IP), IP_TOS, 0xc0, "IP_TOS")
            if let source {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = source.value.bigEndian
                let result = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                try Self.check(result, "bind \(source)")
            }
            if multicast {
                try setInt(Int32(IPPROTO_IP), IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL")
                try setInt(Int32(IPPROTO_IP), IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP")
                var request = ip_mreqn()
                request.imr_multiaddr.s_addr = IPv4Address.vrrpMulticastGroup.value.bigEndian
                request.imr_ifindex = index
                try Self.check(setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &request, socklen_t(MemoryLayout<ip_mreqn>.size)),
                               "IP_MULTICAST_IF \(name)")
                try Self.check(setsockopt(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ip_mreqn>.size)),
                               "joining 224.0.0.18 on \(name)")
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fileDescriptor) }

    private func setInt(_ level: Int32, _ option: Int32, _ value: Int32, _ what: String) throws {
        var v = value
        try Self.check(setsockopt(fileDescriptor, level, option, &v, socklen_t(MemoryLayout<Int32>.size)), what)
    }

    private static func check(_ result: Int32, _ what: String) throws {
        if result < 0 { throw SystemCallError(what) }
    }

    /// Sends one VRRP payload to `destination` (the group, or a unicast peer).
    public func send(_ payload: [UInt8], to destination: IPv4Address) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = destination.value.bigEndian
        let sent = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fileDescriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if sent < 0 { throw SystemCallError("sendto \(destination) on \(interfaceName)") }
    }

    /// Reused by every `receive()`: a flood of bogus adverts costs no allocation each.
    private var buffer = [UInt8](repeating: 0, count: 2048)

    /// The next packet (IP header included), or nil when none is waiting. The slice is
    /// valid until the next call.
    public func receive() throws -> ArraySlice<UInt8>? {
        let n = buffer.withUnsafeMutableBytes { recv(fileDescriptor, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return nil }
            throw SystemCallError("recv on \(interfaceName)")
        }
        return buffer[..<n]
    }
}
