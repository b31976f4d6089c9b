import Testing
import LVS
import VRRP
import VigilConfig
@testable import VigilDaemon

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
        #expect(s.scheduler == "wlc" && s.flags == 0 && s.netmask == 0xffff_ffff)
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
        #expect(s.scheduler == "sh" && s.flags == IPVSService.persistent | 0x10 && s.timeout == 300)
        #expect(withUnsafeBytes(of: s.netmask) { Array($0) } == [255, 255, 255, 0], "network order")
        #expect(s.destinations[Self.rs(1, port: 53)]?.forwarding == .route)
    }

    @Test func checkedRealServersStayOutAndTheSorryServerStandsIn() throws {
        let p = Self.plan("""
            virtual_server 192.0.2.100 80 {
                protocol TCP
                sorry_server 203.0.113.9 8080
                real_server 198.51.100.1 80 {
                    TCP_CHECK {
                        connect_timeout 3
                    }
                }
            }
            """)
        let s = try #require(p.desired.services[.endpoint(Self.vip, port: 80, protocol: .tcp)])
        #expect(s.destinations.keys.map(\.description) == ["203.0.113.9:8080"])
        #expect(p.notes.count == 1 && p.notes[0].contains("does not run yet"))
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
}
