import Foundation
import Testing
@testable import VigilConfig

/// Configurations that once trapped or hung `vigil check` or `vigil run`: each is a located
/// error now, never a crash.
@Suite struct HostileConfigTests {
    @Test func aSequenceEndingAtInt64sLimitDoesNotOverflow() {
        // The value after the last one would be Int.max + 1.
        let r = load("~SEQ(i, 9223372036854775806, 1, 9223372036854775807) router_id r$i\n")
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        let down = load("~SEQ(i, -9223372036854775807, -1, -9223372036854775808) router_id r$i\n")
        #expect(down.errors.isEmpty, "\(down.diagnostics)")
    }

    @Test func aSequenceSpanningAllOfInt64IsTooLongNotATrap() {
        // end − start overflows Int64.
        let r = load("~SEQ(i, -9223372036854775808, 1, 9223372036854775807) router_id r$i\n")
        #expect(r.errors.contains { $0.id == "seq-values" && $0.location.line == 1 }, "\(r.diagnostics)")
        let wide = load("~SEQ(i, -9223372036854775808, 4611686018427387904, 9223372036854775807) router_id r$i\n")
        #expect(wide.errors.isEmpty || wide.errors.allSatisfy { $0.id == "seq-values" }, "\(wide.diagnostics)")
    }

    @Test func quorumMaxBelowTheDefaultQuorumIsAnError() {
        // quorum defaults to 1: quorum_max 0 alone is the empty range 1...0.
        let r = load("vrrp_track_process p {\n    process nginx\n    quorum_max 0\n}\n")
        #expect(r.errors.contains { $0.id == "bad-value" && $0.message.contains("quorum_max 0 is below quorum 1") }, "\(r.diagnostics)")
    }

    @Test func blocksNestedTooDeeplyAreOneErrorNotAStackOverflow() {
        let depth = 100_000
        let text = "global_defs " + String(repeating: "{ a ", count: depth) + String(repeating: "} ", count: depth) + "\n"
        let r = load(text)
        #expect(r.errors.filter { $0.id == "nesting-too-deep" }.count == 1, "\(r.errors.prefix(3))")
        // What follows the deep block is still read.
        let after = load("global_defs { " + String(repeating: "{ ", count: 200) + String(repeating: "} ", count: 200)
                         + "}\nglobal_defs {\n    router_id after\n}\n")
        #expect(after.configuration.globalDefs.routerID == "after")
    }

    @Test func anIncludeOfAFIFOOrADeviceIsRefusedNotReadForever() throws {
        let dir = NSTemporaryDirectory() + "vigil-hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/fifo.conf"
        #expect(mkfifo(fifo, 0o600) == 0)
        let main = dir + "/main.conf"
        try "include \(fifo)\ninclude /dev/zero\nglobal_defs {\n    router_id r\n}\n".write(toFile: main, atomically: true, encoding: .utf8)
        let r = try ConfigurationLoader.load(path: main)
        let refused = r.diagnostics.filter { $0.message.contains("not a regular file") }
        #expect(refused.count == 2, "\(r.diagnostics)")
        #expect(refused.allSatisfy { $0.location.line == 1 || $0.location.line == 2 })
        #expect(r.configuration.globalDefs.routerID == "r")
    }
}

/// `unicast_peer` bounds and `check_unicast_src`: read, dumped back, errors located.
@Suite struct UnicastPeerTests {
    @Test func peerTTLBoundsAndSourceCheckAreRead() {
        let r = load(instance("""
                check_unicast_src
                unicast_src_ip 192.0.2.11
                unicast_peer {
                    192.0.2.12 min_ttl 250 max_ttl 255
                    192.0.2.13
                }
            """))
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        let v = r.configuration.vrrpInstances[0]
        #expect(v.checkUnicastSource)
        #expect(v.unicastPeers == [IPAddress("192.0.2.12")!, IPAddress("192.0.2.13")!])
        #expect(v.unicastPeerTTL == [IPAddress("192.0.2.12")!: TTLBounds(minimum: 250, maximum: 255)])
        let dumped = Dumper.dump(r.configuration)
        #expect(dumped.contains("192.0.2.12 min_ttl 250 max_ttl 255"))
        #expect(dumped.contains("check_unicast_src"))
    }

    @Test func badBoundsAreLocatedErrors() {
        let r = load(instance("""
                unicast_peer {
                    192.0.2.12 min_ttl 255 max_ttl 1
                    192.0.2.13 max_ttl 300
                    192.0.2.14 hops 3
                }
            """))
        #expect(r.errors.count == 3, "\(r.diagnostics)")
        #expect(r.errors.map(\.location.line) == [8, 9, 10])
    }
}

/// Nothing parsed is silently ignored: a keyword read into the model but not acted on is
/// reported as "not supported", as every other such keyword is.
@Suite struct ReadButUnusedTests {
    /// lvs_notify_fifo is read now, and so not reported; a keyword still not acted on is.
    @Test func lvsNotifyFIFOIsReadAndAnUnsupportedOneReported() {
        let r = load("global_defs {\n    lvs_notify_fifo /run/lvs.fifo\n    lvs_notify_fifo_script /bin/true\n    enable_traps\n}\n")
        #expect(r.configuration.globalDefs.lvsNotifyFIFO == "/run/lvs.fifo" && r.configuration.globalDefs.lvsNotifyFIFOScript == "/bin/true")
        let lines = r.warnings.filter { $0.message.contains("recognised, not supported") }.map(\.location.line)
        #expect(lines == [4], "\(r.diagnostics)")
    }

    /// The lines reported as recognised but not supported.
    static func unsupportedLines(_ r: ConfigurationLoader.Result) -> [Int] {
        r.warnings.filter { $0.id == "unsupported" }.map(\.location.line)
    }

    @Test func staticIPAddressIsReportedNotSilentlyKept() {
        let r = load("static_ipaddress {\n    192.0.2.200/24 dev eth0\n}\n")
        #expect(Self.unsupportedLines(r) == [1], "\(r.diagnostics)")
    }

    @Test func advertAddressesOtherThanKeepalivedsDefaultsAreReported() {
        let r = load("global_defs {\n    vrrp_mcast_group4 224.0.0.19\n    vrrp_mcast_group6 ff02::13\n}\n"
                     + instance("    mcast_src_ip 192.0.2.13"))
        #expect(Self.unsupportedLines(r) == [2, 3, 11], "\(r.diagnostics)")
        // The RFCs' groups are the ones Vigil uses: nothing to report.
        let standard = load("global_defs {\n    vrrp_mcast_group4 224.0.0.18\n    vrrp_mcast_group6 ff02::12\n}\n")
        #expect(standard.diagnostics.isEmpty, "\(standard.diagnostics)")
    }

    @Test func lowerPriorityGratuitousARPsAreReported() {
        let r = load("global_defs {\n    vrrp_garp_lower_prio_delay 10\n    vrrp_garp_lower_prio_repeat 3\n}\n"
                     + instance("    garp_lower_prio_delay 10\n    garp_lower_prio_repeat 3"))
        #expect(Self.unsupportedLines(r) == [2, 3, 11, 12], "\(r.diagnostics)")
    }

    @Test func sorryServerInhibitIsReported() {
        let r = load("virtual_server 192.0.2.1 80 {\n    protocol TCP\n    sorry_server 198.51.100.9 80\n    sorry_server_inhibit\n}\n")
        #expect(Self.unsupportedLines(r) == [4], "\(r.diagnostics)")
    }

    /// A checker's own `alpha` (its real server's and virtual server's are read).
    @Test func aCheckersOwnAlphaIsReported() {
        let r = load("virtual_server 192.0.2.1 80 {\n    protocol TCP\n    real_server 198.51.100.1 80 {\n        alpha\n"
                     + "        TCP_CHECK {\n            alpha\n        }\n        HTTP_GET {\n            alpha\n        }\n"
                     + "        MISC_CHECK {\n            misc_path /bin/true\n            alpha\n        }\n    }\n}\n")
        #expect(Self.unsupportedLines(r) == [6, 9, 13], "\(r.diagnostics)")
        #expect(r.configuration.virtualServers[0].realServers[0].checkerDefaults.alpha == true)
    }

    @Test func notifyMasterRXLowerPriorityIsReported() {
        let r = load(instance("    notify_master_rx_lower_pri /bin/true"))
        #expect(Self.unsupportedLines(r) == [7], "\(r.diagnostics)")
    }
}
