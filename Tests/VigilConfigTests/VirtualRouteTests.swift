import Testing
@testable import VigilConfig

/// `virtual_routes` and `virtual_rules`: typed, every unsupported word an error at its
/// column, and dumped back so that it reads the same. The instance body starts at line 7 (`virtual_routes {` there).
@Suite struct VirtualRouteTests {
    @Test func routesAreReadWordByWord() throws {
        let result = load(instance("""
            virtual_routes {
                198.51.100.0/24 via 192.0.2.1 dev eth0
                src 192.0.2.100 to 198.18.0.0/15 gw 192.0.2.1 table 100 metric 7 proto static onlink
                blackhole 203.0.113.0/24
                unreachable 2001:db8::/32
                default via 192.0.2.1 table main
            }
            """))
        #expect(result.errors.isEmpty)
        #expect(result.has("route-protocol", line: 9, .warning), "keepalived resets the protocol of a tracked route to 18")
        let routes = try #require(result.configuration.vrrpInstances.first?.virtualRoutes)
        #expect(routes.count == 5)
        #expect(routes[0].destination.description == "198.51.100.0/24" && routes[0].gateway?.description == "192.0.2.1"
                && routes[0].device == "eth0" && routes[0].kind == .unicast)
        #expect(routes[1].source?.description == "192.0.2.100" && routes[1].table == 100 && routes[1].metric == 7
                && routes[1].protocolNumber == nil && routes[1].onlink)
        #expect(routes[2].kind == .blackhole && routes[3].kind == .unreachable)
        #expect(routes[4].destination.description == "0.0.0.0/0" && routes[4].table == 254)
    }

    @Test func unsupportedWordsAndMissingPartsAreLocatedErrors() {
        let result = load(instance("""
            virtual_routes {
                198.51.100.0/24 via 192.0.2.1 nexthop via 192.0.2.2
                198.51.100.0/24
                198.51.100.0/24 dev eth0 table mine
            }
            virtual_rules {
                from 192.0.2.100 table 100 realms 5
                from 192.0.2.100
                from 192.0.2.100 to 2001:db8::1 table 1
            }
            """))
        #expect(result.has("unsupported", line: 8, .error))
        #expect(result.diagnostics.first { $0.location.line == 8 }?.location.column == 35)
        #expect(result.has("missing-argument", line: 9, .error), "a unicast route needs via or dev")
        #expect(result.has("bad-value", line: 10, .error))
        #expect(result.has("unsupported", line: 13, .error))
        #expect(result.has("missing-argument", line: 14, .error), "a rule needs a table")
        #expect(result.has("bad-value", line: 15, .error), "families differ")
    }

    @Test func rulesAreReadAndTheDumpReadsTheSame() throws {
        let text = instance("""
            virtual_routes {
                src 192.0.2.100 to 198.18.0.0/15 via 192.0.2.1 table 100 metric 7
                prohibit 203.0.113.0/24
            }
            virtual_rules {
                from 192.0.2.100 table 100 priority 1000
                to 198.51.100.0/24 iif eth0 fwmark 0x10/0xff lookup local
                from all oif eth1 table 7
            }
            """)
        let result = load(text)
        #expect(result.errors.isEmpty)
        let rules = try #require(result.configuration.vrrpInstances.first?.virtualRules)
        #expect(rules.count == 3)
        #expect(rules[0].from?.description == "192.0.2.100" && rules[0].table == 100 && rules[0].priority == 1000)
        #expect(rules[1].firewallMark == 16 && rules[1].firewallMask == 255 && rules[1].table == 255 && rules[1].inputInterface == "eth0")
        #expect(rules[2].from == nil && rules[2].outputInterface == "eth1")
        let dumped = Dumper.dump(result.configuration)
        let again = load(dumped)
        #expect(again.errors.isEmpty)
        #expect(again.configuration.vrrpInstances.first?.virtualRoutes == result.configuration.vrrpInstances.first?.virtualRoutes)
        #expect(again.configuration.vrrpInstances.first?.virtualRules == result.configuration.vrrpInstances.first?.virtualRules)
    }
}

/// `vrrp_track_process` blocks and references.
@Suite struct TrackProcessConfigTests {
    @Test func aTrackProcessIsReadAndDumpedBack() throws {
        let text = """
            vrrp_track_process nginx {
                process /usr/sbin/nginx -c "/etc/nginx/a b.conf"
                param_match partial
                weight -20 reverse
                quorum 2
                quorum_max 4
                delay 0.5
                full_command
            }
            """ + "\n" + instance("track_process {\n    nginx weight 0\n}")
        let result = load(text)
        #expect(result.errors.isEmpty && result.warnings.isEmpty)
        let p = try #require(result.configuration.trackProcesses.first)
        #expect(p.process == ["/usr/sbin/nginx", "-c", "/etc/nginx/a b.conf"])
        #expect(p.parameterMatch == .partial && p.weight == -20 && p.weightReverse)
        #expect(p.quorum == 2 && p.quorumMax == 4 && p.forkDelay == 500_000 && p.terminateDelay == 500_000 && p.fullCommand)
        #expect(result.configuration.vrrpInstances[0].trackProcesses.map(\.name) == ["nginx"])
        let again = load(Dumper.dump(result.configuration))
        #expect(again.configuration.trackProcesses == result.configuration.trackProcesses)
    }

    @Test func anUndefinedOneIsAnErrorAndAQuorumOutOfOrderToo() {
        let bad = load("vrrp_track_process p {\n    process x\n    quorum 3\n    quorum_max 1\n}\n" + instance("track_process {\n    nope\n}"))
        #expect(bad.has("bad-value", line: 1, .error))
        #expect(bad.diagnostics.contains { $0.id == "undefined-track-process" })
    }
}

/// keepalived drops tracking weights in sync group members; `vigil check` says so.
@Suite struct SyncGroupWeightTests {
    static let group = "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n}\n"  // 5 lines

    @Test func aWeightedScriptInAGroupMemberIsReported() {
        let text = "vrrp_script chk {\n    script /bin/true\n    weight -20\n}\n" + Self.group
            + instance("track_script {\n    chk\n}")
        let result = load(text)
        // The instance starts at line 10; track_script's reference is on line 17.
        #expect(result.has("sync-group-weight", line: 17, .warning))
        #expect(result.warnings.first { $0.id == "sync-group-weight" }?.message.contains("it is not tracked at all") == true)
        let kept = load(text.replacingOccurrences(of: "group {\n", with: "sync_group_tracking_weight\n    group {\n"))
        #expect(!kept.diagnostics.contains { $0.id == "sync-group-weight" })
        #expect(!kept.diagnostics.contains { $0.message.contains("not supported") })
    }

    @Test func aWeightedInterfaceBecomesAFault() {
        let result = load(Self.group + instance("track_interface {\n    eth1 weight 10\n}"))
        #expect(result.warnings.first { $0.id == "sync-group-weight" }?.message.contains("counts as weight 0") == true)
    }
}
