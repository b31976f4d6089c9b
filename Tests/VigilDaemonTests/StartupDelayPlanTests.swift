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
        #expect(try Self.delay("vrrp_startup_delay 5", uptime: 1_000_000).startupDelay == 5_000_000)
        #expect(try Self.delay("vrrp_delay_after_boot 30", uptime: 12_500_000).startupDelay == 17_500_000)
        #expect(try Self.delay("vrrp_delay_after_boot 30\nvrrp_startup_delay 20", uptime: 12_500_000).startupDelay == 20_000_000)
        #expect(try Self.delay("vrrp_delay_after_boot 30", uptime: 3_600_000_000).startupDelay == 0, "booted long ago: no delay")
        #expect(try Self.delay("", uptime: 1).startupDelay == 0)
    }

    /// A live reload during the delay: vrrp_startup_delay counts from the daemon's start
    /// (the start moves by the change of it, as keepalived moves it), vrrp_delay_after_boot
    /// from the boot. Moving the start by the change of the whole delay, as keepalived
    /// does, would start 10 s early here: the reload's plan has 10 s less left since boot.
    @Test func aReloadKeepsTheBootDelayWhereItWas() throws {
        let daemonStart = Instant(microseconds: 100_000_000)
        let old = try Self.delay("vrrp_delay_after_boot 30", uptime: 12_500_000)
        let start = daemonStart + old.startupDelay
        #expect(start == Instant(microseconds: 117_500_000))
        let reloaded = try Self.delay("vrrp_delay_after_boot 30", uptime: 22_500_000)
        let now = Instant(microseconds: 110_000_000)
        #expect(DaemonPlan.delayedStart(start, from: old, to: reloaded, at: now) == start)
        #expect(start + (reloaded.startupDelay - old.startupDelay) == Instant(microseconds: 107_500_000), "the arithmetic that would be wrong")
        // vrrp_startup_delay 5 -> 8: the start moves by 3 s.
        let five = try Self.delay("vrrp_startup_delay 5", uptime: nil)
        let eight = try Self.delay("vrrp_startup_delay 8", uptime: nil)
        #expect(DaemonPlan.delayedStart(daemonStart + 5_000_000, from: five, to: eight, at: daemonStart + 2_000_000)
            == daemonStart + 8_000_000)
    }

    @Test func anUnknownUptimeIsSaid() throws {
        let plan = try Self.delay("vrrp_delay_after_boot 30", uptime: nil)
        #expect(plan.startupDelay == 0)
        #expect(plan.notes.contains { $0.contains("vrrp_delay_after_boot is ignored") })
    }
}
