/// One line of `virtual_routes { }` (installed while the instance is master, as the VIPs)
/// or of the top-level `static_routes { }` (installed at start, whatever the state):
/// `[inet|inet6] [src ADDR] [to] [TYPE] PREFIX [from PREFIX] [via|gw ADDR] [dev IF]
/// [scope S] [table T] [metric N] [protocol P] [tos N] [onlink] [add|append|prepend]
/// [no_track]`, as keepalived 2.2.7 reads it.
public struct VirtualRoute: Hashable, Sendable {
    /// rtnetlink route types Vigil installs; keepalived's others (local, broadcast,
    /// anycast, multicast, nat, xresolve) are refused by the reader.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case unicast, blackhole, unreachable, prohibit, `throw`
    }

    /// How the route goes in next to one with the same destination, tos and metric.
    /// keepalived's default is `prepend` (no NLM_F_EXCL): an identical route is the only
    /// clash. `add` insists on being the only one; `append` goes after the others.
    public enum Placement: String, Hashable, Sendable { case prepend, add, append }

    public var kind: Kind = .unicast
    /// `default`, `any` and `all` are 0.0.0.0/0 or ::/0, the family taken from the rest
    /// of the line (IPv4 when nothing says).
    public var destination: IPPrefix
    /// `src`: the preferred source address (RTA_PREFSRC).
    public var source: IPAddress?
    /// `from`: a source prefix (IPv6 only, RTA_SRC).
    public var sourcePrefix: IPPrefix?
    public var gateway: IPAddress?
    public var device: String?
    public var scope: VirtualIPAddress.Scope?
    /// Routing table number (`main` 254, `local` 255, `default` 253 by name).
    public var table: Int?
    /// `metric` (also `preference`, `priority`).
    public var metric: Int?
    /// rtnetlink protocol number. keepalived installs every route as 18 ("keepalived")
    /// unless `no_track`, so the reader keeps a value only with `no_track`.
    public var protocolNumber: Int?
    /// `tos` / `dsfield` (IPv4).
    public var typeOfService: Int?
    public var onlink = false
    public var placement: Placement?
    /// keepalived: do not leave master when the route is deleted under it. Vigil never
    /// watches installed routes, so every route behaves this way; the word matters for
    /// `protocol`.
    public var noTrack = false
    public var origin: Origin

    public init(destination: IPPrefix, origin: Origin) {
        self.destination = destination
        self.origin = origin
    }

    public var isIPv6: Bool { destination.address.family == .inet6 }
}

/// One line of `virtual_rules { }` or `static_rules { }`: `[inet|inet6] [not] [from P]
/// [to P] [iif IF] [oif IF] [fwmark N[/M]] [tos N] [priority N] [protocol N] [no_track]`
/// and one action — `table|lookup T`, `goto N`, `nop`, `blackhole`, `unreachable`,
/// `prohibit` (optionally after `type`) or `l3mdev`.
public struct VirtualRule: Hashable, Sendable {
    public enum Action: Hashable, Sendable {
        case table(Int)
        /// Jump to the rule with this priority (which must be above the rule's own).
        case goto(Int)
        case nop, blackhole, unreachable, prohibit
        /// Look up the table of the packet's L3 master device (VRF).
        case l3mdev
    }

    public var ipv6 = false
    /// `not`: the selector is inverted (FIB_RULE_INVERT).
    public var invert = false
    public var from: IPPrefix?
    public var to: IPPrefix?
    public var action: Action
    /// `priority` (also `preference`, `order`). When none is written the reader assigns
    /// one counting down from 16384 per family, as keepalived does, so that the rule can
    /// be removed exactly.
    public var priority: Int?
    public var firewallMark: UInt32?
    public var firewallMask: UInt32?
    public var typeOfService: Int?
    public var inputInterface: String?
    public var outputInterface: String?
    /// FRA_PROTOCOL: 18 unless `no_track`, as for routes.
    public var protocolNumber: Int?
    public var noTrack = false
    public var origin: Origin

    public init(action: Action, origin: Origin) {
        self.action = action
        self.origin = origin
    }

    /// The table of a `table`/`lookup` rule.
    public var table: Int? {
        if case let .table(t) = action { return t }
        return nil
    }
}

/// Route table names iproute2 always knows.
enum RouteTable {
    static func number(_ text: String) -> Int? {
        switch text {
        case "main": return 254
        case "local": return 255
        case "default": return 253
        default:
            guard let n = Int(text), (1...Int(UInt32.max)).contains(n) else { return nil }
            return n
        }
    }

    static func name(_ n: Int) -> String {
        switch n {
        case 254: return "main"
        case 255: return "local"
        case 253: return "default"
        default: return String(n)
        }
    }
}

/// keepalived's built-in route protocol names (its rt_protos defaults) plus `keepalived`.
enum RouteProtocol {
    static let names: [String: Int] = [
        "none": 0, "redirect": 1, "kernel": 2, "boot": 3, "static": 4, "gated": 8, "ra": 9, "mrt": 10,
        "zebra": 11, "bird": 12, "dnrouted": 13, "xorp": 14, "ntk": 15, "dhcp": 16, "keepalived": 18, "babel": 42,
    ]
    static let keepalived = 18

    static func number(_ text: String) -> Int? {
        names[text] ?? Int(text).flatMap { (0...255).contains($0) ? $0 : nil }
    }
}
