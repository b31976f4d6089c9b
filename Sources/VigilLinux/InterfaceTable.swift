import CNetlink

/// A snapshot of the host's network interfaces and their addresses, read over rtnetlink
/// with libnl-route-3. `vigil check` uses it to tell whether the interfaces a
/// configuration names exist here, and which addresses they own (priority 255).
public struct InterfaceTable: Sendable {
    public struct Interface: Sendable, Equatable {
        public var name: String
        public var index: Int32
        public var isUp: Bool
        /// Up with carrier (IFF_UP and IFF_RUNNING): able to carry adverts. What the
        /// daemon calls up, as keepalived does.
        public var isRunning: Bool = false
        /// Addresses in network byte order: 4 bytes (IPv4) or 16 (IPv6).
        public var addresses: [[UInt8]]
        /// The MAC address (empty for interfaces without one).
        public var hardwareAddress: [UInt8] = []
        /// The primary IPv4 address (the first that is not IFA_F_SECONDARY): the source of
        /// VRRP adverts and the tie-breaker between equal priorities.
        public var primaryIPv4: [UInt8]?
        /// The first IPv6 link-local address (fe80::/10): the source of VRRPv3 adverts for
        /// IPv6 (RFC 5798 §5.1.2.1).
        public var linkLocalIPv6: [UInt8]?

        /// An interface known only by name (index 0): one that does not exist yet.
        public static func absent(_ name: String) -> Interface {
            Interface(name: name, index: 0, isUp: false, addresses: [])
        }
    }

    public private(set) var interfaces: [String: Interface]

    public init(interfaces: [String: Interface]) {
        self.interfaces = interfaces
    }

    /// Reads links and addresses from the kernel of the current network namespace.
    public static func read() throws -> InterfaceTable {
        let socket = try RouteNetlink.connect()
        defer { nl_socket_free(socket) }

        var linkCache: OpaquePointer?
        let linkResult = rtnl_link_alloc_cache(socket, AF_UNSPEC, &linkCache)
        guard linkResult == 0, let links = linkCache else { throw NetlinkError("reading links", code: linkResult) }
        defer { nl_cache_free(links) }

        var addressCache: OpaquePointer?
        let addressResult = rtnl_addr_alloc_cache(socket, &addressCache)
        guard addressResult == 0, let addresses = addressCache else { throw NetlinkError("reading addresses", code: addressResult) }
        defer { nl_cache_free(addresses) }

        var byIndex: [Int32: Interface] = [:]
        var object = nl_cache_get_first(links)
        while let link = object {
            let index = rtnl_link_get_ifindex(link)
            let name = rtnl_link_get_name(link).map { String(cString: $0) } ?? "if\(index)"
            let up = (rtnl_link_get_flags(link) & 0x1) != 0  // IFF_UP of <linux/if.h>
            var interface = Interface(name: name, index: index, isUp: up, addresses: [])
            interface.isRunning = rtnl_link_get_flags(link) & LinkMonitor.upFlags == LinkMonitor.upFlags
            if let mac = rtnl_link_get_addr(link), let data = nl_addr_get_binary_addr(mac) {
                interface.hardwareAddress = Array(UnsafeRawBufferPointer(start: data, count: Int(nl_addr_get_len(mac))))
            }
            byIndex[index] = interface
            object = nl_cache_get_next(link)
        }
        object = nl_cache_get_first(addresses)
        while let address = object {
            let index = rtnl_addr_get_ifindex(address)
            if let local = rtnl_addr_get_local(address), let data = nl_addr_get_binary_addr(local) {
                let length = Int(nl_addr_get_len(local))
                let bytes = Array(UnsafeRawBufferPointer(start: data, count: length))
                byIndex[index]?.addresses.append(bytes)
                let secondary = rtnl_addr_get_flags(address) & 0x01  // IFA_F_SECONDARY
                if length == 4, secondary == 0, byIndex[index]?.primaryIPv4 == nil { byIndex[index]?.primaryIPv4 = bytes }
                if length == 16, bytes[0] == 0xfe, bytes[1] & 0xc0 == 0x80, byIndex[index]?.linkLocalIPv6 == nil {
                    byIndex[index]?.linkLocalIPv6 = bytes
                }
            }
            object = nl_cache_get_next(address)
        }
        return InterfaceTable(interfaces: Dictionary(uniqueKeysWithValues: byIndex.values.map { ($0.name, $0) }))
    }
}
