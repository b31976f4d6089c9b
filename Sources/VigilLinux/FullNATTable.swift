#if canImport(Glibc)
import Glibc
#endif
import LVS
import VigilTypes

/// FNAT's half that IPVS lacks: the source of each connection a FNAT service forwards is
/// translated to an address of this director's `local_address_group`, so the real server
/// answers the director, which undoes both translations on the way back. A stock kernel
/// does it with IPVS NAT and nftables: IPVS rewrites the destination and sends the packet
/// out through LOCAL_OUT and POSTROUTING, keeping the connection's conntrack entry (with
/// `net.ipv4.vs.conntrack = 1`) whose ORIGINAL direction still reads client → VIP:port;
/// a nat rule at postrouting that matches that original destination binds the source
/// translation; the reply is un-translated by conntrack before routing and un-DNATed by
/// IPVS (the reply path of IPVS NAT).
///
/// Vigil's own table, `table inet vigil_fullnat`, one rule per IPVS service of a FNAT
/// virtual server, each naming the service exactly (a broad rule would also translate DR
/// or NAT services, whose packets take the same path with conntrack on). Replaced whole
/// by one `nft -f -` transaction each time (at start, at a reload, and removed at exit);
/// connections already bound keep their translation.
public final class FullNATTable {
    /// One service's translation.
    public struct Rule: Hashable, Sendable {
        public var service: IPVSService.Key
        /// The pool of the service's family: one address or a range.
        public var pool: AddressRange

        public init(service: IPVSService.Key, pool: AddressRange) {
            self.service = service
            self.pool = pool
        }
    }

    /// Family and name, as nft spells them.
    public static let table = "inet vigil_fullnat"
    /// Just before the usual source NAT (srcnat, 100): a generic masquerade rule of the
    /// host's own must not bind these connections first.
    static let priority = "srcnat - 1"

    public let nft: NFTables

    public init(nft: NFTables) { self.nft = nft }

    /// Installs exactly `rules` (none: no table), replacing whatever is there — a leftover
    /// of an earlier run included — in one transaction. It waits for nft (5-20 ms; killed
    /// after 2 s): at start, before the services are programmed; at a reload, before a
    /// new service is (a connection forwarded before its rule would reach the real
    /// server with the client's address and its answer would go astray); at exit.
    public func apply(_ rules: [Rule], children: ChildSupervisor, now: () -> Instant) throws(NFTables.Failure) {
        _ = try nft.runToEnd(["-f", "-"], script: Self.script(rules), children: children, now: now)
    }

    /// `net.ipv4.vs.conntrack` (per network namespace; IPv6 too): 1 keeps the conntrack
    /// entry of each connection IPVS forwards, which the rules match. nil when the ip_vs
    /// module is not loaded (the file appears with it).
    public static func conntrack() -> Int? { Sysctl.read(conntrackPath).flatMap { Int($0) } }

    public static func setConntrack(_ value: Int) throws(SystemCallError) {
        try Sysctl.write(conntrackPath, "\(value)")
    }

    public static let conntrackPath = "/proc/sys/net/ipv4/vs/conntrack"

    /// The transaction: the table deleted (whether or not it is there) and, with rules,
    /// made again with them.
    static func script(_ rules: [Rule]) -> String {
        var text = NFTables.deleteScript(table)
        guard !rules.isEmpty else { return text }
        text += "table \(table) {\n  chain postrouting {\n    type nat hook postrouting priority \(priority); policy accept;\n"
        for rule in rules { text += "    \(line(rule))\n" }
        return text + "  }\n}\n"
    }

    /// One rule: the connection's original destination (or the packet's firewall mark),
    /// counted, its source translated to the pool.
    static func line(_ rule: Rule) -> String {
        let family = rule.service.isIPv6 ? "ip6" : "ip"
        let pool = rule.pool.first == rule.pool.last ? "\(rule.pool.first)" : "\(rule.pool.first)-\(rule.pool.last)"
        let match: String
        switch rule.service {
        case let .endpoint(address, port, proto):
            match = "meta l4proto \(proto.description.lowercased()) ct original \(family) daddr \(address) ct original proto-dst \(port)"
        case let .firewallMark(mark, ipv6):
            match = "meta nfproto \(ipv6 ? "ipv6" : "ipv4") meta mark \(mark)"
        }
        return "\(match) counter snat \(family) to \(pool) comment \"\(rule.service)\""
    }
}
