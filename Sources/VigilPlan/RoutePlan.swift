import VRRP
import VigilConfig
import VigilLinux
import VigilTypes

/// `virtual_routes` / `virtual_rules` (with an instance's VIPs) and `static_routes` /
/// `static_rules` (for the daemon's whole life), resolved for this host.
public struct RoutePlan: Sendable, Equatable {
    public var routes: [KernelRoute] = []
    public var rules: [KernelRule] = []

    public init() {}

    public var isEmpty: Bool { routes.isEmpty && rules.isEmpty }

    /// Interface names become indices here, so a `dev` that does not exist stops the start
    /// with its location rather than failing later at each takeover.
    public static func make(routes: [VirtualRoute], rules: [VirtualRule], block: String,
                            interfaces: InterfaceTable) throws(InstancePlan.Problem) -> RoutePlan {
        var plan = RoutePlan()
        for r in routes {
            var index: Int32?
            if let dev = r.device {
                guard let link = interfaces.interfaces[dev] else {
                    throw InstancePlan.Problem(location: r.origin.location, message: "\(block)_routes: dev '\(dev)' does not exist")
                }
                index = link.index
            }
            let kind: KernelRoute.Kind
            switch r.kind {
            case .unicast: kind = .unicast
            case .blackhole: kind = .blackhole
            case .unreachable: kind = .unreachable
            case .prohibit: kind = .prohibit
            case .throw: kind = .throw
            }
            let destination = r.destination.address.internetAddress
            var route = KernelRoute(
                kind: kind, destination: destination, prefixLength: length(r.destination),
                source: r.source?.internetAddress, gateway: r.gateway?.internetAddress, interfaceIndex: index,
                scope: r.scope.map(InstancePlan.scope) ?? 0, table: UInt32(r.table ?? 254),
                metric: r.metric.map { UInt32($0) }, protocolNumber: UInt8(r.protocolNumber ?? 18), onlink: r.onlink)
            route.sourcePrefix = r.sourcePrefix.map { KernelPrefix($0.address.internetAddress, length: length($0)) }
            route.typeOfService = r.typeOfService.map { UInt8($0) }
            switch r.placement {
            case .add?: route.placement = .add
            case .append?: route.placement = .append
            case .prepend?, nil: route.placement = .prepend
            }
            plan.routes.append(route)
        }
        for r in rules {
            let action: KernelRule.Action
            switch r.action {
            case let .table(t): action = .table(UInt32(t))
            case let .goto(n): action = .goto(UInt32(n))
            case .nop: action = .nop
            case .blackhole: action = .blackhole
            case .unreachable: action = .unreachable
            case .prohibit: action = .prohibit
            case .l3mdev: action = .l3mdev
            }
            var rule = KernelRule(ipv6: r.ipv6, action: action)
            rule.invert = r.invert
            rule.from = r.from.map { KernelPrefix($0.address.internetAddress, length: length($0)) }
            rule.to = r.to.map { KernelPrefix($0.address.internetAddress, length: length($0)) }
            rule.priority = r.priority.map { UInt32($0) }
            rule.firewallMark = r.firewallMark
            rule.firewallMask = r.firewallMask
            rule.typeOfService = r.typeOfService.map { UInt8($0) }
            rule.inputInterface = r.inputInterface
            rule.outputInterface = r.outputInterface
            rule.protocolNumber = UInt8(r.protocolNumber ?? 18)
            plan.rules.append(rule)
        }
        return plan
    }

    /// A prefix written without `/N` is a host route, as keepalived reads it.
    private static func length(_ p: IPPrefix) -> Int {
        p.prefixLength ?? p.address.maximumPrefixLength
    }
}
