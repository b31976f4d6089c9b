#if canImport(Glibc)
import Glibc
#endif
import VRRP
import VigilTypes

/// A raw socket for IP protocol 112 on one interface, IPv4 or IPv6.
///
/// Several instances on the interface share it: the daemon reads each packet once and
/// hands it to the instance with that VRID. Sent with TTL (hop limit) 255 and DSCP CS6
/// (0xc0), as keepalived does. IPv4: the kernel writes the IP header and picks the
/// interface's primary address as the source unless `unicast_src_ip` binds another.
/// IPv6: bound to the interface's link-local address (RFC 5798 §5.1.2.1), and the
/// header facts the receive checks need (hop limit, destination) come as ancillary data.
public final class VRRPSocket {
    /// What passes the screen (everything while there is none).
    public let fileDescriptor: Int32
    /// What does not pass the screen; -1 for a socket that only sends.
    public let screenedDescriptor: Int32
    public let interfaceName: String
    public let interfaceIndex: Int32
    public let isIPv6: Bool

    /// A packet as read: IPv4 with its header, IPv6 as payload plus header facts.
    public enum Packet {
        case ipv4(ArraySlice<UInt8>)
        case ipv6(payload: ArraySlice<UInt8>, source: IPv6Address, destination: IPv6Address, hopLimit: UInt8)
    }

    // <netinet/in.h> keeps these behind _GNU_SOURCE, which Swift's Glibc module lacks.
    static let IPV6_RECVPKTINFO: Int32 = 49
    static let IPV6_PKTINFO: Int32 = 50
    static let IPV6_RECVHOPLIMIT: Int32 = 51
    static let IPV6_HOPLIMIT: Int32 = 52
    static let IPV6_TCLASS: Int32 = 67

    /// Opens the socket and, for multicast, joins 224.0.0.18 or ff02::12 on the interface.
    /// `source`: `unicast_src_ip` (IPv4), or the link-local address (IPv6).
    /// `receives: false`: a socket only for sending (a `use_vmac` macvlan's); its receive
    /// buffer is kept at the minimum and never read.
    public init(interface name: String, index: Int32, source: InternetAddress?, multicast: Bool, ipv6: Bool = false,
                receives: Bool = true) throws {
        interfaceName = name
        interfaceIndex = index
        isIPv6 = ipv6
        fileDescriptor = try Self.open(interface: name, index: index, source: source, multicast: multicast, ipv6: ipv6,
                                       receives: receives)
        guard receives else {
            screenedDescriptor = -1
            return
        }
        do {
            screenedDescriptor = try Self.open(interface: name, index: index, source: source, multicast: multicast,
                                               ipv6: ipv6, receives: true)
        } catch {
            close(fileDescriptor)
            throw error
        }
        // Until a screen is set, everything is queued on the first descriptor.
        do { try SocketFilter.attach([SocketFilter.ret(SocketFilter.keep)], to: fileDescriptor, "VRRP") } catch {
            close(fileDescriptor)
            close(screenedDescriptor)
            throw error
        }
    }

    /// A configured raw socket that queues nothing yet: its filter drops every packet
    /// (a raw socket hears every interface until it is bound to one; what came before the
    /// filter is read away).
    private static func open(interface name: String, index: Int32, source: InternetAddress?, multicast: Bool,
                             ipv6: Bool, receives: Bool) throws -> Int32 {
        let family = ipv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                        Int32(Advertisement.ipProtocol))
        guard fd >= 0 else { throw SystemCallError("socket(\(ipv6 ? "AF_INET6" : "AF_INET"), SOCK_RAW, 112)") }
        do {
            try SocketFilter.attach([SocketFilter.ret(SocketFilter.drop)], to: fd, "VRRP")
            var scratch = [UInt8](repeating: 0, count: 64)
            for _ in 0..<10_000 {
                guard scratch.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) >= 0 else { break }
            }
            try name.withCString { cname in
                try check(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cname, socklen_t(strlen(cname) + 1)),
                          "SO_BINDTODEVICE \(name)")
            }
            if !receives {
                var size: Int32 = 0
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
            } else {
                // 1 MiB of queue (the default is ~200 KiB): a flood of bogus packets that
                // outruns the loop for a moment must not crowd out the master's adverts.
                // SO_RCVBUFFORCE passes net.core.rmem_max (CAP_NET_ADMIN); else the capped size.
                var size: Int32 = 1 << 20
                if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, 4) != 0 {
                    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
                }
            }
            if ipv6 {
                try configureIPv6(fd, index: index, name: name, source: source?.ipv6, multicast: multicast)
            } else {
                try configureIPv4(fd, index: index, name: name, source: source?.ipv4, multicast: multicast)
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Sorts what arrives from now on by `screen` (nil: no sorting, everything on the
    /// first descriptor). No packet is lost while the programs change: the second queue
    /// takes everything first, then the first gets its new program, then the second its
    /// complement (a packet may be read from both in between: harmless, an advert twice).
    public func screen(_ screen: AdvertScreen?) throws {
        guard screenedDescriptor >= 0 else { return }
        let keepAll = [SocketFilter.ret(SocketFilter.keep)], dropAll = [SocketFilter.ret(SocketFilter.drop)]
        var passing = keepAll, failing = dropAll
        if let screen, case let program = screen.program(passing: true), program.count <= AdvertScreen.maximumLength {
            passing = program
            failing = screen.program(passing: false)
        }
        try SocketFilter.attach(keepAll, to: screenedDescriptor, "VRRP, screened")
        try SocketFilter.attach(passing, to: fileDescriptor, "VRRP")
        try SocketFilter.attach(failing, to: screenedDescriptor, "VRRP, screened")
    }

    private static func configureIPv4(_ fd: Int32, index: Int32, name: String, source: IPv4Address?,
                                      multicast: Bool) throws {
        func setInt(_ level: Int32, _ option: Int32, _ value: Int32, _ what: String) throws {
            try Self.setInt(fd, level, option, value, what)
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
    }

    private static func configureIPv6(_ fd: Int32, index: Int32, name: String, source: IPv6Address?,
                                      multicast: Bool) throws {
        func setInt(_ level: Int32, _ option: Int32, _ value: Int32, _ what: String) throws {
            try Self.setInt(fd, level, option, value, what)
        }
        let level = Int32(IPPROTO_IPV6)
        try setInt(level, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS")
        try setInt(level, Self.IPV6_TCLASS, 0xc0, "IPV6_TCLASS")
        try setInt(level, Self.IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT")
        try setInt(level, Self.IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO")
        if let source {
            var address = Self.sockaddr6(source, scope: index)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
            try Self.check(result, "bind \(source)%\(name)")
        }
        if multicast {
            try setInt(level, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS")
            try setInt(level, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP")
            try setInt(level, IPV6_MULTICAST_IF, index, "IPV6_MULTICAST_IF \(name)")
            var request = ipv6_mreq()
            withUnsafeMutableBytes(of: &request.ipv6mr_multiaddr) { raw in
                for (i, b) in IPv6Address.vrrpMulticastGroup.bytes.enumerated() { raw[i] = b }
            }
            request.ipv6mr_interface = UInt32(index)
            try Self.check(setsockopt(fd, level, IPV6_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ipv6_mreq>.size)),
                           "joining ff02::12 on \(name)")
        }
    }

    static func sockaddr6(_ address: IPv6Address, scope: Int32) -> sockaddr_in6 {
        var s = sockaddr_in6()
        s.sin6_family = sa_family_t(AF_INET6)
        withUnsafeMutableBytes(of: &s.sin6_addr) { raw in
            for (i, b) in address.bytes.enumerated() { raw[i] = b }
        }
        // Link-local and link-scope multicast addresses need the interface as scope.
        if address.isLinkLocal || address.high >> 48 == 0xff02 { s.sin6_scope_id = UInt32(scope) }
        return s
    }

    deinit {
        close(fileDescriptor)
        if screenedDescriptor >= 0 { close(screenedDescriptor) }
    }

    private static func setInt(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32, _ what: String) throws {
        var v = value
        try check(setsockopt(fd, level, option, &v, socklen_t(MemoryLayout<Int32>.size)), what)
    }

    private static func check(_ result: Int32, _ what: String) throws {
        if result < 0 { throw SystemCallError(what) }
    }

    /// Sends one VRRP payload to `destination` (the group, or a unicast peer).
    public func send(_ payload: [UInt8], to destination: InternetAddress) throws {
        let sent: Int
        switch destination {
        case let .v4(d):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = d.value.bigEndian
            sent = payload.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fileDescriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        case let .v6(d):
            var address = Self.sockaddr6(d, scope: interfaceIndex)
            sent = payload.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fileDescriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }
            }
        }
        if sent < 0 { throw SystemCallError("sendto \(destination) on \(interfaceName)") }
    }

    /// Reused by every `receive()`: a flood of bogus adverts costs no allocation each.
    private var buffer = [UInt8](repeating: 0, count: 2048)
    private var control = [UInt8](repeating: 0, count: 256)

    /// The next packet that passed the screen, or nil when none is waiting. The slice is
    /// valid until the next call.
    public func receive() throws -> Packet? { try receive(from: fileDescriptor) }

    /// The next packet that did not pass the screen, or nil when none is waiting.
    public func receiveScreened() throws -> Packet? {
        screenedDescriptor >= 0 ? try receive(from: screenedDescriptor) : nil
    }

    private func receive(from fd: Int32) throws -> Packet? {
        if !isIPv6 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return nil }
                throw SystemCallError("recv on \(interfaceName)")
            }
            return .ipv4(buffer[..<n])
        }
        var from = sockaddr_in6()
        var controlLength = 0
        let n = buffer.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { ctl in
                withUnsafeMutablePointer(to: &from) { fromPointer in
                    var iov = iovec(iov_base: data.baseAddress, iov_len: data.count)
                    return withUnsafeMutablePointer(to: &iov) { iovPointer in
                        var message = msghdr()
                        message.msg_name = UnsafeMutableRawPointer(fromPointer)
                        message.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
                        message.msg_iov = iovPointer
                        message.msg_iovlen = 1
                        message.msg_control = ctl.baseAddress
                        message.msg_controllen = ctl.count
                        let r = recvmsg(fd, &message, 0)
                        controlLength = Int(message.msg_controllen)
                        return r
                    }
                }
            }
        }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return nil }
            throw SystemCallError("recvmsg on \(interfaceName)")
        }
        let source = withUnsafeBytes(of: from.sin6_addr) { IPv6Address(bytes: $0) }
        var destination = IPv6Address.vrrpMulticastGroup
        var hopLimit: UInt8 = 0
        // struct cmsghdr { size_t len; int level; int type; } then data, 8-byte aligned.
        var offset = 0
        for _ in 0..<8 where offset + 16 <= controlLength {
            let length = control[offset..<offset + 8].withUnsafeBytes { $0.loadUnaligned(as: Int.self) }
            let level = control[offset + 8..<offset + 12].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
            let type = control[offset + 12..<offset + 16].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
            guard length >= 16, offset + length <= controlLength else { break }
            let data = control[(offset + 16)..<(offset + length)]
            if level == Int32(IPPROTO_IPV6) && type == Self.IPV6_PKTINFO && data.count >= 16 {
                destination = IPv6Address(bytes: data.prefix(16))
            } else if level == Int32(IPPROTO_IPV6) && type == Self.IPV6_HOPLIMIT && data.count >= 4 {
                hopLimit = UInt8(truncatingIfNeeded: data.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })
            }
            offset += (length + 7) & ~7
        }
        return .ipv6(payload: buffer[..<n], source: source, destination: destination, hopLimit: hopLimit)
    }
}
