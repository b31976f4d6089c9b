import Testing
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// The control socket's language and `vigil status`'s report.
@Suite struct ControlTests {
    @Test func requestsParseAndPrintBack() throws {
        let cases: [(String, ControlCommand)] = [
            ("status", .status), ("reload", .reload),
            ("drain 192.0.2.100:80 198.51.100.1:80", .drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80")),
            ("undrain 192.0.2.100:80 198.51.100.1", .undrain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1")),
            ("priority VI_1 50", .priority(instance: "VI_1", value: 50)),
            ("priority VI_1 reset", .priority(instance: "VI_1", value: nil)),
            ("resign VI_1", .resign(instance: "VI_1")),
        ]
        for (line, command) in cases {
            #expect(try ControlCommand(parsing: line) == command)
            #expect(try ControlCommand(parsing: command.line) == command)
        }
        #expect(try ControlCommand(parsing: "  status \r") == .status)
    }

    @Test func badRequestsSayWhatIsWrong() {
        func message(_ line: String) -> String {
            do { _ = try ControlCommand(parsing: line) } catch { return error.description }
            return "(parsed)"
        }
        #expect(message("stauts").contains("unknown request 'stauts'"))
        #expect(message("").contains("unknown request ''"))
        #expect(message("priority VI_1 255").contains("not 1-254 or 'reset'"))
        #expect(message("priority VI_1 0").contains("not 1-254"))
        #expect(message("priority VI_1").contains("'priority' takes 2 argument(s)"))
        #expect(message("drain 192.0.2.100:80").contains("'drain' takes 2 argument(s)"))
        #expect(message("status now").contains("'status' takes 0 argument(s)"))
    }

    static func report() -> StatusReport {
        var r = StatusReport(pid: 42, configuration: "/etc/vigil/vigil.conf", uptime: 3725, lastReload: "never", version: "0.1.7+gabc1234")
        r.instances = [
            .init(name: "VI_1", interface: "eth0", virtualRouterID: 51, state: "MASTER", priority: 150, configuredPriority: 150,
                  priorityOverride: nil, master: "this box", masterPriority: 150, virtualAddresses: ["192.0.2.100"],
                  advertsReceived: 3, advertsSent: 1200, transitions: 2, becameMaster: 1,
                  rejections: ["auth": 2, "ttl": 1], faults: []),
            .init(name: "VI_LONGER_NAME", interface: "eth1", virtualRouterID: 52, state: "BACKUP", priority: 1, configuredPriority: 100,
                  priorityOverride: 1, master: "192.0.2.12", masterPriority: 90, virtualAddresses: ["192.0.2.101", "192.0.2.102"],
                  advertsReceived: 900, advertsSent: 0, transitions: 3, becameMaster: 1, rejections: [:], faults: []),
        ]
        r.syncGroups = [.init(name: "G1", state: "MASTER", members: ["VI_1", "VI_LONGER_NAME"])]
        r.virtualServers = [.init(name: "192.0.2.100:80", quorum: 1, hasQuorum: true, sorryServerIn: false, checksSuspended: false,
                                  realServers: [.init(address: "198.51.100.1:80", healthy: true, drained: true, weight: 0,
                                                      configuredWeight: 3, lastCheck: "up"),
                                                .init(address: "198.51.100.2:80", healthy: false, drained: false, weight: nil,
                                                      configuredWeight: 1, lastCheck: "down: connection refused")])]
        return r
    }

    @Test func statusJSONRoundTrips() throws {
        let r = Self.report()
        #expect(try StatusReport.decode(r.json()) == r)
        #expect(r.json().contains("\"configuration\" : \"/etc/vigil/vigil.conf\""))
    }

    @Test func statusTableIsAligned() {
        let lines = Self.report().table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "vigil 0.1.7+gabc1234 pid 42, /etc/vigil/vigil.conf, up 1h2m; last reload: never")
        let header = lines[2], first = lines[3], second = lines[4]
        #expect(header.hasPrefix("INSTANCE        IF    VRID  STATE   PRIO"))
        // Every column starts where its header does.
        for column in ["IF", "VRID", "STATE", "PRIO", "MASTER", "VIPS", "ADV IN"] {
            let at = header.range(of: column)!.lowerBound.utf16Offset(in: header)
            #expect(first[first.index(first.startIndex, offsetBy: at - 1)] == " ", "\(column)")
            #expect(second[second.index(second.startIndex, offsetBy: at - 1)] == " ", "\(column)")
        }
        #expect(first.contains("this box (150)"))
        #expect(first.hasSuffix("auth=2,ttl=1"))
        #expect(second.contains("1 (set 1)"))
        #expect(second.contains("192.0.2.12 (90)"))
        let table = Self.report().table
        #expect(table.contains("SYNC GROUP  STATE   MEMBERS\nG1          MASTER  VI_1,VI_LONGER_NAME\n"))
        #expect(table.contains("192.0.2.100:80 (quorum 1 held)"))
        #expect(table.contains("198.51.100.1:80  up (drained)"))
        #expect(table.contains("0/3"))
        #expect(table.contains("down: connection refused"))
    }

    @Test func statusTableShowsTheKernelsCountersWhenThereAreAny() {
        var r = Self.report()
        r.virtualServers[0].realServers[0].activeConnections = 3
        r.virtualServers[0].realServers[0].inactiveConnections = 7
        r.virtualServers[0].realServers[0].connections = 1200
        r.virtualServers[0].realServers[0].inBytes = 2_345_678
        r.virtualServers[0].realServers[0].outBytes = 512
        let table = r.table
        #expect(table.contains("ACT/INACT  CONNS  BYTES IN/OUT  LAST CHECK"))
        #expect(table.contains("3/7        1200   2.3M/512"))
        #expect(!Self.report().table.contains("ACT/INACT"), "no IPVS, no counter columns")
    }

    @Test func scriptUsersNeedCapabilitiesToSwitchTo() throws {
        var plan = DaemonPlan(instances: [], scripts: [], trackFiles: [], trackProcesses: [], syncGroups: [], fifos: [],
                              scriptUser: .root, refusedCommands: [:], notes: [])
        let network = Capability.netAdmin.bit | Capability.netRaw.bit
        // Scripts as root (the daemon's own user here): only the network pair is needed.
        #expect(plan.missingCapabilities(effective: network, miscUsers: []) == nil)
        plan.scriptUser = ScriptCredentials(user: "nobody", uid: 65534, gid: 65534, groups: [65534])
        let all = network | Capability.setuid.bit | Capability.setgid.bit | Capability.kill.bit
        #expect(plan.missingCapabilities(effective: all, miscUsers: []) == nil)
        let message = plan.missingCapabilities(effective: network | Capability.setuid.bit | Capability.setgid.bit, miscUsers: [])
        #expect(message?.contains("CAP_KILL") == true)
        #expect(message?.contains("CAP_SETUID") == false)
        #expect(message?.contains("nobody") == true)
        #expect(message?.contains("vigil-script-user.conf") == true)
    }

    @Test func everyDaemonNeedsTheNetworkCapabilities() throws {
        let plan = DaemonPlan(instances: [], scripts: [], trackFiles: [], trackProcesses: [], syncGroups: [], fifos: [],
                              scriptUser: .root, refusedCommands: [:], notes: [])
        let message = try #require(plan.missingCapabilities(effective: Capability.netAdmin.bit, miscUsers: []))
        #expect(message.hasPrefix("missing capabilities CAP_NET_RAW (needed for VRRP's raw sockets"))
        #expect(plan.missingCapabilities(effective: 0, miscUsers: [])?.contains("CAP_NET_RAW CAP_NET_ADMIN") == true)
        // nil: /proc/self/status unreadable — nothing to go by, the first socket will say.
        #expect(plan.missingCapabilities(effective: nil, miscUsers: []) == nil)
    }

    @Test func aMiscCheckUserNeedsTheScriptCapabilities() throws {
        let plan = DaemonPlan(instances: [], scripts: [], trackFiles: [], trackProcesses: [], syncGroups: [], fifos: [],
                              scriptUser: .root, refusedCommands: [:], notes: [])
        let network = Capability.netAdmin.bit | Capability.netRaw.bit
        let nobody = ScriptCredentials(user: "nobody", uid: 65534, gid: 65534, groups: [65534])
        let message = try #require(plan.missingCapabilities(effective: network, miscUsers: [nobody]))
        #expect(message.contains("CAP_SETUID CAP_SETGID CAP_KILL"))
    }
}
