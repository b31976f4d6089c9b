import Testing
@testable import VigilConfig

/// One test per keyword family: what is written becomes the typed value.
@Suite struct KeywordFamilyTests {
    /// Timers are read to the microsecond without binary floating point.
    @Test(arguments: [
        ("1", 1_000_000), ("0.01", 10_000), (".5", 500_000), ("1.5", 1_500_000),
        ("40.95", 40_950_000), ("0.000001", 1), ("255", 255_000_000),
    ] as [(String, Int64)])
    func secondsParse(text: String, micro: Int64) {
        #expect(ModelBuilder.parseSeconds(text) == micro)
    }

    @Test(arguments: ["", ".", "5.", "1.2.3", "1.1234567", "abc", "-1", "1e3", "1234567890"])
    func secondsReject(text: String) {
        #expect(ModelBuilder.parseSeconds(text) == nil)
    }

    @Test func globalDefs() {
        let result = load("""
        global_defs {
            router_id lb1
            vrrp_version 3
            vrrp_strict
            vrrp_skip_check_adv_addr
            vrrp_garp_interval 0.001
            vrrp_garp_master_delay 5
            vrrp_garp_master_repeat 3
            vrrp_mcast_group4 224.0.0.18
            enable_script_security
            script_user keepalived_script users
            notify_fifo /run/vigil.fifo
            metrics_listen 192.0.2.1:9650
        }
        """)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let g = result.configuration.globalDefs
        #expect(g.routerID == "lb1")
        #expect(g.vrrpVersion == 3)
        #expect(g.vrrpStrict && g.skipCheckAdvertAddresses && g.enableScriptSecurity)
        #expect(g.garpInterval == 1_000)
        #expect(g.garp.masterDelay == 5_000_000 && g.garp.masterRepeat == 3)
        #expect(g.unsupported.isEmpty, "224.0.0.18 is the group Vigil uses")
        #expect(g.scriptUser == ScriptUser(user: "keepalived_script", group: "users"))
        #expect(g.notifyFIFO == "/run/vigil.fifo")
        #expect(g.metricsListen == "192.0.2.1:9650")
    }

    @Test func vrrpInstance() {
        let result = load("""
        vrrp_instance VI_1 {
            state MASTER
            interface eth0
            virtual_router_id 51
            priority 150
            advert_int 2
            authentication {
                auth_type PASS
                auth_pass s3cret
            }
            virtual_ipaddress {
                192.0.2.100/24 brd 192.0.2.255 dev eth1 scope global label eth1:vip
                2001:db8::1/64 dev eth0
            }
            virtual_ipaddress_excluded {
                198.51.100.7
            }
            nopreempt
            unicast_src_ip 192.0.2.11
            unicast_peer {
                192.0.2.12
            }
            notify_master "/etc/vigil/master.sh VI_1"
            notify /etc/vigil/notify.sh
            garp_master_refresh 60
            use_vmac
            accept
        }
        """, host: StaticHostFacts(["eth0": [], "eth1": []]))
        let v = result.configuration.vrrpInstances[0]
        #expect(v.initialState == .master)
        #expect(v.interface == "eth0" && v.virtualRouterID == 51 && v.priority == 150)
        #expect(v.advertInterval == 2_000_000)
        #expect(v.authentication == .password("s3cret"))
        let vip = v.virtualIPAddresses[0]
        #expect(vip.prefix == IPPrefix(address: IPAddress("192.0.2.100")!, prefixLength: 24))
        #expect(vip.broadcast == IPAddress("192.0.2.255"))
        #expect(vip.device == "eth1" && vip.scope == .global && vip.label == "eth1:vip")
        #expect(v.virtualIPAddresses[1].prefix.address.family == .inet6)
        #expect(v.excludedVirtualIPAddresses.count == 1)
        #expect(!v.preempt)
        #expect(v.unicastSourceIP == IPAddress("192.0.2.11") && v.unicastPeers == [IPAddress("192.0.2.12")!])
        #expect(v.notify.master == "/etc/vigil/master.sh VI_1")
        #expect(v.notify.any == "/etc/vigil/notify.sh")
        #expect(v.garp.masterRefresh == 60_000_000)
        #expect(v.useVMAC == "" && v.accept == true)
        // IPv4 and IPv6 VIPs in one instance: the one error expected here.
        #expect(result.errors.map(\.id) == ["mixed-families"])
    }

    @Test func scriptsTrackingAndSyncGroups() {
        let result = load("""
        vrrp_script chk_nginx {
            script "/usr/bin/pgrep nginx"
            interval 2
            timeout 3
            weight -20
            rise 2
            fall 3
            user nobody
        }
        track_file maint {
            file /run/maint
            weight -10 reverse
        }
        \(instance("""
            track_script {
                chk_nginx weight -30
            }
            track_interface {
                eth1 weight 5
            }
            track_file {
                maint
            }
        """, name: "VI_1"))
        \(instance("", name: "VI_2").replacingOccurrences(of: "51", with: "52"))
        vrrp_sync_group G1 {
            group {
                VI_1 VI_2
            }
            notify_master /bin/true
        }
        """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let c = result.configuration
        #expect(c.vrrpScripts[0].script == "/usr/bin/pgrep nginx")
        #expect(c.vrrpScripts[0].interval == 2_000_000 && c.vrrpScripts[0].timeout == 3_000_000)
        #expect(c.vrrpScripts[0].weight == -20 && c.vrrpScripts[0].rise == 2 && c.vrrpScripts[0].fall == 3)
        #expect(c.trackFiles[0].file == "/run/maint" && c.trackFiles[0].weight == -10 && c.trackFiles[0].weightReverse)
        let v = c.vrrpInstances[0]
        #expect(v.trackScripts.map(\.name) == ["chk_nginx"] && v.trackScripts[0].weight == -30)
        #expect(v.trackInterfaces[0].name == "eth1" && v.trackInterfaces[0].weight == 5)
        #expect(v.trackFiles.map(\.name) == ["maint"])
        #expect(c.syncGroups[0].members.map(\.name) == ["VI_1", "VI_2"])
        #expect(c.syncGroups[0].notify.master == "/bin/true")
    }

    @Test func virtualServersAndCheckers() {
        let result = load("""
        virtual_server 192.0.2.100 80 {
            delay_loop 6
            lb_algo wrr
            lb_kind NAT
            protocol TCP
            persistence_timeout 50
            sorry_server 192.0.2.30 8080
            quorum 2
            hysteresis 1
            inhibit_on_failure
            real_server 192.0.2.21 8080 {
                weight 3
                notify_down "/bin/logger rs1 down"
                HTTP_GET {
                    url {
                        path /health
                        digest 9B3A0C85A887A256D6939DA88AABD8CD
                        status_code 200-299 301
                    }
                    connect_timeout 3
                    nb_get_retry 2
                    delay_before_retry 1.5
                }
            }
            real_server 192.0.2.22 8080 {
                weight 1
                TCP_CHECK {
                    connect_port 8080
                    connect_timeout 2
                }
                MISC_CHECK {
                    misc_path "/usr/local/bin/check 192.0.2.22"
                    misc_timeout 5
                    misc_dynamic
                }
            }
        }
        virtual_server fwmark 7 {
            lb_algo sh
            sh-port
            lb_kind DR
            real_server 192.0.2.23 {
                PING_CHECK {
                    retry 2
                }
            }
        }
        virtual_server_group web {
            192.0.2.100-110 443
            fwmark 9
        }
        virtual_server group web {
            lb_algo rr
        }
        """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let vs = result.configuration.virtualServers[0]
        #expect(vs.key == .endpoint(IPAddress("192.0.2.100")!, port: 80))
        #expect(vs.checkerDefaults.delayLoop == 6_000_000)
        #expect(vs.scheduler == .wrr && vs.forwardingMethod == .nat && vs.serviceProtocol == .tcp)
        #expect(vs.persistenceTimeout == 50 && vs.quorum == 2 && vs.hysteresis == 1 && vs.inhibitOnFailure)
        #expect(vs.sorryServer == RealServerAddress(address: IPAddress("192.0.2.30")!, port: 8080))
        #expect(vs.realServers.map(\.weight) == [3, 1])
        guard case let .http(http) = vs.realServers[0].checkers[0] else { Issue.record("not HTTP_GET"); return }
        #expect(http.urls[0].path == "/health")
        #expect(http.urls[0].digest == "9b3a0c85a887a256d6939da88aabd8cd")
        #expect(http.urls[0].statusCodes == [200...299, 301...301])
        #expect(http.options.connectTimeout == 3_000_000 && http.options.retry == 2)
        #expect(http.options.delayBeforeRetry == 1_500_000)
        guard case let .misc(misc) = vs.realServers[1].checkers[1] else { Issue.record("not MISC_CHECK"); return }
        #expect(misc.path == "/usr/local/bin/check 192.0.2.22" && misc.dynamic && misc.timeout == 5_000_000)
        let fw = result.configuration.virtualServers[1]
        #expect(fw.key == .firewallMark(7) && fw.schedulerFlags == ["sh-port"])
        guard case let .ping(ping) = fw.realServers[0].checkers[0] else { Issue.record("not PING_CHECK"); return }
        #expect(ping.options.retry == 2)
        #expect(!result.diagnostics.contains { $0.location.line == 43 }, "PING_CHECK is read, not warned")
        #expect(result.configuration.virtualServerGroups[0].members
                == [.endpoint(IPAddress("192.0.2.100")!, rangeEnd: 110, port: 443), .firewallMark(9)])
    }

    @Test func recognisedButUnsupportedKeywordsAreKeptAndWarned() {
        let result = load("""
        global_defs {
            vrrp_ipsets {
                keepalived
            }
            enable_traps
        }
        """)
        #expect(result.has("unsupported", line: 2, .warning))
        #expect(result.has("unsupported", line: 5, .warning))
        #expect(result.errors.isEmpty)
        #expect(result.configuration.globalDefs.unsupported.map(\.name) == ["vrrp_ipsets", "enable_traps"])
        #expect(result.diagnostics[0].message.contains("recognised, not supported by vigil yet"))
    }

    @Test func unknownKeywordSuggestsTheNearest() {
        let result = load(instance("    virtual_routr_id 52\n    priorty 100"))
        let messages = result.warnings.map(\.message)
        #expect(messages.contains { $0.contains("'virtual_routr_id'") && $0.contains("did you mean 'virtual_router_id'?") })
        #expect(messages.contains { $0.contains("did you mean 'priority'?") })
        #expect(result.errors.isEmpty)
    }

    /// Vigil's own keywords are in the catalog too, so a misspelling of one is suggested.
    @Test func vigilsOwnKeywordsAreSuggested() {
        let result = load("global_defs {\n    metric_listen 127.0.0.1:9650\n}\n")
        #expect(result.warnings.map(\.message) == ["unknown keyword 'metric_listen' in global_defs; did you mean 'metrics_listen'?"])
        let entry = KeywordCatalog.entry("metrics_listen", in: .globalDefs)
        #expect(entry?.isVigilExtension == true)
        #expect(KeywordCatalog.entry("vrrp_strict", in: .globalDefs)?.isVigilExtension == false)
    }
}
