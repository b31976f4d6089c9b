import Logging
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

/// Puts route plans into the kernel and takes them out, logging what it did under the
/// owner's name. Failures are logged one by one and the rest still go in (or out): a route
/// that cannot be added must not keep the others, or the VIPs, from working.
final class VirtualRoutes {
    private let manager: RouteManager
    private let logger: Logger

    init(logger: Logger) throws {
        manager = try RouteManager()
        self.logger = logger
    }

    /// Routes first, then the rules that send traffic to them (keepalived's order).
    func install(_ plan: RoutePlan, for owner: String) {
        guard !plan.isEmpty else { return }
        var failed = 0
        for route in plan.routes {
            do { try manager.add(route) } catch { failed += 1; logger.error("(\(owner)) \(error)") }
        }
        for rule in plan.rules {
            do { try manager.add(rule) } catch { failed += 1; logger.error("(\(owner)) \(error)") }
        }
        logger.info("(\(owner)) added \(plan.routes.count) route(s), \(plan.rules.count) rule(s)\(failed > 0 ? ", \(failed) failed" : "")")
    }

    /// The guard: puts back what of the plan is missing (another program deleted it) and
    /// says what that was; what is in place is left alone.
    func reinstallMissing(_ plan: RoutePlan, for owner: String) -> (routes: [String], rules: [String]) {
        var routes: [String] = [], rules: [String] = []
        for route in plan.routes {
            do { if try manager.add(route) { routes.append("\(route)") } } catch { logger.error("(\(owner)) \(error)") }
        }
        for rule in plan.rules {
            do { if try manager.add(rule) { rules.append("\(rule)") } } catch { logger.error("(\(owner)) \(error)") }
        }
        return (routes, rules)
    }

    /// Rules first, so that no rule points at a table being emptied.
    func remove(_ plan: RoutePlan, for owner: String) {
        guard !plan.isEmpty else { return }
        for rule in plan.rules {
            do { try manager.remove(rule) } catch { logger.error("(\(owner)) \(error)") }
        }
        for route in plan.routes {
            do { try manager.remove(route) } catch { logger.error("(\(owner)) \(error)") }
        }
        logger.info("(\(owner)) removed its route(s) and rule(s)")
    }

    /// Routes and rules a run killed before it could remove them (kill -9, power loss)
    /// would keep steering traffic to this box while another is master: removed before the
    /// first election, saying which.
    func removeLeftovers(_ plan: RoutePlan, for owner: String) {
        guard !plan.isEmpty else { return }
        var removed: [String] = []
        for rule in plan.rules {
            do { if try manager.remove(rule) { removed.append("rule \(rule)") } } catch { logger.error("(\(owner)) \(error)") }
        }
        for route in plan.routes {
            do { if try manager.remove(route) { removed.append("route \(route)") } } catch { logger.error("(\(owner)) \(error)") }
        }
        if !removed.isEmpty {
            logger.notice("(\(owner)) removed \(removed.joined(separator: ", ")) left from an earlier run")
        }
    }
}
