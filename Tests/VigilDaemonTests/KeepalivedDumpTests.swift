import Testing
import VRRP
import VigilTypes
@testable import VigilLinux
@testable import VigilDaemon

/// keepalived's dump formats (2.2.7), line for line: what keepalived exporters and
/// monitoring scripts parse must read the same from Vigil.
@Suite struct KeepalivedDumpTests {
    static func instance(state: VRRPState = .master) -> KeepalivedDump.Instance {
        var stats = KeepalivedDump.Stats()
        stats.advertReceived = 3
        stats.advertSent = 42
        stats.becameMaster = 1
        stats.priorityZeroSent = 1
        return KeepalivedDump.Instance(
            name: "VI_1", version: 2, syncGroup: nil, ipv6: false, state: state, masterRouter: state == .backup ? "192.0.2.12" : nil,
            masterPriority: state == .backup ? 150 : nil, masterAdvertInterval: 1_000_000, unicast: false, faults: 0, scriptsInit: 0,
            lastTransition: 1_673_674_892_348_360, readTimeout: 1_673_674_893_000_001, masterDownTimer: 3_609_375,
            interface: "eth0", vmac: nil, skipCheckAdvertAddresses: false, strict: false, sourceAddress: "192.0.2.11",
            multicastGroup: "224.0.0.18", interfaceIndex: 7, garp: GratuitousARPPolicy(), virtualRouterID: 51, basePriority: 100,
            effectivePriority: 100, totalPriority: 100, advertInterval: 1_000_000, accept: true, preempt: true, preemptDelay: 0,
            password: "secret", virtualAddresses: ["192.0.2.100/24 dev eth0 scope global"], excludedAddresses: [],
            addressesSet: state == .master, unicastPeers: [], checkUnicastSource: false, socket: 9,
            trackedInterfaces: [], trackedScripts: [.init(name: "chk_web", weight: 20, reverse: false)],
            trackedScriptCommands: ["/usr/local/bin/chk web"], notify: [("Master", "/usr/local/bin/up", 0, 0)], stats: stats)
    }

    static func dump(_ instances: [KeepalivedDump.Instance] = [instance()], scripts: [KeepalivedDump.Script] = []) -> KeepalivedDump {
        KeepalivedDump(routerID: "lb1", dynamicInterfaces: false, defaultVersion: 2, strict: false, scriptSecurity: false,
                       garp: GratuitousARPPolicy(), instances: instances, scripts: scripts)
    }

    /// global_data.c's SMTP lines, in its order, and each instance's "Using smtp
    /// notification" and JSON smtp_alert as the alerts are configured.
    @Test func theSMTPSettingsAreKeepalivedsLines() {
        var d = Self.dump([{ var i = Self.instance(); i.smtpAlert = true; return i }()])
        d.smtp = KeepalivedDump.SMTP(server: ("192.0.2.25", 2525), heloName: "lb1.example.test", connectTimeout: 30,
                                     from: "root@lb1", to: ["ops@example.test", "oncall@example.test"],
                                     alert: false, alertVRRP: true, alertChecker: nil)
        let data = d.data(localTime: { _ in "" })
        #expect(data.contains("""
             Router ID = lb1
             Smtp server = 192.0.2.25
             Smtp server port = 2525
             Smtp HELO name = lb1.example.test
             Smtp server connection timeout = 30
             Email notification from = root@lb1
             Email notification to:
               ops@example.test
               oncall@example.test
             Default smtp_alert = off
             Default smtp_alert_vrrp = on
             Default smtp_alert_checker = unset

            """), "\(data)")
        #expect(data.contains("   Using smtp notification = yes\n"))
        #expect(d.json()?.contains("\"smtp_alert\":true") == true)
        let plain = Self.dump().data(localTime: { _ in "" })
        #expect(plain.contains(" Router ID = lb1\n Default smtp_alert = unset\n"), "no server: no SMTP lines")
        #expect(plain.contains("   Using smtp notification = no\n"))
    }

    @Test func theStatsFileIsKeepalivedsBlockPerInstance() {
        let text = Self.dump([Self.instance(), { var i = Self.instance(); i.name = "VI_2"; return i }()]).stats()
        let first = """
        VRRP Instance: VI_1
          Advertisements:
            Received: 3
            Sent: 42
          Became master: 1
          Released master: 0
          Packet Errors:
            Length: 0
            TTL: 0
            Invalid Type: 0
            Advertisement Interval: 0
            Address List: 0
          Authentication Errors:
            Invalid Type: 0
            Type Mismatch: 0
            Failure: 0
          Priority Zero:
            Received: 0
            Sent: 1

        """
        #expect(text.hasPrefix(first), "\(text)")
        #expect(text.dropFirst(first.count).hasPrefix("VRRP Instance: VI_2\n"), "no blank line between blocks")
        #expect(text.split(separator: "\n").count == 38)
        #expect(Self.dump([]).stats() == "", "empty, as keepalived's with no instance")
    }

    @Test func rejectionsCountUnderKeepalivedsKinds() {
        var s = KeepalivedDump.Stats()
        s.record(.ttl(64))
        s.record(.tooShort(length: 4))
        s.record(.countMismatch(count: 2, length: 20, expected: 24))
        s.record(.advertIntervalMismatch(received: 2_000_000, expected: 1_000_000))
        s.record(.authType(received: 7, expected: nil))
        s.record(.authType(received: 0, expected: 1))
        s.record(.authPassword)
        s.record(.checksum)
        #expect(s.ttl == 1 && s.length == 2 && s.advertInterval == 1)
        #expect(s.authInvalidType == 1 && s.authTypeMismatch == 1 && s.authFailure == 1)
        #expect(s.invalidType == 0 && s.addressList == 0)
    }

    /// The lines exporters read: the instance header (1 space), its fields (3 spaces) and
    /// the VIPs (5 spaces, `ADDR dev IF …`), in keepalived's order.
    @Test func theDataFileHasKeepalivedsTopologyBlock() {
        let lines = Self.dump().data(localTime: { _ in "Sat Jan 14 06:41:32.348360 2023" }).split(separator: "\n").map(String.init)
        #expect(lines.first == "------< Global definitions >------")
        let start = try! #require(lines.firstIndex(of: "------< VRRP Topology >------"))
        let block = Array(lines[(start + 1)...])
        #expect(Array(block.prefix(12)) == [
            " VRRP Instance = VI_1", "   VRRP Version = 2", "   State = MASTER", "   Flags: none", "   Wantstate = MASTER",
            "   Number of config faults = 0", "   Number of interface and track script faults = 0",
            "   Number of track scripts init = 0",
            "   Last transition = 1673674892.348360 (Sat Jan 14 06:41:32.348360 2023)",
            "   Read timeout = 1673674893.000001 (Sat Jan 14 06:41:32.348360 2023)",
            "   Master down timer = 3609375 usecs", "   Interface = eth0"])
        for expected in ["   Gratuitous ARP delay = 5", "   Virtual Router ID = 51", "   Priority = 100", "   Effective priority = 100",
                         "   Advert interval = 1 sec", "   Authentication type = SIMPLE_PASSWORD", "   Password = secret",
                         "   Virtual IP (1):", "     192.0.2.100/24 dev eth0 scope global set", "   Tracked scripts :",
                         "     chk_web weight 20", "   Master state transition script = '/usr/local/bin/up', uid:gid 0:0",
                         "   fd_in 9, fd_out 9"] {
            #expect(block.contains(expected), "missing \(expected)")
        }
        let order = ["   Virtual Router ID = 51", "   Priority = 100", "   Advert interval = 1 sec", "   Virtual IP (1):",
                     "   Tracked scripts :", "   Notify priority changes = false"].map { block.firstIndex(of: $0) ?? -1 }
        #expect(order == order.sorted() && !order.contains(-1), "keepalived's order")
    }

    @Test func aBackupNamesItsMasterAndItsVIPsAreNotSet() {
        let lines = Self.dump([Self.instance(state: .backup)]).data(localTime: { _ in "-" }).split(separator: "\n").map(String.init)
        #expect(lines.contains("   State = BACKUP") && lines.contains("   Wantstate = BACKUP"))
        #expect(lines.contains("   Master router = 192.0.2.12") && lines.contains("   Master priority = 150"))
        #expect(lines.contains("     192.0.2.100/24 dev eth0 scope global"))
    }

    @Test func theJSONIsOneCompactLineInKeepalivedsKeyOrder() throws {
        let json = try #require(Self.dump().json())
        #expect(json.hasSuffix("]\n") && json.hasPrefix("[{\"data\":{\"iname\":\"VI_1\",\"dont_track_primary\":0,"))
        #expect(!json.dropLast().contains("\n") && !json.contains(" :") && !json.contains(": "))
        #expect(json.contains("\"vrid\":51,\"base_priority\":100,\"effective_priority\":100,\"vipset\":true,"))
        #expect(json.contains("\"state\":2,\"wantstate\":2,\"version\":2,"))
        #expect(json.contains("\"vips\":[\"192.0.2.100\\/24 dev eth0 scope global set\"]"), "a / is written \\/")
        #expect(json.contains("\"track_script\":[\"'\\/usr\\/local\\/bin\\/chk' 'web'\"]"))
        #expect(json.contains("\"last_transition\":1673674892.348360,\"garp_delay\":5,"))
        #expect(json.contains("\"auth_type\":1,\"auth_data\":\"secret\"},\"stats\":{\"advert_rcvd\":3,\"advert_sent\":42,"))
        #expect(json.contains("\"pri_zero_rcvd\":0,\"pri_zero_sent\":1}}]"))
        #expect(Self.dump([]).json() == nil, "keepalived writes no JSON file without instances")
    }

    @Test func timesAndCommandsAsKeepalivedWritesThem() {
        // C's %g for these values is VigilTypes' formatSeconds.
        #expect(formatSeconds(1_000_000) == "1" && formatSeconds(500_000) == "0.5" && formatSeconds(10_000) == "0.01")
        #expect(KeepalivedDump.fixed(1_000_000, places: 2) == "1.00" && KeepalivedDump.fixed(250_000, places: 2) == "0.25")
        #expect(KeepalivedDump.epoch(1_000_000_000_000_007) == "1000000000.000007")
        #expect(KeepalivedDump.commandLine("/bin/check  -x 1") == "'/bin/check' '-x' '1'")
        #expect(WallClock.localDescription(0).count == "Thu Jan  1 00:00:00.000000 1970".count)
    }

    @Test func keepalivedsSignalNamesAndNumbers() {
        #expect(DaemonSignal.number(named: "DATA") == 10 && DaemonSignal.number(named: "STATS") == 12)
        #expect(DaemonSignal.number(named: "JSON") == 36 && DaemonSignal.number(named: "STATS_CLEAR") == 63)
        #expect(DaemonSignal.number(named: "RELOAD") == 1 && DaemonSignal.number(named: "STOP") == 15)
        #expect(DaemonSignal.number(named: "TDUMP") == nil)
        #expect(DaemonSignal(number: 36) == .json && DaemonSignal(number: 63) == .statsClear && DaemonSignal(number: 10) == .data)
        #expect(DaemonSignal(number: 14) == nil, "SIGALRM: ignored, not answered")
    }
}
