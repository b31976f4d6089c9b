/// One line of `virtual_routes { }` (installed while the instance is master, as the VIPs):
/// `[src ADDR] [to] PREFIX [via|gw ADDR] [dev IF] [scope S] [table T] [metric N]
/// [proto P] [onlink]`, or `blackhole|unreachable|prohibit PREFIX …`.
public struct VirtualRoute: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case unicast, blackhole, unreachable, prohibit }

    public var kind: Kind = .unicast
    public var destination: IPPrefix
    public var source: IPAddress?
    public var gateway: IPAddress?
    public var device: String?
    public var scope: VirtualIPAddress.Scope?
    /// Routing table number (`main` 254, `local` 255, `default` 253 by name).
    public var table: Int?
    /// `metric` (also `preference`, `priority`).
    public var metric: Int?
    /// rtnetlink protocol number; keepalived's default is 18 ("keepalived").
    public var protocolNumber: Int?
    public var onlink = false
    public var origin: Origin

    public init(destination: IPPrefix, origin: Origin) {
        self.destination = destination
        self.origin = origin
    }
}

/// One line of `virtual_rules { }`: `[from PREFIX|all] [to PREFIX|all] [iif IF] [oif IF]
/// [fwmark N[/MASK]] [priority N] table T` — a policy routing rule that follows the
/// instance's state.
public struct VirtualRule: Hashable, Sendable {
    public var from: IPPrefix?
    public var to: IPPrefix?
    public var table: Int?
    /// `priority` (also `preference`, `pref`).
    public var priority: Int?
    public var firewallMark: UInt32?
    public var firewallMask: UInt32?
    public var inputInterface: String?
    public var outputInterface: String?
    public var origin: Origin

    public init(origin: Origin) { self.origin = origin }
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
