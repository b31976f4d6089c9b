#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import VRRP
import VigilTypes

/// An address and prefix length as rtnetlink carries them (RTA_SRC, FRA_SRC, FRA_DST).
public struct KernelPrefix: Hashable, Sendable, CustomStringConvertible {
    public var address: InternetAddress
    public var length: Int

    public init(_ address: InternetAddress, length: Int) {
        self.address = address
        self.length = length
    }

    public var description: String { "\(address)/\(length)" }
}

/// A route as `virtual_routes` / `static_routes` install it, resolved for this host.
public struct KernelRoute: Hashable, Sendable, CustomStringConvertible {
    /// rtnetlink route types (RTN_*). `local` (a local-table entry: the address is this
    /// host's without being on an interface) is the announce device's.
    public enum Kind: UInt8, Sendable { case unicast = 1, local = 2, blackhole = 6, unreachable = 7, prohibit = 8, `throw` = 9 }

    /// The netlink flags of the add (keepalived's `prepend` default, `add`, `append`).
    public enum Placement: Sendable {
        /// NLM_F_CREATE: beside a route with the same key; only an identical one clashes.
        case prepend
        /// NLM_F_CREATE | NLM_F_EXCL: no other route with the same key may exist.
        case add
        /// NLM_F_CREATE | NLM_F_APPEND: after the others with the same key.
        case append
    }

    public var kind: Kind
    public var destination: InternetAddress
    public var prefixLength: Int
    /// RTA_PREFSRC (`src`).
    public var source: InternetAddress?
    /// RTA_SRC (`from`, IPv6).
    public var sourcePrefix: KernelPrefix?
    public var gateway: InternetAddress?
    public var interfaceIndex: Int32?
    /// keepalived's default is universe (0) whatever the route, not iproute2's guess.
    public var scope: UInt8
    public var table: UInt32
    public var metric: UInt32?
    public var protocolNumber: UInt8
    public var typeOfService: UInt8?
    public var onlink: Bool
    public var placement: Placement

    public init(kind: Kind, destination: InternetAddress, prefixLength: Int, source: InternetAddress? = nil,
                gateway: InternetAddress? = nil, interfaceIndex: Int32? = nil, scope: UInt8 = 0, table: UInt32 = 254,
                metric: UInt32? = nil, protocolNumber: UInt8 = 18, onlink: Bool = false) {
        self.kind = kind
        self.destination = destination
        self.prefixLength = prefixLength
        self.source = source
        self.gateway = gateway
        self.interfaceIndex = interfaceIndex
        self.scope = scope
        self.table = table
        self.metric = metric
        self.protocolNumber = protocolNumber
        self.onlink = onlink
        self.placement = .prepend
    }

    /// As `ip route` would name it, with the words that tell it from its neighbours.
    public var description: String {
        var s = kind == .unicast ? "" : "\(kind) "
        s += "\(destination)/\(prefixLength)"
        if let p = sourcePrefix { s += " from \(p)" }
        if let gateway { s += " via \(gateway)" }
        if let tos = typeOfService { s += " tos \(tos)" }
        if table != 254 { s += " table \(table)" }
        if let metric { s += " metric \(metric)" }
        return s
    }
}

/// Adds and removes routes (and, in RuleManager.swift, policy rules) over rtnetlink with
/// libnl-route-3. Something already there (add) or already gone (remove) is not an error.
public final class RouteManager {
    let socket: OpaquePointer

    public init() throws {
        socket = try RouteNetlink.connect()
    }

    deinit { nl_socket_free(socket) }

    /// With keepalived's default (`prepend`) the kernel answers EEXIST only for an
    /// identical route, which is then in place: not an error. With `add` it means another
    /// route holds the key, which the operator asked not to share: an error.
    /// Says whether the route was added (false: an identical one was in place).
    @discardableResult
    public func add(_ route: KernelRoute) throws -> Bool {
        var flags = NLM_F_CREATE
        switch route.placement {
        case .prepend: break
        case .add: flags |= NLM_F_EXCL
        case .append: flags |= NLM_F_APPEND
        }
        let result = try withRoute(route, removal: false) { rtnl_route_add(socket, $0, flags) }
        if result == -NLE_EXIST && route.placement != .add { return false }
        if result < 0 { throw NetlinkError("adding route \(route)", code: result) }
        return true
    }

    /// Says whether the route was there. Only a route of the same protocol (18 unless
    /// `no_track` said otherwise) matches, so an operator's own copy stays.
    @discardableResult
    public func remove(_ route: KernelRoute) throws -> Bool {
        let result = try withRoute(route, removal: true) { rtnl_route_delete(socket, $0, 0) }
        if result == -NLE_OBJ_NOTFOUND || result == -NLE_NOADDR { return false }
        if result < 0 { throw NetlinkError("removing route \(route)", code: result) }
        return true
    }

    static func address(_ a: InternetAddress, prefix: Int? = nil) throws -> OpaquePointer {
        var bytes = a.bytes
        guard let addr = nl_addr_build(a.isIPv6 ? AF_INET6 : AF_INET, &bytes, bytes.count) else {
            throw NetlinkError("nl_addr_build", code: -NLE_NOMEM)
        }
        if let prefix { nl_addr_set_prefixlen(addr, Int32(prefix)) }
        return addr
    }

    /// The route as a libnl object. For removal the scope is RT_SCOPE_NOWHERE, the
    /// kernel's "any scope", as keepalived deletes: a leftover of a run that chose another
    /// scope still goes.
    private func withRoute(_ r: KernelRoute, removal: Bool, _ body: (OpaquePointer) -> Int32) throws -> Int32 {
        guard let route = rtnl_route_alloc() else { throw NetlinkError("rtnl_route_alloc", code: -NLE_NOMEM) }
        defer { rtnl_route_put(route) }
        let family = r.destination.isIPv6 ? AF_INET6 : AF_INET
        rtnl_route_set_family(route, UInt8(family))
        let dst = try Self.address(r.destination, prefix: r.prefixLength)
        defer { nl_addr_put(dst) }
        var result = rtnl_route_set_dst(route, dst)
        guard result == 0 else { throw NetlinkError("route destination \(r)", code: result) }
        rtnl_route_set_type(route, r.kind.rawValue)
        rtnl_route_set_table(route, r.table)
        rtnl_route_set_protocol(route, r.protocolNumber)
        // Always set: libnl guesses a scope (link for a route without gateway) when none is.
        rtnl_route_set_scope(route, removal ? 255 : r.scope)
        if let metric = r.metric { rtnl_route_set_priority(route, metric) }
        if let tos = r.typeOfService { rtnl_route_set_tos(route, tos) }
        if let source = r.source {
            let src = try Self.address(source)
            defer { nl_addr_put(src) }
            result = rtnl_route_set_pref_src(route, src)
            guard result == 0 else { throw NetlinkError("route \(r): src \(source)", code: result) }
        }
        if let from = r.sourcePrefix {
            let src = try Self.address(from.address, prefix: from.length)
            defer { nl_addr_put(src) }
            result = rtnl_route_set_src(route, src)
            guard result == 0 else { throw NetlinkError("route \(r): from \(from)", code: result) }
        }
        if r.kind == .unicast || r.kind == .local {
            guard let hop = rtnl_route_nh_alloc() else { throw NetlinkError("rtnl_route_nh_alloc", code: -NLE_NOMEM) }
            if let index = r.interfaceIndex { rtnl_route_nh_set_ifindex(hop, index) }
            if let gateway = r.gateway {
                let gw = try Self.address(gateway)
                rtnl_route_nh_set_gateway(hop, gw)
                nl_addr_put(gw)
            }
            if r.onlink { rtnl_route_nh_set_flags(hop, 4) }  // RTNH_F_ONLINK
            rtnl_route_add_nexthop(route, hop)  // the route owns it from here
        }
        return body(route)
    }
}
