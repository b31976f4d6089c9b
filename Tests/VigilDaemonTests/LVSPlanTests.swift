import Testing
import LVS
import VRRP
import VigilConfig
import HealthCheck
import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan
import VigilTypes

/// From virtual_server blocks to the IPVS table, with keepalived's defaults.
@Suite struct LVSPlanTests {
    static func plan(_ text: String) -> LVSPlan {
        let result = ConfigurationLoader.load(text: text)
        #expect(result.isValid, "\(result.diagnostics)")
        return LVSPlan.make(result.configuration)
    }

    static let vip = InternetAddress.v4(IPv4Address(192, 0, 2, 100))
    static func rs(_ last: UInt8, port: UInt16 = 80) -> IPVSDestination.Key {
        .init(address: .v4(IPv4Address(198, 51, 100, last)), port: port)
    }

    /// The table the runner programs once every checker has reported, member m of pool p
    /// up when `up(p, m)`: through PoolState, as the runner records results.
    static func table(_ plan: LVSPlan, _ up: (Int, Int) -> Bool) -> IPVSTable {
        var state = PoolState(plan.pools)
        for (p, pool) in plan.pools.enumerated() {
            for (m, member) in pool.members.enumerated() {
                for id in member.checks { _ = state.record(check: id, up(p, m) ? .up : .down("test")) }
            }
        }
        return state.desiredTable
    }

    @Test func keepalivedsDefaultsAndWeights() throws {
        let p = Self.plan("""
            virtual_server 192.0.2.100 80 {
                protocol TCP
                real_server 198.51.100.1 80 {
                    weight 3
                }
                real_server 198.51.100.2 80 {
                }
            }
            """)
        let key = IPVSService.Key.endpoint(Self.vip, port: 80, protocol: .tcp)
        let s = try #require(p.desired.services[key])
        #expect(s.scheduler == "wlc" && s.flags == [] && s.netmask == 0xffff_ffff)
        #expect(s.destinations[Self.rs(1)]?.weight == 3)
        #expect(s.destinations[Self.rs(1)]?.forwarding == .masquerade)
        #expect(s.destinations[Self.rs(2)]?.weight == 1, "weight 1 by default")
        #expect(p.notes.isEmpty)
    }

    @Test func persistenceFlagsDRAndProtocolDefault() throws {
        let p = Self.plan("""
            virtual_server 192.0.2.100 53 {
                lb_algo sh
                sh-port
                lb_kind DR
                persistence_timeout 300
                persistence_granularity 255.255.255.0
                real_server 198.51.100.1 53 {
                }
            }
            """)
        // No `protocol`: UDP, as keepalived.
        let s = try #require(p.desired.services[.endpoint(Self.vip, port: 53, protocol: .udp)])
        #expect(s.scheduler == "sh" && s.flags == [.persistent, .scheduler2] && s.timeout == 300)
        #expect(withUnsafeBytes(of: s.netmask) { Array($0) } == [255, 255, 255, 0], "network order")
        #expect(s.destinations[Self.rs(1, port: 53)]?.forwarding == .route)
    }

    @Test func unsupportedCheckersKeepARealServerOutAndTheSorryServerStandsIn() throws {
        let p = Self.plan("""
            virtual_server 192.0.2.100 80 {
                protocol TCP
                sorry_server 203.0.113.9 8080
                real_server 198.51.100.1 80 {
                    BFD_CHECK {
                        name bfd1
                    }
                }
            }
            """)
        let s = try #require(p.desired.services[.endpoint(Self.vip, port: 80, protocol: .tcp)])
        #expect(s.destinations.keys.map(\.description) == ["203.0.113.9:8080"])
        #expect(p.notes.count == 1 && p.notes[0].contains("BFD_CHECK, which Vigil does not run yet"))
    }

    /// SMTP_CHECK: one check per deprecated host block, plus its own when it sets a
    /// connection option (keepalived's rule); the HELO name, keepalived's by default.
    @Test func anSMTPCheckRunsOncePerHost() throws {
        let p = Self.plan("""
            virtual_server 192.0.2.100 25 {
                protocol TCP
                real_server 198.51.100.1 25 {
                    SMTP_CHECK {
                        host {
                            connect_ip 198.51.100.2
                        }
                        host {
                            connect_port 2525
                        }
                    }
                    SMTP_CHECK {
                        connect_timeout 2
                        helo_name lb1.example.test
                        host {
                            connect_ip 198.51.100.3
                        }
                    }
                }
            }
            """)
        #expect(p.notes.isEmpty && p.checks.count == 4, "\(p.checks.map(\.kind))")
        let smtp = p.checks.compactMap { c -> (CheckTarget, SMTPCheckSettings)? in
            if case let .smtp(t, s) = c.kind { return (t, s) } else { return nil }
        }
        #expect(smtp.map { "\($0.0.host):\($0.0.port)" } == ["198.51.100.2:25", "198.51.100.1:2525", "198.51.100.1:25", "198.51.100.3:25"])
        #expect(smtp[0].1 == SMTPCheckSettings() && smtp[2].1.heloName == "lb1.example.test" && smtp[2].0.timeout == 2_000_000)
    }

    /// UDP_CHECK is run: its real server is in the pool, checked with keepalived's
    /// defaults (its datagram, no reply required, connect_timeout 5 s, delay_before_retry 1 s).
    @Test func aUDPCheckRuns() throws {
        let p = Self.plan("""
            virtual_server 192.0.2.100 53 {
                protocol UDP
                real_server 198.51.100.1 53 {
                    UDP_CHECK {
                        connect_port 5353
                    }
                }
            }
            """)
        let s = try #require(p.desired.services[.endpoint(Self.vip, port: 53, protocol: .udp)])
        #expect(s.destinations.keys.map(\.description) == ["198.51.100.1:53"])
        #expect(p.notes.isEmpty && p.checks.count == 1)
        guard case let .udp(target, settings) = p.checks[0].kind else {
            Issue.record("not a UDP check: \(p.checks[0].kind)")
            return
        }
        #expect(target == CheckTarget(host: "198.51.100.1", port: 5353, timeout: 5_000_000))
        #expect(settings == UDPCheckSettings() && p.checks[0].delayBeforeRetry == 1_000_000)
    }

    /// DNS_CHECK with keepalived's defaults: SOA of the root, 3 retries.
    @Test func aDNSCheckRunsWithKeepalivedsDefaults() throws {
        let p = Self.plan("""
            virtual_server 192.0.2.100 53 {
                protocol UDP
                real_server 198.51.100.1 53 {
                    DNS_CHECK {
                    }
                    DNS_CHECK {
                        type A
                        name example.com
                        retry 1
                    }
                }
            }
            """)
        #expect(p.notes.isEmpty && p.checks.count == 2)
        guard case let .dns(target, settings) = p.checks[0].kind, case let .dns(_, named) = p.checks[1].kind else {
            Issue.record("not DNS checks")
            return
        }
        #expect(target.port == 53 && settings == DNSCheckSettings(type: 6, name: "") && p.checks[0].retry == 3)
        #expect(named == DNSCheckSettings(type: 1, name: "example.com") && p.checks[1].retry == 1)
    }

    /// FILE_CHECK: the checker's weight, else its track_file's; the file is read by the
    /// daemon (it is in the plan's track files even when no VRRP instance tracks it).
    @Test func aFileCheckTakesItsTrackFilesWeight() throws {
        let config = ConfigurationLoader.load(text: """
            track_file maint {
                file /run/maint
                weight 4 reverse
            }
            virtual_server 192.0.2.100 80 {
                protocol TCP
                real_server 198.51.100.1 80 {
                    FILE_CHECK {
                        track_file maint
                    }
                    FILE_CHECK {
                        track_file maint
                        weight 0
                    }
                }
            }
            """)
        let p = LVSPlan.make(config.configuration)
        #expect(p.notes.isEmpty && p.checks.count == 2)
        #expect(p.checks.map(\.kind) == [.file(name: "maint", weight: 4, reverse: true), .file(name: "maint", weight: 0, reverse: false)])
        let plan = try DaemonPlan.make(config.configuration, host: StaticPlanningHost(interfaces: TestBox.interfaces))
        #expect(plan.trackFiles.map(\.name) == ["maint"])
    }

    @Test func checkersInheritKeepalivedsDefaultsAndHealthMovesThePool() throws {
        let p = Self.plan("""
            virtual_server 192.0.2.100 80 {
                protocol TCP
                delay_loop 2
                inhibit_on_failure
                sorry_server 203.0.113.9 80
                real_server 198.51.100.1 80 {
                    weight 3
                    TCP_CHECK {
                        connect_timeout 3
                    }
                }
                real_server 198.51.100.2 80 {
                    HTTP_GET {
                        url {
                            path /health
                            status_code 200-299
                        }
                        retry 2
                    }
                }
            }
            """)
        #expect(p.checks.count == 2 && p.notes.isEmpty)
        #expect(p.checks[0].kind == .tcp(CheckTarget(host: "198.51.100.1", port: 80, timeout: 3_000_000)))
        #expect(p.checks[0].delayLoop == 2_000_000 && p.checks[0].retry == 1)
        #expect(p.checks[1].retry == 2)
        guard case let .http(target, settings) = p.checks[1].kind else { Issue.record("not HTTP"); return }
        #expect(target.timeout == 5_000_000 && settings.urls.map(\.path) == ["/health"])
        // keepalived 2.2.7's defaults: HTTP_GET retries after 3 s, TCP_CHECK after 1 s; the
        // first check comes within one delay_loop (warmup), HTTP/1.0 without fast_recovery.
        #expect(p.checks[0].delayBeforeRetry == 1_000_000 && p.checks[1].delayBeforeRetry == 3_000_000)
        #expect(p.checks[0].warmup == 2_000_000 && p.checks[1].warmup == 2_000_000)
        #expect(settings.httpProtocol == .http10 && !settings.fastRecovery && !settings.tls)
        // Non-alpha servers start up; a down one keeps weight 0 with inhibit_on_failure.
        let key = IPVSService.Key.endpoint(Self.vip, port: 80, protocol: .tcp)
        #expect(p.desired.services[key]?.destinations.count == 2)
        let oneDown = Self.table(p) { _, m in m == 1 }
        #expect(oneDown.services[key]?.destinations[Self.rs(1)]?.weight == 0)
        #expect(oneDown.services[key]?.destinations[Self.rs(2)]?.weight == 1)
        // Nobody up: the sorry server joins (the inhibited ones stay at weight 0).
        let allDown = Self.table(p) { _, _ in false }
        #expect(allDown.services[key]?.destinations.keys.map(\.description).sorted()
                == ["198.51.100.1:80", "198.51.100.2:80", "203.0.113.9:80"])
    }

    /// `quorum 4` with weights 3 and 1 and `hysteresis 1`: the quorum is lost below 3, and
    /// then the sorry server stands in beside the survivor.
    @Test func quorumIsTheLiveWeight() throws {
        let p = Self.plan("""
            virtual_server 192.0.2.100 80 {
                protocol TCP
                quorum 4
                hysteresis 1
                sorry_server 203.0.113.9 80
                real_server 198.51.100.1 80 {
                    weight 3
                    notify_down "/usr/local/bin/down 1"
                    TCP_CHECK {
                    }
                }
                real_server 198.51.100.2 80 {
                    TCP_CHECK {
                    }
                }
            }
            """)
        let pool = p.pools[0]
        #expect(pool.quorum == 4 && pool.hysteresis == 1)
        #expect(pool.members[0].notifyDown == "/usr/local/bin/down 1")
        #expect(pool.liveWeight { _ in true } == 4)
        #expect(pool.liveWeight { $0 == 0 } == 3)
        let key = IPVSService.Key.endpoint(Self.vip, port: 80, protocol: .tcp)
        #expect(p.desired.services[key]?.destinations.count == 2, "all up: quorum, no sorry server")
        // hysteresis 1: live weight 3 is not below quorum − 1, so losing the weight-1
        // member keeps the quorum; losing the weight-3 one does not.
        let kept = Self.table(p) { _, m in m == 0 }
        #expect(kept.services[key]?.destinations.keys.map(\.description).sorted() == ["198.51.100.1:80"])
        let lost = Self.table(p) { _, m in m == 1 }
        #expect(lost.services[key]?.destinations.keys.map(\.description).sorted() == ["198.51.100.2:80", "203.0.113.9:80"])
    }

    /// MISC_CHECK's exit statuses, keepalived's way.
    @Test func miscCheckExitStatuses() {
        #expect(MiscCheckRunner.outcome(.status(0), dynamic: false, timedOut: false, timeout: 1) == .up)
        #expect(MiscCheckRunner.outcome(.status(1), dynamic: true, timedOut: false, timeout: 1) == .down("MISC_CHECK exit status 1"))
        #expect(MiscCheckRunner.outcome(.status(7), dynamic: true, timedOut: false, timeout: 1) == .upWithWeight(5))
        #expect(MiscCheckRunner.outcome(.status(7), dynamic: false, timedOut: false, timeout: 1) == .down("MISC_CHECK exit status 7"))
        #expect(MiscCheckRunner.outcome(.signal(9), dynamic: false, timedOut: true, timeout: 3_000_000)
                == .down("MISC_CHECK timeout after 3 s"))
        let p = Self.plan("""
            virtual_server 192.0.2.100 80 {
                protocol TCP
                delay_loop 5
                real_server 198.51.100.1 80 {
                    MISC_CHECK {
                        misc_path "/usr/local/bin/check 198.51.100.1"
                        misc_dynamic
                    }
                }
            }
            """)
        #expect(p.checks.first?.kind == .misc(command: "/usr/local/bin/check 198.51.100.1", timeout: 5_000_000, dynamic: true,
                                               user: nil, group: nil), "misc_timeout defaults to delay_loop")
    }

    @Test func groupsExpandToOneServiceEach() {
        let p = Self.plan("""
            virtual_server_group web {
                192.0.2.100-102 80
                fwmark 7
            }
            virtual_server group web {
                protocol TCP
                real_server 198.51.100.1 80 {
                }
            }
            """)
        #expect(p.desired.services.keys.map(\.description).sorted()
                == ["FWM 7", "TCP 192.0.2.100:80", "TCP 192.0.2.101:80", "TCP 192.0.2.102:80"])
    }

    /// FNAT: IPVS masquerading, and one source translation per IPVS service (a group's
    /// members each), to the pool of the service's family; a NAT service gets none.
    @Test func aFullNATServiceIsMasqueradedAndTranslatedPerService() throws {
        let p = Self.plan("""
            local_address_group lip {
                198.18.0.101-103
                2001:db8:18::1:101
            }
            virtual_server_group web {
                203.0.113.10-11 80
            }
            virtual_server group web {
                lb_kind FNAT
                laddr_group_name lip
                protocol TCP
                real_server 198.18.0.21 8080 {
                }
            }
            virtual_server 2001:db8:3::10 53 {
                lb_kind FNAT
                laddr_group_name lip
                protocol UDP
                real_server 2001:db8:18::21 53 {
                }
            }
            virtual_server 203.0.113.20 80 {
                lb_kind NAT
                protocol TCP
                real_server 198.18.0.21 80 {
                }
            }
            """)
        #expect(p.pools.flatMap(\.members).map(\.destination.forwarding) == [.masquerade, .masquerade, .masquerade])
        let pool4 = AddressRange(first: .v4(IPv4Address(198, 18, 0, 101)), end: 103)
        let pool6 = AddressRange(first: .v6(IPv6Address(0x2001, 0xdb8, 0x18, 0, 0, 0, 1, 0x101)))
        #expect(p.fullNAT == [
            FullNATTable.Rule(service: .endpoint(.v4(IPv4Address(203, 0, 113, 10)), port: 80, protocol: .tcp), pool: pool4),
            FullNATTable.Rule(service: .endpoint(.v4(IPv4Address(203, 0, 113, 11)), port: 80, protocol: .tcp), pool: pool4),
            FullNATTable.Rule(service: .endpoint(.v6(IPv6Address(0x2001, 0xdb8, 3, 0, 0, 0, 0, 0x10)), port: 53, protocol: .udp),
                              pool: pool6),
        ])
    }
}

/// Tunnels, SSL_GET, ha_suspend and omega from the configuration into the plan.
@Suite struct LVSPlanOptionTests {
    @Test func tunnelsReachTheDestinationsAndSSLGetIsChecked() throws {
        let p = LVSPlanTests.plan("""
            virtual_server 192.0.2.100 443 {
                protocol TCP
                delay_loop 5
                lvs_method TUN type gue port 6080 remcsum
                ha_suspend
                omega
                real_server 198.51.100.1 443 {
                    SSL_GET {
                        enable_sni
                        virtualhost www.example.test
                        fast_recovery
                    }
                }
                real_server 198.51.100.2 443 {
                    lvs_method TUN type gre csum
                }
                real_server 198.51.100.3 443 {
                    lvs_method NAT
                }
            }
            """)
        #expect(p.notes.isEmpty, "\(p.notes)")
        let key = IPVSService.Key.endpoint(LVSPlanTests.vip, port: 443, protocol: .tcp)
        let d = try #require(p.desired.services[key]?.destinations)
        let gue = try #require(d[LVSPlanTests.rs(1, port: 443)])
        #expect(gue.forwarding == .tunnel && gue.tunnelType == 1 && gue.tunnelPort == 6080 && gue.tunnelFlags == 2)
        let gre = try #require(d[LVSPlanTests.rs(2, port: 443)])
        #expect(gre.tunnelType == 2 && gre.tunnelPort == 0 && gre.tunnelFlags == 1)
        #expect(d[LVSPlanTests.rs(3, port: 443)]?.forwarding == .masquerade && d[LVSPlanTests.rs(3, port: 443)]?.tunnelType == 0)
        guard case let .http(_, settings) = p.checks[0].kind else { Issue.record("SSL_GET not planned"); return }
        #expect(settings.tls && settings.sni && settings.fastRecovery)
        #expect(settings.urls.map(\.virtualhost) == ["www.example.test"])
        #expect(p.pools[0].haSuspendAddresses == [LVSPlanTests.vip] && p.pools[0].omega)
    }

    /// The sorry server's method is read like any `lvs_method`: its own tunnel, plain TUN
    /// as IPIP, and without one the virtual server's.
    @Test func theSorryServerHasItsOwnTunnelOrTheVirtualServers() throws {
        func sorry(_ line: String) throws -> IPVSDestination {
            let p = LVSPlanTests.plan("""
                virtual_server 192.0.2.100 80 {
                    protocol TCP
                    lvs_method TUN type gue port 6080
                    sorry_server 203.0.113.9 80
                    \(line)
                }
                """)
            let key = IPVSService.Key.endpoint(LVSPlanTests.vip, port: 80, protocol: .tcp)
            // No real server: the pool has no quorum and the sorry server is in.
            return try #require(p.desired.services[key]?.destinations.values.first)
        }
        let own = try sorry("sorry_server_lvs_method TUN type gre csum")
        #expect(own.forwarding == .tunnel && own.tunnelType == 2 && own.tunnelFlags == 1)
        let plain = try sorry("sorry_server_lvs_method TUN")
        #expect(plain.forwarding == .tunnel && plain.tunnelType == 0)
        let inherited = try sorry("")
        #expect(inherited.forwarding == .tunnel && inherited.tunnelType == 1 && inherited.tunnelPort == 6080)
        let direct = try sorry("sorry_server_lvs_method DR")
        #expect(direct.forwarding == .route && direct.tunnelType == 0)
    }

    @Test func haSuspendOnAFirewallMarkIsSaidAndDropped() {
        let p = LVSPlanTests.plan("""
            virtual_server fwmark 7 {
                ha_suspend
                real_server 198.51.100.1 80 {
                    TCP_CHECK {
                    }
                }
            }
            """)
        #expect(p.pools[0].haSuspendAddresses.isEmpty)
        #expect(p.notes.contains { $0.contains("ha_suspend needs an address") })
    }
}

/// keepalived's notify FIFOs: which lines go where, and the names in keepalived's VS and
/// RS lines.
@Suite struct NotifyFIFOPlanTests {
    static func plan(_ text: String) throws -> DaemonPlan { try TestBox.plan(text) }

    @Test func eachFIFOGetsItsKindOfLine() throws {
        let p = try Self.plan("""
            global_defs {
                notify_fifo /run/all.fifo
                vrrp_notify_fifo /run/vrrp.fifo
                lvs_notify_fifo /run/lvs.fifo
                lvs_notify_fifo_script /usr/local/bin/read-lvs
            }
            """)
        #expect(p.fifos == [.init(path: "/run/all.fifo", script: nil, vrrp: true, lvs: true),
                            .init(path: "/run/vrrp.fifo", script: nil, vrrp: true, lvs: false),
                            .init(path: "/run/lvs.fifo", script: "/usr/local/bin/read-lvs", vrrp: false, lvs: true)])
        let shared = try Self.plan("""
            global_defs {
                vrrp_notify_fifo /run/one.fifo
                lvs_notify_fifo /run/one.fifo
            }
            """)
        #expect(shared.fifos == [.init(path: "/run/one.fifo", script: nil, vrrp: true, lvs: true)], "one FIFO named twice is opened once")
    }

    @Test func keepalivedsNamesInTheLines() {
        let config = ConfigurationLoader.load(text: """
            virtual_server 192.0.2.100 80 {
                protocol TCP
                real_server 198.51.100.1 8080 {
                }
            }
            virtual_server fwmark 7 {
                protocol UDP
                real_server 2001:db8::5 53 {
                }
            }
            """).configuration
        let p = LVSPlan.make(config)
        #expect(p.pools.map(\.fifoName) == ["[192.0.2.100]:tcp:80", "FWM 7"])
        #expect(p.pools.map { $0.members[0].fifoName } == ["[198.51.100.1]:tcp:8080", "[2001:db8::5]:udp:53"])
    }
}
