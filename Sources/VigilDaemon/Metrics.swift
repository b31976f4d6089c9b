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
        registry.makeGauge(name: "vigil_vrrp_state", labels: [("instance", instance)],
                           help: "VRRP state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT").set(Self.code(state))
        registry.makeGauge(name: "vigil_vrrp_master", labels: [("instance", instance)],
                           help: "1 while this box is master of the instance").set(state == .master ? 1.0 : 0.0)
    }

    func priority(_ instance: String, _ value: UInt8) {
        registry.makeGauge(name: "vigil_vrrp_priority", labels: [("instance", instance)],
                           help: "Effective priority (configured, moved by tracking or the operator)").set(Double(value))
    }

    func transition(_ instance: String, to state: VRRPState) {
        registry.makeCounter(name: "vigil_vrrp_transitions_total", labels: [("instance", instance), ("to", state.description)],
                             help: "State transitions, by the state entered").increment()
        self.state(instance, state)
    }

    func advertSent(_ instance: String) {
        registry.makeCounter(name: "vigil_vrrp_adverts_sent_total", labels: [("instance", instance)],
                             help: "VRRP advertisements sent").increment()
    }

    func advertReceived(_ instance: String) {
        registry.makeCounter(name: "vigil_vrrp_adverts_received_total", labels: [("instance", instance)],
                             help: "VRRP advertisements accepted").increment()
    }

    /// A rejected packet: `place` is the instance, or the interface when no instance took it.
    func rejected(_ place: String, reason: String) {
        registry.makeCounter(name: "vigil_vrrp_rejected_packets_total", labels: [("place", place), ("reason", reason)],
                             help: "VRRP packets dropped, by reason (RFC 3768 section 7.1 checks and the decoder's)").increment()
    }

    func reload(ok: Bool) {
        registry.makeCounter(name: "vigil_reloads_total", labels: [("result", ok ? "ok" : "refused")],
                             help: "Configuration reloads, applied or refused").increment()
    }

    func checkResult(virtualServer: String, realServer: String, up: Bool) {
        registry.makeCounter(name: "vigil_checker_results_total",
                             labels: [("virtual_server", virtualServer), ("real_server", realServer), ("result", up ? "up" : "down")],
                             help: "Health check results").increment()
    }

    func realServer(virtualServer: String, realServer: String, healthy: Bool, weight: Int?) {
        let labels = [("virtual_server", virtualServer), ("real_server", realServer)]
        registry.makeGauge(name: "vigil_real_server_healthy", labels: labels,
                           help: "1 when every checker of the real server passes").set(healthy ? 1.0 : 0.0)
        registry.makeGauge(name: "vigil_real_server_weight", labels: labels,
                           help: "Weight in the IPVS table (-1: not in the table)").set(Double(weight ?? -1))
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
                    let counter = registry.makeCounter(name: "\(prefix)_\(name)_total", labels: labels, help: help)
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
                    registry.makeGauge(name: "vigil_ipvs_real_server_active_connections", labels: labels,
                                       help: "Active connections now").set(Double(active))
                }
                if let inactive = c.inactiveConnections {
                    registry.makeGauge(name: "vigil_ipvs_real_server_inactive_connections", labels: labels,
                                       help: "Inactive connections now").set(Double(inactive))
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
