import CNetlink

/// Routes and policy rules deleted, as rtnetlink announces them (RTNLGRP_IPV4_ROUTE,
/// RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE): how the daemon notices that
/// another program took away a master's `virtual_routes` or `virtual_rules`.
///
/// A socket of its own, not the link monitor's: on a box that also routes (a BGP daemon
/// with a full table), route churn could overflow a shared buffer and cost the link and
/// address events that decide VRRP states. Only deletions with a protocol the daemon
/// installs with (keepalived's 18 unless `protocol` says otherwise) are kept.
public final class RoutingMonitor {
    /// What one read of the socket produced.
    public enum Reading: Sendable, Equatable {
        /// Protocol numbers of the routes and rules deleted (empty: nothing of interest).
        case deleted(routes: Set<UInt8>, rules: Set<UInt8>)
        /// The kernel dropped messages: the caller checks everything it installed.
        case lost
    }

    private let subscription: NetlinkSubscription
    public var fileDescriptor: Int32 { subscription.fileDescriptor }
    private var routes = Set<UInt8>()
    private var rules = Set<UInt8>()

    public init() throws {
        // Route churn elsewhere on the box comes in bursts: room for them.
        subscription = try NetlinkSubscription(
            protocol: NETLINK_ROUTE,
            groups: [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE].map(\.rawValue),
            bufferSize: 1 << 20, what: "route events")
    }

    /// Reads what is waiting (bounded: at most 64 batches per call).
    public func read() -> Reading {
        routes.removeAll()
        rules.removeAll()
        guard subscription.read({ parse($0) }) else { return .lost }
        return .deleted(routes: routes, rules: rules)
    }

    private func parse(_ header: UnsafeMutablePointer<nlmsghdr>) {
        let type = Int32(header.pointee.nlmsg_type)
        guard let body = nlmsg_data(header) else { return }
        if type == RTM_DELROUTE, Int(header.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<rtmsg>.size {
            routes.insert(body.assumingMemoryBound(to: rtmsg.self).pointee.rtm_protocol)
        } else if type == RTM_DELRULE, Int(header.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<fib_rule_hdr>.size {
            // FRA_PROTOCOL (Linux 4.17+); a rule without it counts as protocol 0.
            var proto: UInt8 = 0
            if let attribute = nlmsg_find_attr(header, Int32(MemoryLayout<fib_rule_hdr>.size), Int32(FRA_PROTOCOL)),
               let data = nla_data(attribute), nla_len(attribute) >= 1 {
                proto = data.load(as: UInt8.self)
            }
            rules.insert(proto)
        }
    }
}
