#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import VigilTypes

/// Routes found by the protocol number that marks them (RTA_PROTOCOL): how a run finds what
/// an earlier one left behind, since the number is the only mark a route carries of who
/// installed it.
extension RouteManager {
    /// The main table (RT_TABLE_MAIN) and the local one (RT_TABLE_LOCAL).
    public static let mainTable: UInt32 = 254
    public static let localTable: UInt32 = 255

    /// Every route of `protocolNumber` in `tables`, IPv4 and IPv6, as the kernel holds it
    /// now. A route of a type `KernelRoute.Kind` does not name is left out.
    public func routes(protocolNumber: UInt8, tables: Set<UInt32>) throws -> [KernelRoute] {
        var found: [KernelRoute] = []
        try forEachRoute(protocolNumber: protocolNumber, tables: tables) { route in
            if let r = Self.kernelRoute(route) { found.append(r) }
        }
        return found
    }

    /// Removes every route of `protocolNumber` in `tables`, IPv4 and IPv6, whatever its
    /// type, and says which went (as `ip route` would name them). One that vanished
    /// meanwhile is not an error.
    public func removeAll(protocolNumber: UInt8, tables: Set<UInt32>) throws -> [String] {
        var removed: [String] = []
        try forEachRoute(protocolNumber: protocolNumber, tables: tables) { route in
            let name = Self.kernelRoute(route)?.description ?? Self.describeRaw(route)
            // The dumped object carries every attribute of the route, nexthops included:
            // deleting it removes that route and no neighbour with the same key.
            let result = rtnl_route_delete(socket, route, 0)
            if result == -NLE_OBJ_NOTFOUND || result == -NLE_NOADDR { return }
            if result < 0 { throw NetlinkError("removing route \(name) (protocol \(protocolNumber))", code: result) }
            removed.append(name)
        }
        return removed
    }

    /// Dumps the IPv4 and the IPv6 routes (each dump holds every table) and hands over those
    /// of the protocol and tables asked for.
    private func forEachRoute(protocolNumber: UInt8, tables: Set<UInt32>, _ body: (OpaquePointer) throws -> Void) throws {
        for family in [AF_INET, AF_INET6] {
            var cache: OpaquePointer?
            let result = rtnl_route_alloc_cache(socket, family, 0, &cache)
            guard result == 0, let cache else {
                throw NetlinkError("reading the \(family == AF_INET ? "IPv4" : "IPv6") routes", code: result)
            }
            defer { nl_cache_free(cache) }
            var object = nl_cache_get_first(cache)
            while let route = object {
                if rtnl_route_get_protocol(route) == protocolNumber && tables.contains(rtnl_route_get_table(route)) {
                    try body(route)
                }
                object = nl_cache_get_next(route)
            }
        }
    }

    /// The libnl route as a value: nil for a type `Kind` does not name (broadcast, anycast…).
    static func kernelRoute(_ route: OpaquePointer) -> KernelRoute? {
        guard let kind = KernelRoute.Kind(rawValue: rtnl_route_get_type(route)),
              let dst = rtnl_route_get_dst(route), let data = nl_addr_get_binary_addr(dst) else { return nil }
        let family = rtnl_route_get_family(route)
        // A default route's destination is empty in the dump: the family's zero address.
        var bytes = Array(UnsafeRawBufferPointer(start: data, count: Int(nl_addr_get_len(dst))))
        if bytes.isEmpty { bytes = [UInt8](repeating: 0, count: Int32(family) == AF_INET6 ? 16 : 4) }
        guard let destination = InternetAddress(bytes: bytes) else { return nil }
        var r = KernelRoute(kind: kind, destination: destination, prefixLength: Int(nl_addr_get_prefixlen(dst)),
                            scope: rtnl_route_get_scope(route), table: rtnl_route_get_table(route),
                            protocolNumber: rtnl_route_get_protocol(route))
        if rtnl_route_get_priority(route) != 0 { r.metric = rtnl_route_get_priority(route) }
        if rtnl_route_get_nnexthops(route) > 0, let hop = rtnl_route_nexthop_n(route, 0) {
            let index = rtnl_route_nh_get_ifindex(hop)
            if index > 0 { r.interfaceIndex = index }
            if let gw = rtnl_route_nh_get_gateway(hop), let g = nl_addr_get_binary_addr(gw) {
                r.gateway = InternetAddress(bytes: Array(UnsafeRawBufferPointer(start: g, count: Int(nl_addr_get_len(gw)))))
            }
        }
        return r
    }

    private static func describeRaw(_ route: OpaquePointer) -> String {
        var text = "type \(rtnl_route_get_type(route))"
        if let dst = rtnl_route_get_dst(route) {
            var buffer = [CChar](repeating: 0, count: 64)
            if let s = nl_addr2str(dst, &buffer, buffer.count) { text += " " + String(cString: s) }
        }
        return text + " table \(rtnl_route_get_table(route))"
    }
}
