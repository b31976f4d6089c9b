import Testing
import VigilConfig
@testable import VigilPlan
import VigilTypes

/// The delay the instances start after: `vrrp_startup_delay`, or what is left of
/// `vrrp_delay_after_boot` since the machine booted, whichever is longer (keepalived 2.4).
@Suite struct StartupDelayPlanTests {
    static func delay(_ global: String, uptime: Microseconds?) throws -> DaemonPlan {
        let text = "global_defs {\n\(global)\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n"
            + "    virtual_ipaddress {\n        192.0.2.100/24\n    }\n}\n"
        let result = ConfigurationLoader.load(text: text)
        #expect(result.diagnostics.allSatisfy { $0.severity != .error }, "\(result.diagnostics)")
        var host = KeywordUseTests.host
        host.uptime = uptime
        return try DaemonPlan.make(result.configuration, host: host)
    }

    @Test func theLongerDelayHolds() throws {
        #expect(try Self.delay("vrrp_startup_delay 5", uptime: 1_000_000).vrrpStartupDelay == 5_000_000)
        #expect(try Self.delay("vrrp_delay_after_boot 30", uptime: 12_500_000).vrrpStartupDelay == 17_500_000)
        #expect(try Self.delay("vrrp_delay_after_boot 30\nvrrp_startup_delay 20", uptime: 12_500_000).vrrpStartupDelay == 20_000_000)
        #expect(try Self.delay("vrrp_delay_after_boot 30", uptime: 3_600_000_000).vrrpStartupDelay == 0, "booted long ago: no delay")
        #expect(try Self.delay("", uptime: 1).vrrpStartupDelay == 0)
    }

    @Test func anUnknownUptimeIsSaid() throws {
        let plan = try Self.delay("vrrp_delay_after_boot 30", uptime: nil)
        #expect(plan.vrrpStartupDelay == 0)
        #expect(plan.notes.contains { $0.contains("vrrp_delay_after_boot is ignored") })
    }
}
