import Testing
@testable import VigilConfig

/// global_defs' IPVS settings: lvs_sync_daemon in both of keepalived's forms, lvs_timeouts,
/// lvs_flush, lvs_flush_on_stop; bad values are errors at their word.
struct LVSGlobalsKeywordTests {
    static func globals(_ body: String) -> (GlobalDefs, [Diagnostic]) {
        let result = load("global_defs {\n\(body)\n}\n")
        // No instance here: the warning that the followed one is not defined is another test's.
        return (result.configuration.globalDefs, result.diagnostics.filter { $0.id != "no-such-instance" })
    }

    @Test func syncDaemonWithEveryOption() {
        let (g, diagnostics) = Self.globals("    lvs_sync_daemon eth0 inst VI_1 id 7 maxlen 1400 port 9000 ttl 3 group 239.1.2.3")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let d = g.lvsSyncDaemon
        #expect(d?.interface == "eth0" && d?.instance == "VI_1" && d?.syncID == 7 && d?.maxLength == 1400)
        #expect(d?.port == 9000 && d?.ttl == 3 && d?.group == IPAddress("239.1.2.3"))
        let dumped = Dumper.dump(load("global_defs {\n    lvs_sync_daemon eth0 inst VI_1 id 7 maxlen 1400 port 9000 ttl 3 group 239.1.2.3\n}\n").configuration)
        #expect(dumped.contains("lvs_sync_daemon eth0 inst VI_1 id 7 maxlen 1400 port 9000 ttl 3 group 239.1.2.3"))
    }

    @Test func keepalivedsOlderFormInterfaceInstanceSyncID() {
        let (g, diagnostics) = Self.globals("    lvs_sync_daemon eth0 VI_1 5")
        #expect(g.lvsSyncDaemon?.instance == "VI_1" && g.lvsSyncDaemon?.syncID == 5)
        #expect(diagnostics.map(\.id) == ["deprecated"] && diagnostics.first?.location.column == 31, "\(diagnostics)")
        let (bare, none) = Self.globals("    lvs_sync_daemon eth1")
        #expect(bare.lvsSyncDaemon?.interface == "eth1" && bare.lvsSyncDaemon?.instance == nil && bare.lvsSyncDaemon?.syncID == nil)
        #expect(none.isEmpty)
    }

    @Test func badSyncDaemonWordsAreLocatedErrors() {
        for (line, column, text) in [
            ("    lvs_sync_daemon eth0 VI_1 id 256", 34, "id '256'"),
            ("    lvs_sync_daemon eth0 group 198.51.100.1", 32, "not a multicast address"),
            ("    lvs_sync_daemon eth0 VI_1 ttl 0", 35, "ttl '0'"),
            ("    lvs_sync_daemon eth0 VI_1 maxlen 65508", 38, "maxlen '65508'"),
            ("    lvs_sync_daemon eth0 VI_1 7 speed", 33, "unknown lvs_sync_daemon option 'speed'"),
            ("    lvs_sync_daemon eth0 VI_1 port", 31, "'port' needs a value"),
            ("    lvs_sync_daemon a-very-long-interface", 21, "longer than 15 characters"),
        ] {
            let (_, diagnostics) = Self.globals(line)
            let errors = diagnostics.filter { $0.severity == .error }
            #expect(errors.count == 1 && errors[0].location.line == 2 && errors[0].location.column == column
                    && errors[0].message.contains(text), "\(line): \(diagnostics)")
        }
        let (_, twice) = Self.globals("    lvs_sync_daemon eth0 VI_1\n    lvs_sync_daemon eth1 VI_2")
        #expect(twice.filter { $0.severity == .error }.map { $0.location.line } == [3], "\(twice)")
    }

    @Test func timeoutsFlushAndFlushOnStop() {
        let (g, diagnostics) = Self.globals("""
                lvs_timeouts tcp 7200 tcpfin 120 udp 300
                lvs_flush
                lvs_flush_on_stop VS
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(g.lvsTimeouts?.tcp == 7200 && g.lvsTimeouts?.tcpFin == 120 && g.lvsTimeouts?.udp == 300)
        #expect(g.lvsFlush && g.lvsFlushOnStop == .virtualServers)
        #expect(Self.globals("    lvs_flush_onstop").0.lvsFlushOnStop == .full, "the older spelling, bare: everything")
        let dumped = Dumper.dump(load("global_defs {\n    lvs_timeouts udp 30\n    lvs_flush_on_stop\n}\n").configuration)
        #expect(dumped.contains("lvs_timeouts udp 30\n") && dumped.contains("lvs_flush_on_stop\n"))
    }

    @Test func badTimeoutsAndFlushWordsAreLocatedErrors() {
        for (line, column, text) in [
            ("    lvs_timeouts tcp 2678401", 22, "tcp '2678401'"),
            ("    lvs_timeouts udp 5 sctp", 24, "unknown lvs_timeouts option 'sctp'"),
            ("    lvs_timeouts tcp", 5, "needs at least one of"),
            ("    lvs_flush_on_stop ALL", 23, "expected nothing"),
        ] {
            let (_, diagnostics) = Self.globals(line)
            let errors = diagnostics.filter { $0.severity == .error }
            #expect(errors.count == 1 && errors[0].location.line == 2 && errors[0].location.column == column
                    && errors[0].message.contains(text), "\(line): \(diagnostics)")
        }
    }

    @Test func theFollowedInstanceMustExist() {
        let result = load("""
            global_defs {
                lvs_sync_daemon eth0 VI_2
            }
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 51
                priority 100
                virtual_ipaddress {
                    192.0.2.100/24
                }
            }
            """)
        let warning = result.diagnostics.first { $0.id == "no-such-instance" }
        #expect(warning?.location.line == 2 && warning?.message.contains("'VI_2'") == true, "\(result.diagnostics)")
    }
}
