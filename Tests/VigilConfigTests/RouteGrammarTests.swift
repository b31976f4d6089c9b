import Testing
@testable import VigilConfig

/// keepalived 2.2.7's grammar for route and rule lines (vrrp_iproute.c, vrrp_iprule.c):
/// where the type may stand, how `default` takes its family, one family per line,
/// `protocol` only with `no_track`, rule actions, and the priorities it hands out.
/// `instance(…)` puts the body at line 7, so a block's first line is line 8.
@Suite struct RouteGrammarTests {
    private func routes(_ lines: String) -> (ConfigurationLoader.Result, [VirtualRoute]) {
        let result = load(instance("virtual_routes {\n" + lines + "\n}"))
        return (result, result.configuration.vrrpInstances.first?.virtualRoutes ?? [])
    }

    private func rules(_ lines: String) -> (ConfigurationLoader.Result, [VirtualRule]) {
        let result = load(instance("virtual_rules {\n" + lines + "\n}"))
        return (result, result.configuration.vrrpInstances.first?.virtualRules ?? [])
    }

    @Test func theTypeStandsBeforeTheDestinationWhereverThatIs() {
        let (result, r) = routes("""
            src 192.0.2.100 blackhole 203.0.113.0/24
            throw 198.51.100.0/24 table 100
            unicast 198.18.0.0/15 dev eth0
            """)
        #expect(result.errors.isEmpty)
        #expect(result.has("route-not-tracked", line: 8, .warning) && result.has("route-not-tracked", line: 9, .warning),
                "keepalived does not track a route without dev, and says so")
        #expect(!result.has("route-not-tracked", line: 10))
        #expect(r.map(\.kind) == [.blackhole, .throw, .unicast])
        #expect(r[0].source?.description == "192.0.2.100" && r[0].destination.description == "203.0.113.0/24")
    }

    @Test func defaultTakesItsFamilyFromTheRestOfTheLine() {
        let (result, r) = routes("""
            default via 192.0.2.1
            default via 2001:db8::1 dev eth0
            any dev eth0 inet6
            all dev eth0
            """)
        #expect(result.errors.isEmpty)
        #expect(r.map(\.destination.description) == ["0.0.0.0/0", "::/0", "::/0", "0.0.0.0/0"])
    }

    @Test func oneFamilyPerLine() {
        let (result, r) = routes("""
            198.51.100.0/24 via 2001:db8::1
            198.51.100.0/24 dev eth0 inet6
            src 2001:db8::5 to 198.51.100.0/24 dev eth0
            198.51.100.0/24 from 192.0.2.0/24 dev eth0
            2001:db8:1::/48 from 2001:db8:2::/48 dev eth0
            """)
        #expect(r.count == 1 && r[0].sourcePrefix?.description == "2001:db8:2::/48")
        #expect(result.has("bad-value", line: 8, .error))
        #expect(result.diagnostics.first { $0.location.line == 8 }?.location.column == 21, "at the gateway")
        #expect(result.has("bad-value", line: 9, .error))
        #expect(result.has("bad-value", line: 10, .error))
        #expect(result.has("bad-value", line: 11, .error), "'from' is for IPv6 routes")
    }

    @Test func protocolHoldsOnlyWithNoTrack() {
        let (result, r) = routes("""
            198.51.100.0/24 dev eth0 protocol bird no_track
            198.18.0.0/15 dev eth0 protocol static
            203.0.113.0/24 dev eth0 protocol keepalived
            """)
        #expect(result.errors.isEmpty)
        #expect(r.map(\.protocolNumber) == [12, nil, 18])
        #expect(r[0].noTrack && !r[1].noTrack)
        #expect(result.has("route-protocol", line: 9, .warning))
        #expect(!result.has("route-protocol", line: 8) && !result.has("route-protocol", line: 10))
    }

    @Test func placementTosGwAndNumbersAsStrtoul() {
        let (result, r) = routes("""
            198.51.100.0/24 gw 192.0.2.1 tos 0x10 metric 010 append
            198.18.0.0/15 via inet 192.0.2.1 add
            """)
        #expect(result.errors.isEmpty)
        #expect(result.has("deprecated", line: 8, .warning), "keepalived says 'gw' is deprecated")
        #expect(r[0].typeOfService == 16 && r[0].metric == 8 && r[0].placement == .append)
        #expect(r[1].gateway?.description == "192.0.2.1" && r[1].placement == .add)
    }

    @Test func whatVigilDoesNotInstallIsAnErrorAtItsWord() {
        let (result, r) = routes("""
            198.51.100.0/24 dev eth0 mtu 1400
            local 198.51.100.1 dev eth0
            198.51.100.0/24 via 192.0.2.1 or 192.0.2.2
            198.51.100.0/24 dev eth0 table mine
            198.51.100.0/33 dev eth0
            """)
        #expect(r.isEmpty)
        #expect(result.has("unsupported", line: 8, .error))
        #expect(result.diagnostics.first { $0.location.line == 8 }?.location.column == 26)
        #expect(result.has("unsupported", line: 9, .error))
        #expect(result.has("unsupported", line: 10, .error))
        #expect(result.has("bad-value", line: 11, .error))
        #expect(result.has("bad-address", line: 12, .error))
    }

    @Test func ruleActionsSelectorsAndInversion() throws {
        let (result, r) = rules("""
            not from 192.0.2.0/24 table 100 priority 10
            fwmark 0x10/0xff goto 200 priority 100
            to 198.51.100.0/24 type prohibit priority 20
            iif eth0 l3mdev priority 1000
            oif eth0 tos 4 nop priority 30 inet6
            from 2001:db8::/32 unreachable order 40 protocol 99 no_track
            """)
        #expect(result.errors.isEmpty)
        #expect(r.count == 6)
        #expect(r[0].invert && r[0].table == 100 && r[0].priority == 10)
        #expect(r[1].action == .goto(200) && r[1].firewallMark == 16 && r[1].firewallMask == 255)
        #expect(r[2].action == .prohibit && r[3].action == .l3mdev && r[3].inputInterface == "eth0")
        #expect(r[4].ipv6 && r[4].action == .nop && r[4].typeOfService == 4)
        #expect(r[5].ipv6 && r[5].action == .unreachable && r[5].protocolNumber == 99)
        #expect(!r[0].ipv6, "IPv4 when nothing says, as keepalived")
    }

    @Test func ruleMistakes() {
        let (result, r) = rules("""
            from 192.0.2.0/24 table 1 nop priority 1
            goto 5 priority 10
            goto 5
            from 192.0.2.0/24 priority 2
            from 192.0.2.0/24 table 1 realms 3 priority 3
            from 192.0.2.0/24 to 2001:db8::/32 table 1
            fwmark 1/x table 1 priority 4
            from 192.0.2.0/24 table 1 priority 5 protocol 4
            """)
        #expect(r.count == 1 && r[0].protocolNumber == nil, "only the last one is kept, its protocol reset")
        #expect(result.has("bad-value", line: 8, .error), "two actions")
        #expect(result.has("bad-value", line: 9, .error), "goto backwards")
        #expect(result.has("bad-value", line: 10, .error), "goto without a priority")
        #expect(result.has("missing-argument", line: 11, .error), "no action")
        #expect(result.has("unsupported", line: 12, .error))
        #expect(result.has("bad-value", line: 13, .error), "mixed families")
        #expect(result.has("bad-value", line: 14, .error))
        #expect(result.has("route-protocol", line: 15, .warning))
    }

    @Test func rulesWithoutPriorityAreNumberedDownFrom16384PerFamilyAcrossBlocks() {
        let text = """
            static_rules {
                from 192.0.2.0/24 table 100
                fwmark 1 table 100 inet6
            }
            """ + "\n" + instance("""
            virtual_rules {
                to 198.51.100.0/24 table 100
                to 2001:db8::/32 table 100
                to 203.0.113.0/24 table 100 priority 7
            }
            """)
        let result = load(text)
        #expect(result.errors.isEmpty)
        #expect(result.configuration.staticRules.map(\.priority) == [16384, 16384])
        #expect(result.configuration.vrrpInstances[0].virtualRules.map(\.priority) == [16383, 16383, 7])
        #expect(result.warnings.filter { $0.id == "rule-priority" }.count == 4)
    }

    @Test func staticBlocksAreReadAndEverythingDumpsBackTheSame() throws {
        let text = """
            static_routes {
                198.51.100.0/24 via 192.0.2.1 dev eth0 table 100 metric 5 append
                throw 203.0.113.0/24 table 100
                default via 2001:db8::1 dev eth0 protocol bird no_track
            }
            static_rules {
                not from 192.0.2.0/24 fwmark 5/0xf tos 8 priority 100 goto 200
                iif eth0 priority 101 l3mdev inet6
            }
            """ + "\n" + instance("""
            virtual_routes {
                src 192.0.2.100 blackhole 198.18.0.0/15 tos 4
                2001:db8:1::/48 from 2001:db8:2::/48 dev eth0 scope link onlink add
            }
            virtual_rules {
                from all to 198.51.100.0/24 oif eth0 table local priority 5 no_track protocol 7
            }
            """)
        let result = load(text)
        #expect(result.errors.isEmpty)
        #expect(!result.configuration.unsupported.contains { $0.name.hasPrefix("static_") })
        #expect(result.configuration.staticRoutes.count == 3 && result.configuration.staticRules.count == 2)
        let dumped = Dumper.dump(result.configuration)
        let again = load(dumped)
        #expect(again.errors.isEmpty && again.warnings.map(\.id) == result.warnings.map(\.id), "\(again.diagnostics)")
        #expect(again.configuration == result.configuration, "\(dumped)")
    }

    /// What keepalived 2.2.7 does with these words (seen with `keepalived -t`): it steps
    /// over the word after `inet`/`inet6`, and reads no type after `to`; each such line is
    /// dropped or changed there, so each is an error here.
    @Test func keepalivedsQuirksAreErrorsAtTheirWord() {
        let (result, r) = routes("""
            inet6 default via 2001:db8::1 dev eth0
            to blackhole 203.0.113.0/24
            default via 2001:db8::1 dev eth0 inet6
            """)
        #expect(r.count == 1 && r[0].destination.description == "::/0")
        #expect(result.has("bad-value", line: 8, .error) && result.diagnostics.first { $0.location.line == 8 }?.location.column == 1)
        #expect(result.has("bad-value", line: 9, .error) && result.diagnostics.first { $0.location.line == 9 }?.location.column == 4)
        let (ruleResult, rs) = rules("inet6 not from 2001:db8::/32 table 5 priority 1\nnot from 2001:db8::/32 table 5 priority 2 inet6")
        #expect(rs.count == 1 && rs[0].invert && rs[0].ipv6)
        #expect(ruleResult.has("bad-value", line: 8, .error))
    }

    @Test func aMissingDeviceIsAWarningAndWithHostAnError() {
        let host = StaticHostFacts(["eth0": [IPAddress("192.0.2.11")!]])
        let text = instance("virtual_routes {\n198.51.100.0/24 dev eth9\n}\nvirtual_rules {\niif eth8 table 5 priority 1\n}")
        #expect(load(text, host: host).has("no-such-interface", line: 8, .warning))
        #expect(load(text, host: host).has("no-such-interface", line: 11, .warning))
        #expect(load(text, host: host, strictHost: true).has("no-such-interface", line: 8, .error))
    }
}
