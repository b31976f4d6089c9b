import LVS
import VigilConfig
import VigilTypes

/// The `announce` blocks resolved: each host route with the pools (indices into the LVS
/// plan's, one per virtual_server in file order) and the VRRP instances (indices into the
/// plan's) it follows, and the device and route protocol that carry them to FRR.
public struct AnnouncePlan: Sendable, Equatable {
    public var routes: [AnnouncementState.Route] = []
    /// The tun device the announced routes go over (`match interface` in FRR's route-map).
    public var device = "vigil0"
    /// The routes' protocol number: one zebra imports as a kernel route (not 2, 11, 42 or
    /// 186–198, FRR's own) and not `virtual_routes`' 18, so Vigil's start can remove what
    /// an earlier run left without touching anything else.
    public var protocolNumber: UInt8 = 250

    public init() {}

    /// `instances`: the plan's VRRP instances, by name. An announcement following a virtual
    /// server or an instance this process does not run (keepalived's -P / -C split) is left
    /// out, said in `notes`.
    static func make(_ config: Configuration, instances: [String], notes: inout [String]) -> AnnouncePlan {
        var plan = AnnouncePlan()
        for a in config.announcements {
            var route = AnnouncementState.Route(address: a.address.internetAddress)
            var missing: [String] = []
            for condition in a.conditions {
                switch condition {
                case let .virtualServer(key, _):
                    let pools = config.virtualServers.indices.filter { config.virtualServers[$0].key == key }
                    if pools.isEmpty { missing.append("virtual_server \(key)") }
                    route.pools += pools
                case let .vrrpInstance(name, _):
                    if let i = instances.firstIndex(of: name) { route.instances.append(i) } else { missing.append("vrrp_instance \(name)") }
                }
            }
            guard missing.isEmpty else {
                notes.append("warning: announce \(a.address) is not announced by this process: it does not run \(missing.joined(separator: ", "))")
                continue
            }
            plan.routes.append(route)
        }
        return plan
    }
}
