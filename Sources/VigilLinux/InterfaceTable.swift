import CNetlink

/// A snapshot of the host's network interfaces and their addresses, read over rtnetlink
/// with libnl-route-3. `vigil check` uses it to tell whether the interfaces a
/// configuration names exist here, and which addresses they own (priority 255).
public struct InterfaceTable: Sendable {
    public struct Interface: Sendable, Equatable {
        public var name: String
        public var index: Int32
        public var isUp: Bool
        /// Addresses in network byte order: 4 bytes (IPv4) or 16 (IPv6).
        public var addresses: [[UInt8]]
    }

    public private(set) var interfaces: [String: Interface]

    public init(interfaces: [String: Interface]) {
        self.interfaces = interfaces
    }

    /// Reads links and addresses from the kernel of the current network namespace.
    public static func read() throws -> InterfaceTable {
        guard let socket = nl_socket_alloc() else { throw NetlinkError("nl_socket_alloc", code: -NLE_NOMEM) }
        defer { nl_socket_free(socket) }
        let connected = nl_connect(socket, NETLINK_ROUTE)
        guard connected == 0 else { throw NetlinkError("connecting to rtnetlink", code: connected) }

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
            byIndex[index] = Interface(name: name, index: index, isUp: up, addresses: [])
            object = nl_cache_get_next(link)
        }
        object = nl_cache_get_first(addresses)
        while let address = object {
            let index = rtnl_addr_get_ifindex(address)
            if let local = rtnl_addr_get_local(address), let data = nl_addr_get_binary_addr(local) {
                let length = Int(nl_addr_get_len(local))
                let bytes = Array(UnsafeRawBufferPointer(start: data, count: length))
                byIndex[index]?.addresses.append(bytes)
            }
            object = nl_cache_get_next(address)
        }
        return InterfaceTable(interfaces: Dictionary(uniqueKeysWithValues: byIndex.values.map { ($0.name, $0) }))
    }
}
