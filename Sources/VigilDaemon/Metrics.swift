import LVS
import Prometheus
import Synchronization
import VRRP
import VigilLinux

/// Vigil's Prometheus metrics (`metrics_listen`): the daemon thread records VRRP and
/// checker events as they happen; the IPVS traffic counters are read from the kernel when
/// Prometheus scrapes, through a netlink socket of their own.
///
/// Names follow Prometheus' conventions (`_total` counters, base units); labels name the
/// instance, the virtual server and the real server as the configuration writes them.
final class Metrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let ipvs = Mutex<IPVSState>(IPVSState())

    /// Every metric's name and help, in one place: the registry insists that a name always
    /// comes with the same help text.
    enum Name {
        static func d(_ name: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        }
        static var buildInfo: MetricNameDescriptor { d("vigil_build_info", "Always 1; the version label says which build runs") }
        static var state: MetricNameDescriptor { d("vigil_vrrp_state", "VRRP state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT") }
        static var master: MetricNameDescriptor { d("vigil_vrrp_master", "1 while this box is master of the instance") }
        static var priority: MetricNameDescriptor { d("vigil_vrrp_priority", "Effective priority (configured, moved by tracking or the operator)") }
        static var groupState: MetricNameDescriptor { d("vigil_vrrp_sync_group_state", "Sync group state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT") }
        static var transitions: MetricNameDescriptor { d("vigil_vrrp_transitions_total", "State transitions, by the state entered") }
        static var advertsSent: MetricNameDescriptor { d("vigil_vrrp_adverts_sent_total", "VRRP advertisements sent") }
        static var advertsReceived: MetricNameDescriptor { d("vigil_vrrp_adverts_received_total", "VRRP advertisements accepted") }
        static var rejected: MetricNameDescriptor { d("vigil_vrrp_rejected_packets_total",
                                "VRRP packets dropped, by reason (RFC 3768 section 7.1 checks and the decoder's)") }
        static var restored: MetricNameDescriptor { d("vigil_vrrp_restored_total",
                                "What another program removed from a master and Vigil put back, by kind (address)") }
        static var foreign: MetricNameDescriptor { d("vigil_vrrp_foreign_addresses_total",
                                "VIPs another program added while this box was not master (reported, left in place)") }
        static var reloads: MetricNameDescriptor { d("vigil_reloads_total", "Configuration reloads, applied or refused") }
        static var announced: MetricNameDescriptor { d("vigil_announced", "1 while the address's host route is announced to the routing daemon (announce)") }
        static var checks: MetricNameDescriptor { d("vigil_checker_results_total", "Health check results") }
        static var healthy: MetricNameDescriptor { d("vigil_real_server_healthy", "1 when every checker of the real server passes") }
        static var weight: MetricNameDescriptor { d("vigil_real_server_weight", "Weight in the IPVS table (-1: not in the table)") }
        static var active: MetricNameDescriptor { d("vigil_ipvs_real_server_active_connections", "Active connections now") }
        static var inactive: MetricNameDescriptor { d("vigil_ipvs_real_server_inactive_connections", "Inactive connections now") }
        static func kernel(_ prefix: String, _ name: String, _ help: String) -> MetricNameDescriptor {
            d("\(prefix)_\(name)_total", help)
        }
    }

    init(version: String = BuildInfo.version) {
        registry.makeGauge(descriptor: Name.buildInfo, labels: [("version", version)]).set(1.0)
    }

    private struct IPVSState: ~Copyable {
        var driver: IPVSDriver?
        var triedDriver = false
        /// The kernel's last totals per series, to turn them into counter increments.
        var last: [String: UInt64] = [:]
    }

    /// keepalived's states as numbers, for one gauge per instance (and `vigil_vrrp_master`
    /// for alerting on "how many masters").
    static func code(_ state: VRRPState) -> Double {
        switch state {
        case .initialize: return 0
        case .backup: return 1
        case .master: return 2
        case .fault: return 3
        }
    }

    func state(_ instance: String, _ state: VRRPState) {
        registry.makeGauge(descriptor: Name.state, labels: [("instance", instance)]).set(Self.code(state))
        registry.makeGauge(descriptor: Name.master, labels: [("instance", instance)]).set(state == .master ? 1.0 : 0.0)
    }

    func groupState(_ group: String, _ state: VRRPState) {
        registry.makeGauge(descriptor: Name.groupState, labels: [("group", group)]).set(Self.code(state))
    }

    /// A reload removed the instance: its gauges go (a stale `vigil_vrrp_master 1` would
    /// count a master that no longer exists). Its counters stay, as counters do.
    func forget(instance: String) {
        let labels = [("instance", instance)]
        for name in [Name.state, Name.master, Name.priority] {
            registry.unregisterGauge(registry.makeGauge(descriptor: name, labels: labels))
        }
    }

    /// A reload removed the real server: its gauges go.
    func forget(virtualServer: String, realServer: String) {
        let labels = [("virtual_server", virtualServer), ("real_server", realServer)]
        for name in [Name.healthy, Name.weight] {
            registry.unregisterGauge(registry.makeGauge(descriptor: name, labels: labels))
        }
    }

    func priority(_ instance: String, _ value: UInt8) {
        registry.makeGauge(descriptor: Name.priority, labels: [("instance", instance)]).set(Double(value))
    }

    func transition(_ instance: String, to state: VRRPState) {
        registry.makeCounter(descriptor: Name.transitions, labels: [("instance", instance), ("to", state.description)]).increment()
        self.state(instance, state)
    }

    func advertSent(_ instance: String) {
        registry.makeCounter(descriptor: Name.advertsSent, labels: [("instance", instance)]).increment()
    }

    func advertReceived(_ instance: String) {
        registry.makeCounter(descriptor: Name.advertsReceived, labels: [("instance", instance)]).increment()
    }

    /// A rejected packet: `place` is the instance, or the interface when no instance took it.
    func rejected(_ place: String, reason: String) {
        registry.makeCounter(descriptor: Name.rejected, labels: [("place", place), ("reason", reason)]).increment()
    }

    func restored(_ instance: String, what: String) {
        registry.makeCounter(descriptor: Name.restored, labels: [("instance", instance), ("what", what)]).increment()
    }

    func foreignAddress(_ instance: String) {
        registry.makeCounter(descriptor: Name.foreign, labels: [("instance", instance)]).increment()
    }

    func reload(ok: Bool) {
        registry.makeCounter(descriptor: Name.reloads, labels: [("result", ok ? "ok" : "refused")]).increment()
    }

    /// `announce`: 1 while the route is announced.
    func announced(_ address: String, _ on: Bool) {
        registry.makeGauge(descriptor: Name.announced, labels: [("address", address)]).set(on ? 1.0 : 0.0)
    }

    func checkResult(virtualServer: String, realServer: String, up: Bool) {
        checkCounter(virtualServer: virtualServer, realServer: realServer, result: up ? "up" : "down").increment()
    }

    /// One checker's two result counters, made once: a check's result then costs one atomic
    /// increment, not a registry lookup by labels (a thousand checks a second).
    func checkCounters(virtualServer: String, realServer: String) -> (up: Counter, down: Counter) {
        (checkCounter(virtualServer: virtualServer, realServer: realServer, result: "up"),
         checkCounter(virtualServer: virtualServer, realServer: realServer, result: "down"))
    }

    private func checkCounter(virtualServer: String, realServer: String, result: String) -> Counter {
        registry.makeCounter(descriptor: Name.checks,
                             labels: [("virtual_server", virtualServer), ("real_server", realServer), ("result", result)])
    }

    func realServer(virtualServer: String, realServer: String, healthy: Bool, weight: Int?) {
        let labels = [("virtual_server", virtualServer), ("real_server", realServer)]
        registry.makeGauge(descriptor: Name.healthy, labels: labels).set(healthy ? 1.0 : 0.0)
        registry.makeGauge(descriptor: Name.weight, labels: labels).set(Double(weight ?? -1))
    }

    /// Reads the kernel's IPVS counters into the registry (on Prometheus' scrape).
    func refreshIPVS() {
        ipvs.withLock { state in
            if !state.triedDriver {
                state.triedDriver = true
                state.driver = try? IPVSDriver()
            }
            guard let driver = state.driver, let all = try? driver.readCounters() else { return }
            for c in all {
                let service = "\(c.service)"
                let prefix = c.destination == nil ? "vigil_ipvs_service" : "vigil_ipvs_real_server"
                var labels = [("service", service)]
                if let d = c.destination { labels.append(("real_server", "\(d)")) }
                func total(_ name: String, _ value: UInt64, _ help: String) {
                    let counter = registry.makeCounter(descriptor: Name.kernel(prefix, name, help), labels: labels)
                    let key = "\(prefix)_\(name)|\(labels.map { $0.1 }.joined(separator: "|"))"
                    let before = state.last[key] ?? 0
                    if value < before { counter.reset() }
                    counter.increment(by: Int64(clamping: value < before ? value : value - before))
                    state.last[key] = value
                }
                total("connections", c.connections, "Connections scheduled (kernel counter)")
                total("in_packets", c.inPackets, "Packets in (kernel counter)")
                total("out_packets", c.outPackets, "Packets out (kernel counter)")
                total("in_bytes", c.inBytes, "Bytes in (kernel counter)")
                total("out_bytes", c.outBytes, "Bytes out (kernel counter)")
                if let active = c.activeConnections {
                    registry.makeGauge(descriptor: Name.active, labels: labels).set(Double(active))
                }
                if let inactive = c.inactiveConnections {
                    registry.makeGauge(descriptor: Name.inactive, labels: labels).set(Double(inactive))
                }
            }
        }
    }

    /// The text exposition, IPVS counters fresh.
    func scrape() -> String {
        refreshIPVS()
        return registry.emitToString()
    }
}
