import Foundation
import Testing
@testable import VigilConfig

/// One test per diagnostic of the language's semantic checks.
@Suite struct DiagnosticTests {
    let host = StaticHostFacts(["eth0": [IPAddress("192.0.2.11")!], "eth1": []])

    @Test(arguments: [("0", true), ("256", true), ("1", false), ("255", false), ("x", true)])
    func virtualRouterIDRange(value: String, bad: Bool) {
        let result = load(instance("").replacingOccurrences(of: "virtual_router_id 51", with: "virtual_router_id \(value)"))
        #expect(result.has("out-of-range", line: 3, .error) == bad)
    }

    @Test func duplicateVRIDOnTheSameInterfaceAndFamily() {
        let result = load(instance("", name: "A") + "\n" + instance("", name: "B"))
        #expect(result.has("duplicate-vrid", line: 9, .error))
        // The same VRID on another interface is fine.
        let other = load(instance("", name: "A") + "\n" + instance("", name: "B").replacingOccurrences(of: "eth0", with: "eth1"))
        #expect(!other.diagnostics.contains { $0.id == "duplicate-vrid" })
    }

    @Test func priorityRangeAndAddressOwner() {
        #expect(load(instance("priority 0")).has("out-of-range", line: 7, .error))
        #expect(load(instance("priority 300")).has("out-of-range", line: 7, .error))
        let notOwner = load(instance("priority 255"), host: host)
        #expect(notOwner.has("priority-255-not-owner", line: 1, .warning))
        let owner = load(instance("priority 255").replacingOccurrences(of: "192.0.2.100/24", with: "192.0.2.11/24"), host: host)
        #expect(!owner.diagnostics.contains { $0.id == "priority-255-not-owner" })
    }

    @Test func advertIntervalDependsOnVersion() {
        #expect(load(instance("advert_int 1")).errors.isEmpty)
        #expect(load(instance("advert_int 1.5")).has("advert-int-v2", line: 1, .error))
        #expect(load(instance("advert_int 300")).has("out-of-range", line: 7, .error))
        #expect(load(instance("advert_int 0.01\nversion 3")).errors.isEmpty)
        #expect(load(instance("advert_int 0.015\nversion 3")).has("advert-int-v3", line: 1, .error))
        #expect(load(instance("advert_int 41\nversion 3")).has("advert-int-v3", line: 1, .error))
        #expect(load("global_defs {\n vrrp_version 3\n}\n" + instance("advert_int 0.1")).errors.isEmpty)
    }

    @Test func authentication() {
        let long = load(instance("authentication {\n auth_type PASS\n auth_pass 123456789\n}"))
        #expect(long.has("auth-pass-truncated", line: 9, .warning))
        #expect(long.errors.isEmpty)
        #expect(long.configuration.vrrpInstances[0].authentication == .password("12345678"))
        let ah = load(instance("authentication {\n auth_type AH\n auth_pass x\n}"))
        #expect(ah.has("auth-ah", line: 8, .error))
        #expect(ah.errors[0].message.contains("not supported"))
        #expect(load(instance("authentication {\n auth_type PASS\n}")).has("missing-auth-pass", line: 8, .error))
        #expect(load(instance("version 3\nauthentication {\n auth_type PASS\n auth_pass x\n}")).has("auth-with-v3", line: 1, .warning))
    }

    @Test func addressesMustParse() {
        let text = instance("").replacingOccurrences(of: "192.0.2.100/24", with: "192.0.2.300/24")
        let result = load(text)
        #expect(result.has("bad-address", line: 5, .error))
        #expect(result.errors[0].location.column == 9)
        #expect(load(instance("").replacingOccurrences(of: "/24", with: "/33")).has("bad-address", line: 5, .error))
        #expect(load(instance("").replacingOccurrences(of: "/24", with: "/24 scope galaxy")).has("bad-value", line: 5, .error))
        #expect(load(instance("version 3").replacingOccurrences(of: "192.0.2.100/24", with: "2001:db8::5/64")).errors.isEmpty)
        // keepalived runs an IPv6 instance as VRRPv3 unless it says version 2 itself.
        #expect(load(instance("").replacingOccurrences(of: "192.0.2.100/24", with: "2001:db8::5/64")).errors.isEmpty)
        #expect(load("global_defs {\n vrrp_version 2\n}\n" + instance("").replacingOccurrences(of: "192.0.2.100/24", with: "2001:db8::5/64")).errors.isEmpty)
        #expect(load(instance("version 2").replacingOccurrences(of: "192.0.2.100/24", with: "2001:db8::5/64")).has("ipv6-with-v2", line: 1, .error))
    }

    @Test func lvsSchedulerAndForwardingMethod() {
        let bad = load("virtual_server 192.0.2.100 80 {\n lb_algo fastest\n lb_kind NATT\n}\n")
        #expect(bad.has("bad-scheduler", line: 2, .error))
        #expect(bad.has("bad-lb-kind", line: 3, .error))
        for algo in Scheduler.allCases {
            #expect(load("virtual_server 192.0.2.100 80 {\n lb_algo \(algo.rawValue)\n}\n").errors.isEmpty)
        }
    }

    @Test func directRoutingCannotMapPorts() {
        let text = """
        virtual_server 192.0.2.100 80 {
            lb_kind DR
            real_server 192.0.2.21 8080 {
            }
            real_server 192.0.2.22 80 {
                lvs_method TUN
            }
            real_server 192.0.2.23 8080 {
                lvs_method NAT
            }
        }
        """
        let result = load(text)
        #expect(result.found == ["1:no-protocol", "3:port-mapping"])
    }

    @Test func scriptsWithoutScriptSecurityAreWarnedOnce() {
        let scripts = """
        vrrp_script chk_up {
            script "/bin/true"
        }
        \(instance("notify_master /bin/true"))
        """
        let plain = load(scripts)
        #expect(plain.diagnostics.filter { $0.id == "script-security" }.map(\.location.line) == [1])
        let secured = load("global_defs {\n enable_script_security\n}\n" + scripts)
        #expect(!secured.diagnostics.contains { $0.id == "script-security" })
        #expect(!load(instance("")).diagnostics.contains { $0.id == "script-security" })
    }

    /// keepalived runs a virtual_server without `protocol` as UDP and says so; so does vigil.
    @Test func virtualServerWithoutProtocolIsUDP() {
        let result = load("""
        virtual_server 192.0.2.100 53 {
        }
        virtual_server 192.0.2.100 53 {
            protocol UDP
        }
        virtual_server fwmark 7 {
        }
        virtual_server 192.0.2.100 80 {
            protocol TCP
        }
        """)
        #expect(result.found == ["1:no-protocol", "3:duplicate-virtual-server"])
        #expect(result.configuration.virtualServers.map(\.effectiveProtocol) == [.udp, .udp, nil, .tcp])
    }

    @Test func referencesResolve() {
        let result = load("""
        \(instance("track_script {\n chk_missing\n}"))
        vrrp_sync_group G {
            group {
                VI_1
                VI_9
            }
        }
        virtual_server group nowhere {
        }
        """)
        #expect(result.has("undefined-script", line: 8, .error))
        #expect(result.has("undefined-instance", line: 14, .error))
        #expect(result.has("undefined-group", line: 17, .warning))
    }

    @Test func duplicateDefinitions() {
        let result = load("""
        vrrp_script s { script /bin/true }
        vrrp_script s { script /bin/false }
        \(instance("track_script {\n s\n}"))
        \(instance("").replacingOccurrences(of: "eth0", with: "eth1"))
        virtual_server 192.0.2.100 80 {
            real_server 192.0.2.21 80 {
            }
            real_server 192.0.2.21 80 {
            }
        }
        virtual_server 192.0.2.100 80 {
        }
        """)
        #expect(result.has("duplicate-script", line: 2, .error))
        #expect(result.has("duplicate-instance", line: 13, .error))
        #expect(result.has("duplicate-real-server", line: 24, .error))
        #expect(result.has("duplicate-virtual-server", line: 27, .error))
    }

    @Test func zeroGarpIntervalRunsButIsWarned() {
        let result = load("global_defs {\n vrrp_garp_interval 0\n vrrp_gna_interval 0.001\n}\n")
        #expect(result.found == ["2:zero-interval"])
        #expect(result.errors.isEmpty)
        #expect(result.configuration.globalDefs.garpInterval == 0)
    }

    @Test func instanceWithoutInterfaceOrVRID() {
        let result = load("vrrp_instance VI_1 {\n priority 100\n virtual_ipaddress {\n 192.0.2.1\n }\n}\n")
        #expect(result.has("missing-interface", line: 1, .error))
        #expect(result.has("missing-vrid", line: 1, .error))
    }

    @Test func missingInterfaceIsAWarningUnlessHost() {
        let text = instance("").replacingOccurrences(of: "eth0", with: "eth7")
        #expect(load(text, host: host).has("no-such-interface", line: 2, .warning))
        #expect(load(text, host: host, strictHost: true).has("no-such-interface", line: 2, .error))
        #expect(load(text, host: nil, strictHost: true).errors.isEmpty)
    }

    @Test func syntaxErrorsAreLocated() {
        #expect(load("global_defs {\n router_id \"lb1\n}\n").has("unterminated-quote", line: 2, .error))
        #expect(load("vrrp_instance {\n}\n").has("missing-name", line: 1, .error))
        #expect(load("global_defs\n").has("missing-block", line: 1, .error))
        #expect(load(instance("priority")).has("missing-argument", line: 7, .error))
    }

    @Test func diagnosticsPrintLikeACompilerInFileOrder() {
        let result = load(instance("priority 0\nbogus 1"), files: [:])
        #expect(result.diagnostics.map(\.description) == [
            "/cfg/keepalived.conf:7:10: error: priority '0' is not a whole number from 1 to 255",
            "/cfg/keepalived.conf:8:1: warning: unknown keyword 'bogus' in vrrp_instance VI_1",
        ])
    }
}
