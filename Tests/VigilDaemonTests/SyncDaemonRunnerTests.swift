import LVS
import Testing
import VigilConfig
import VigilTypes
@testable import VigilDaemon
@testable import VigilPlan

/// lvs_sync_daemon, lvs_timeouts, lvs_flush and lvs_flush_on_stop through the LVS runner,
/// against the fake IPVS kernel: which sync daemon runs as the followed instance changes
/// state, what a start finds and a stop leaves, what the flushes remove.
@Suite struct SyncDaemonRunnerTests {
    typealias FakeKernel = LVSRunnerTests.FakeKernel

    static let vrrp = TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"])

    static func plan(_ globals: String, virtualServers: String = LVSRunnerTests.virtualServer(100, [(1, 1)])) throws -> LVSPlan {
        try TestBox.plan("global_defs {\n\(globals)\n}\n" + vrrp + virtualServers).lvs
    }

    static func roles(_ kernel: FakeKernel) -> Set<IPVSSyncDaemon.Role> { Set(kernel.daemons.map(\.role)) }

    @Test func followingAnInstanceTheBackupDaemonRunsUntilItIsMasterThenTheMasterDaemon() throws {
        let kernel = FakeKernel()
        let runner = LVSRunnerTests.runner(try Self.plan("lvs_sync_daemon eth0 VI_1"), kernel)
        runner.start()
        #expect(runner.syncInstance == "VI_1")
        #expect(kernel.daemons == [IPVSSyncDaemon(.backup, SyncDaemonSettings(interface: "eth0", syncID: 51))],
                "the backup daemon, sync id = the instance's VRID")
        kernel.calls = []
        runner.followSyncInstance(master: true)
        #expect(kernel.changes == ["stop the backup sync daemon", "start the master sync daemon (mcast=eth0, syncid=51)"],
                "keepalived's order: the backup daemon stops, then the master daemon starts")
        kernel.calls = []
        runner.followSyncInstance(master: true)
        #expect(kernel.changes.isEmpty, "told again: nothing to do")
        runner.followSyncInstance(master: false)
        #expect(Self.roles(kernel) == [.backup])
        runner.stop()
        #expect(kernel.daemons.isEmpty, "stopped at exit")
    }

    @Test func followingNoInstanceBothDaemonsRunFromStartToStop() throws {
        let kernel = FakeKernel()
        let runner = LVSRunnerTests.runner(try Self.plan("lvs_sync_daemon eth1 id 7 maxlen 1400 port 9000 ttl 2 group 239.1.2.3"), kernel)
        runner.start()
        let settings = SyncDaemonSettings(interface: "eth1", syncID: 7, maxLength: 1400, port: 9000, ttl: 2,
                                          group: .v4(IPv4Address(239, 1, 2, 3)))
        #expect(Set(kernel.daemons) == [IPVSSyncDaemon(.master, settings), IPVSSyncDaemon(.backup, settings)])
        runner.followSyncInstance(master: true)
        #expect(Self.roles(kernel) == [.master, .backup], "no instance followed: a state changes nothing")
        runner.stop()
        #expect(kernel.daemons.isEmpty)
    }

    /// After a crash the kernel still runs the daemons: kept when they are as configured
    /// (the kernel reports its defaults for what the configuration left unset), replaced when not.
    @Test func aStartKeepsARunningDaemonAsConfiguredAndReplacesAnother() throws {
        let kernel = FakeKernel()
        kernel.daemons = [
            IPVSSyncDaemon(.backup, SyncDaemonSettings(interface: "eth0", syncID: 51, maxLength: 1472, port: 8848, ttl: 1,
                                                       group: .v4(IPv4Address(224, 0, 0, 81)))),
            IPVSSyncDaemon(.master, SyncDaemonSettings(interface: "eth9", syncID: 3)),
        ]
        let runner = LVSRunnerTests.runner(try Self.plan("lvs_sync_daemon eth0 VI_1"), kernel)
        runner.start()
        #expect(kernel.changes.prefix(1) == ["stop the master sync daemon"], "\(kernel.changes)")
        #expect(!kernel.changes.contains { $0.hasPrefix("start the backup") }, "the backup daemon as configured is kept")
        #expect(Self.roles(kernel) == [.backup])
        runner.stop()
        #expect(kernel.daemons.isEmpty, "adopted, so stopped at exit")
    }

    @Test func aSyncDaemonWithoutVirtualServersStillRuns() throws {
        let kernel = FakeKernel()
        let runner = LVSRunnerTests.runner(try Self.plan("lvs_sync_daemon eth0 VI_1", virtualServers: ""), kernel)
        runner.start()
        #expect(Self.roles(kernel) == [.backup])
        #expect(kernel.table.services.isEmpty)
        runner.stop()
        #expect(kernel.daemons.isEmpty)
    }

    @Test func anUndefinedInstanceStartsNoDaemon() throws {
        let result = ConfigurationLoader.load(text: "global_defs {\n lvs_sync_daemon eth0 VI_9\n}\n" + Self.vrrp)
        #expect(result.diagnostics.contains { $0.severity == .warning && $0.message.contains("vrrp_instance 'VI_9', which is not defined") },
                "\(result.diagnostics)")
        let plan = try TestBox.plan("global_defs {\n lvs_sync_daemon eth0 VI_9\n}\n" + Self.vrrp).lvs
        #expect(plan.sync == nil)
        #expect(!plan.needsKernel)
    }

    @Test func reloadWithOtherSettingsRestartsTheDaemonAndTheSameSettingsTouchNothing() throws {
        let kernel = FakeKernel()
        let runner = LVSRunnerTests.runner(try Self.plan("lvs_sync_daemon eth0 VI_1"), kernel)
        runner.start()
        runner.followSyncInstance(master: true)
        kernel.calls = []
        runner.reload(try Self.plan("lvs_sync_daemon eth0 VI_1"))
        runner.followSyncInstance(master: true)
        #expect(!kernel.changes.contains { $0.contains("sync daemon") }, "\(kernel.changes)")
        runner.reload(try Self.plan("lvs_sync_daemon eth0 VI_1 id 9"))
        runner.followSyncInstance(master: true)
        #expect(kernel.daemons == [IPVSSyncDaemon(.master, SyncDaemonSettings(interface: "eth0", syncID: 9))])
        #expect(kernel.changes.filter { $0.contains("sync daemon") }
                == ["stop the master sync daemon", "start the master sync daemon (mcast=eth0, syncid=9)"])
        runner.reload(try Self.plan(""))
        #expect(kernel.daemons.isEmpty, "lvs_sync_daemon removed: stopped")
        runner.stop()
    }

    @Test func timeoutsAreSetAtStartAndAgainOnlyWhenAReloadChangesThem() throws {
        let kernel = FakeKernel()
        let runner = LVSRunnerTests.runner(try Self.plan("lvs_timeouts tcp 900 udp 60"), kernel)
        runner.start()
        #expect(kernel.timeouts == IPVSTimeouts(tcp: 900, udp: 60))
        kernel.calls = []
        runner.reload(try Self.plan("lvs_timeouts tcp 900 udp 60"))
        #expect(!kernel.calls.contains { $0.hasPrefix("timeouts") })
        runner.reload(try Self.plan("lvs_timeouts tcpfin 30"))
        #expect(kernel.timeouts == IPVSTimeouts(tcp: 900, tcpFin: 30, udp: 60))
        runner.stop()
    }

    @Test func lvsFlushEmptiesTheWholeTableBeforeProgramming() throws {
        let kernel = FakeKernel([LVSRunnerTests.foreign])
        let runner = LVSRunnerTests.runner(try Self.plan("lvs_flush"), kernel)
        runner.start()
        #expect(kernel.changes.first == "flush")
        #expect(Set(kernel.table.services.keys) == [LVSRunnerTests.web], "someone else's service went with the flush")
        runner.stop()
    }

    @Test func byDefaultAStopLeavesOtherServicesAndLvsFlushOnStopRemovesThemToo() throws {
        for (globals, foreignLeft) in [("", true), ("lvs_flush_on_stop VS", true), ("lvs_flush_on_stop", false)] {
            let kernel = FakeKernel([LVSRunnerTests.foreign])
            let runner = LVSRunnerTests.runner(try Self.plan(globals), kernel)
            runner.start()
            #expect(kernel.table.services.count == 2)
            runner.stop()
            #expect(kernel.table.services[LVSRunnerTests.web] == nil, "'\(globals)': this run's service removed")
            #expect((kernel.table.services[LVSRunnerTests.foreign.key] != nil) == foreignLeft, "'\(globals)'")
        }
    }
}
