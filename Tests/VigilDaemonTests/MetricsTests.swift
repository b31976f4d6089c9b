import Testing
import VRRP
@testable import VigilDaemon

/// What Prometheus reads: names, types, labels and values as the daemon records them.
@Suite struct MetricsTests {
    static func lines(_ m: Metrics) -> Set<String> { Set(m.registry.emitToString().split(separator: "\n").map(String.init)) }

    @Test func vrrpEventsBecomeSeries() {
        let m = Metrics()
        m.state("VI_1", .backup)
        m.transition("VI_1", to: .master)
        m.priority("VI_1", 150)
        for _ in 0..<3 { m.advertSent("VI_1") }
        m.advertReceived("VI_1")
        for _ in 0..<2 { m.rejected("VI_1", reason: "auth_password") }
        m.rejected("eth0", reason: "unknown_vrid")
        m.reload(ok: true)
        m.reload(ok: false)
        m.groupState("G1", .fault)
        let l = Self.lines(m)
        #expect(l.contains("# TYPE vigil_vrrp_state gauge"))
        #expect(l.contains(#"vigil_vrrp_state{instance="VI_1"} 2.0"#))
        #expect(l.contains(#"vigil_vrrp_master{instance="VI_1"} 1.0"#))
        #expect(l.contains(#"vigil_vrrp_priority{instance="VI_1"} 150.0"#))
        #expect(l.contains("# TYPE vigil_vrrp_transitions_total counter"))
        #expect(l.contains(#"vigil_vrrp_transitions_total{instance="VI_1",to="MASTER"} 1"#))
        #expect(l.contains(#"vigil_vrrp_adverts_sent_total{instance="VI_1"} 3"#))
        #expect(l.contains(#"vigil_vrrp_adverts_received_total{instance="VI_1"} 1"#))
        #expect(l.contains(#"vigil_vrrp_rejected_packets_total{place="VI_1",reason="auth_password"} 2"#))
        #expect(l.contains(#"vigil_vrrp_rejected_packets_total{place="eth0",reason="unknown_vrid"} 1"#))
        #expect(l.contains(#"vigil_reloads_total{result="ok"} 1"#))
        #expect(l.contains(#"vigil_reloads_total{result="refused"} 1"#))
        #expect(l.contains(#"vigil_vrrp_sync_group_state{group="G1"} 3.0"#))
    }

    @Test func realServersAndChecks() {
        let m = Metrics()
        m.checkResult(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80", up: true)
        m.checkResult(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80", up: true)
        m.checkResult(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80", up: false)
        m.realServer(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80", healthy: false, weight: nil)
        let l = Self.lines(m)
        #expect(l.contains(#"vigil_checker_results_total{virtual_server="192.0.2.100:80",real_server="198.51.100.1:80",result="up"} 2"#))
        #expect(l.contains(#"vigil_checker_results_total{virtual_server="192.0.2.100:80",real_server="198.51.100.1:80",result="down"} 1"#))
        #expect(l.contains(#"vigil_real_server_healthy{virtual_server="192.0.2.100:80",real_server="198.51.100.1:80"} 0.0"#))
        #expect(l.contains(#"vigil_real_server_weight{virtual_server="192.0.2.100:80",real_server="198.51.100.1:80"} -1.0"#))
    }

    @Test func aRemovedInstanceOrRealServerLeavesNoGauge() {
        let m = Metrics()
        m.transition("VI_2", to: .master)
        m.priority("VI_2", 100)
        m.realServer(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80", healthy: true, weight: 1)
        m.forget(instance: "VI_2")
        m.forget(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80")
        let text = m.registry.emitToString()
        #expect(!text.contains(#"vigil_vrrp_master{instance="VI_2"}"#))
        #expect(!text.contains(#"vigil_vrrp_priority{instance="VI_2"}"#))
        #expect(!text.contains("vigil_real_server_healthy{"))
        #expect(text.contains(#"vigil_vrrp_transitions_total{instance="VI_2",to="MASTER"} 1"#), "counters stay")
    }

    /// This machine's kernel has no IPVS: a scrape still answers, without IPVS series.
    @Test func aScrapeWithoutIPVSStillAnswers() {
        let m = Metrics()
        m.state("VI_1", .fault)
        let text = m.scrape()
        #expect(text.contains(#"vigil_vrrp_state{instance="VI_1"} 3.0"#))
        #expect(!text.contains("vigil_ipvs_"))
    }
}
