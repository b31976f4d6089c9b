#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import VRRP

/// A route as `virtual_routes` installs it, resolved for this host.
public struct KernelRoute: Hashable, Sendable, CustomStringConvertible {
    /// rtnetlink route types.
    public enum Kind: UInt8, Sendable { case unicast = 1, blackhole = 6, unreachable = 7, prohibit = 8 }

    public var kind: Kind
    public var destination: InternetAddress
    public var prefixLength: Int
    public var source: InternetAddress?
    public var gateway: InternetAddress?
    public var interfaceIndex: Int32?
    /// nil: guessed as `ip route` does (link for a route without a gateway).
    public var scope: UInt8?
    public var table: UInt32
    public var metric: UInt32?
    public var protocolNumber: UInt8
    public var onlink: Bool

    public init(kind: Kind, destination: InternetAddress, prefixLength: Int, source: InternetAddress? = nil,
                gateway: InternetAddress? = nil, interfaceIndex: Int32? = nil, scope: UInt8? = nil, table: UInt32 = 254,
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
    }

    public var description: String {
        var s = kind == .unicast ? "" : "\(kind) "
        s += "\(destination)/\(prefixLength)"
        if let gateway { s += " via \(gateway)" }
        if table != 254 { s += " table \(table)" }
        return s
    }
}

/// A policy rule as `virtual_rules` installs it.
public struct KernelRule: Hashable, Sendable, CustomStringConvertible {
    public var ipv6: Bool
    public var from: (address: InternetAddress, prefixLength: Int)?
    public var to: (address: InternetAddress, prefixLength: Int)?
    public var table: UInt32
    public var priority: UInt32?
    public var firewallMark: UInt32?
    public var firewallMask: UInt32?
    public var inputInterface: String?
    public var outputInterface: String?

    public init(ipv6: Bool, table: UInt32) {
        self.ipv6 = ipv6
        self.table = table
    }

    public static func == (a: KernelRule, b: KernelRule) -> Bool { a.description == b.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    public var description: String {
        var words: [String] = []
        if let from { words += ["from", "\(from.address)/\(from.prefixLength)"] }
        if let to { words += ["to", "\(to.address)/\(to.prefixLength)"] }
        if let i = inputInterface { words += ["iif", i] }
        if let o = outputInterface { words += ["oif", o] }
        if let m = firewallMark { words += ["fwmark", firewallMask.map { "\(m)/\($0)" } ?? "\(m)"] }
        if let p = priority { words += ["priority", "\(p)"] }
        words += ["table", "\(table)"]
        return words.joined(separator: " ")
    }
}

/// Adds and removes routes and policy rules over rtnetlink with libnl-route-3. Something
/// already there (add) or already gone (remove) is not an error.
public final class RouteManager {
    private let socket: OpaquePointer

    public init() throws {
        guard let socket = nl_socket_alloc() else { throw NetlinkError("nl_socket_alloc", code: -NLE_NOMEM) }
        let connected = nl_connect(socket, NETLINK_ROUTE)
        guard connected == 0 else {
            nl_socket_free(socket)
            throw NetlinkError("connecting to rtnetlink", code: connected)
        }
        self.socket = socket
    }

    deinit { nl_socket_free(socket) }

    public func add(_ route: KernelRoute) throws {
        let result = try withRoute(route) { rtnl_route_add(socket, $0, NLM_F_CREATE | NLM_F_EXCL) }
        if result < 0 && result != -NLE_EXIST { throw NetlinkError("adding route \(route)", code: result) }
    }

    /// Says whether the route was there.
    @discardableResult
    public func remove(_ route: KernelRoute) throws -> Bool {
        let result = try withRoute(route) { rtnl_route_delete(socket, $0, 0) }
        if result == -NLE_OBJ_NOTFOUND || result == -NLE_NOADDR { return false }
        if result < 0 { throw NetlinkError("removing route \(route)", code: result) }
        return true
    }

    public func add(_ rule: KernelRule) throws {
        let result = try withRule(rule) { rtnl_rule_add(socket, $0, NLM_F_CREATE | NLM_F_EXCL) }
        if result < 0 && result != -NLE_EXIST { throw NetlinkError("adding rule \(rule)", code: result) }
    }

    @discardableResult
    public func remove(_ rule: KernelRule) throws -> Bool {
        let result = try withRule(rule) { rtnl_rule_delete(socket, $0, 0) }
        if result == -NLE_OBJ_NOTFOUND || result == -NLE_NOADDR { return false }
        if result < 0 { throw NetlinkError("removing rule \(rule)", code: result) }
        return true
    }

    private static func address(_ a: InternetAddress, prefix: Int? = nil) throws -> OpaquePointer {
        var bytes = a.bytes
        guard let addr = nl_addr_build(a.isIPv6 ? AF_INET6 : AF_INET, &bytes, bytes.count) else {
            throw NetlinkError("nl_addr_build", code: -NLE_NOMEM)
        }
        if let prefix { nl_addr_set_prefixlen(addr, Int32(prefix)) }
        return addr
    }

    private func withRoute(_ r: KernelRoute, _ body: (OpaquePointer) -> Int32) throws -> Int32 {
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
        if let metric = r.metric { rtnl_route_set_priority(route, metric) }
        if let source = r.source {
            let src = try Self.address(source)
            defer { nl_addr_put(src) }
            result = rtnl_route_set_pref_src(route, src)
            guard result == 0 else { throw NetlinkError("route src \(source)", code: result) }
        }
        if r.kind == .unicast {
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
        if let scope = r.scope {
            rtnl_route_set_scope(route, scope)
        } else {
            rtnl_route_set_scope(route, UInt8(truncatingIfNeeded: rtnl_route_guess_scope(route)))
        }
        return body(route)
    }

    private func withRule(_ r: KernelRule, _ body: (OpaquePointer) -> Int32) throws -> Int32 {
        guard let rule = rtnl_rule_alloc() else { throw NetlinkError("rtnl_rule_alloc", code: -NLE_NOMEM) }
        defer { rtnl_rule_put(rule) }
        rtnl_rule_set_family(rule, r.ipv6 ? AF_INET6 : AF_INET)
        rtnl_rule_set_action(rule, 1)  // FR_ACT_TO_TBL
        rtnl_rule_set_table(rule, r.table)
        if let p = r.priority { rtnl_rule_set_prio(rule, p) }
        if let m = r.firewallMark { rtnl_rule_set_mark(rule, m) }
        if let m = r.firewallMask { rtnl_rule_set_mask(rule, m) }
        if let from = r.from {
            let a = try Self.address(from.address, prefix: from.prefixLength)
            defer { nl_addr_put(a) }
            let result = rtnl_rule_set_src(rule, a)
            guard result == 0 else { throw NetlinkError("rule from \(from.address)", code: result) }
        }
        if let to = r.to {
            let a = try Self.address(to.address, prefix: to.prefixLength)
            defer { nl_addr_put(a) }
            let result = rtnl_rule_set_dst(rule, a)
            guard result == 0 else { throw NetlinkError("rule to \(to.address)", code: result) }
        }
        if let i = r.inputInterface { _ = i.withCString { rtnl_rule_set_iif(rule, $0) } }
        if let o = r.outputInterface { _ = o.withCString { rtnl_rule_set_oif(rule, $0) } }
        return body(rule)
    }
}
