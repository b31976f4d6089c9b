import Logging
import VigilLinux
import VigilPlan

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
