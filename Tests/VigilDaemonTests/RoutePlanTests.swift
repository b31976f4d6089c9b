import Testing
import VRRP
import VigilConfig
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan
import VigilTypes

/// From route and rule lines to what goes to the kernel: interface names become indices
/// (a missing one stops the start at its line), keepalived's defaults fill the rest.
@Suite struct RoutePlanTests {
    static let interfaces = InterfaceTable(interfaces: [
        "eth0": .init(name: "eth0", index: 7, isUp: true, addresses: []),
    ])

    static func config(_ text: String) -> Configuration {
        let result = ConfigurationLoader.load(text: text)
        #expect(!result.diagnostics.contains { $0.severity == .error }, "\(result.diagnostics)")
        return result.configuration
    }

    @Test func keepalivedsDefaultsAndTheDeviceIndex() throws {
        let c = Self.config("""
            static_routes {
                198.51.100.0/24 via 192.0.2.1 dev eth0
                blackhole 203.0.113.7
                2001:db8:1::/48 from 2001:db8:2::/48 dev eth0 scope link table 100 add
            }
            static_rules {
                not from 192.0.2.100 table 100 priority 1000
                fwmark 3/0xff goto 2000 priority 1500 protocol 5 no_track inet6
            }
            """)
        let plan = try RoutePlan.make(routes: c.staticRoutes, rules: c.staticRules, block: "static", interfaces: Self.interfaces)
        let r = plan.routes
        #expect(r[0].interfaceIndex == 7 && r[0].scope == 0 && r[0].protocolNumber == 18 && r[0].placement == .prepend)
        #expect(r[0].gateway == .v4(IPv4Address(192, 0, 2, 1)) && r[0].table == 254)
        #expect(r[1].kind == .blackhole && r[1].prefixLength == 32 && r[1].interfaceIndex == nil)
        #expect(r[2].sourcePrefix?.description == "2001:db8:2::/48" && r[2].scope == 253 && r[2].table == 100 && r[2].placement == .add)
        let rules = plan.rules
        #expect(rules[0].invert && rules[0].from?.length == 32 && rules[0].action == .table(100) && rules[0].protocolNumber == 18)
        #expect(rules[1].ipv6 && rules[1].action == .goto(2000) && rules[1].firewallMask == 255 && rules[1].protocolNumber == 5)
        #expect(rules[0].description == "1000: not from 192.0.2.100/32 lookup 100")
    }

    @Test func aMissingDeviceIsAProblemAtItsLine() {
        let c = Self.config("static_routes {\n    198.51.100.0/24 dev eth0\n    198.18.0.0/15 dev eth9\n}\n")
        do {
            _ = try RoutePlan.make(routes: c.staticRoutes, rules: [], block: "static", interfaces: Self.interfaces)
            Issue.record("no problem reported")
        } catch {
            #expect(error.location.line == 3)
            #expect(error.message == "static_routes: dev 'eth9' does not exist")
        }
    }
}
