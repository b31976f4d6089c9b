import Testing
import VRRP
import VigilConfig
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// `dynamic_interfaces`: an instance whose interface does not exist yet is planned to wait
/// in FAULT (nothing opened) instead of stopping the start; without the option the start
/// stops at the interface's line, naming the option.
@Suite struct DynamicInterfaceTests {
    static let interfaces = TestBox.interfaces

    static func text(dynamic: Bool) -> String {
        """
        global_defs {
        \(dynamic ? "    dynamic_interfaces\n" : "")}
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority 100
            virtual_ipaddress {
                192.0.2.100/24
            }
        }
        vrrp_instance VI_2 {
            interface bond0
            virtual_router_id 52
            priority 100
            dont_track_primary
            virtual_ipaddress {
                198.51.100.100/24
            }
        }
        """
    }

    @Test func aMissingInterfaceWaitsWithTheOption() throws {
        let result = ConfigurationLoader.load(text: Self.text(dynamic: true),
                                              options: .init(host: KernelHostFacts(table: Self.interfaces), strictHost: true))
        #expect(result.configuration.globalDefs.dynamicInterfaces)
        let missing = try #require(result.diagnostics.first { $0.id == "no-such-interface" })
        #expect(missing.severity == .warning, "even with --host: the instance waits for it")
        #expect(missing.message.contains("dynamic_interfaces: the instance waits in FAULT"))
        let plan = try DaemonPlan.make(result.configuration, host: StaticPlanningHost(interfaces: Self.interfaces))
        #expect(!plan.instances[0].awaitsInterface && plan.instances[0].interface.index == 7)
        let waiting = plan.instances[1]
        #expect(waiting.awaitsInterface && waiting.interface.name == "bond0")
        #expect(waiting.addresses.allSatisfy { $0.interfaceIndex == 0 })
        // dont_track_primary or not, a waiting instance tracks its interface: that holds it in FAULT.
        #expect(waiting.router.tracked.contains { $0.kind == .interface && $0.name == "bond0" })
    }

    @Test func withoutTheOptionTheStartStopsNamingIt() throws {
        let result = ConfigurationLoader.load(text: Self.text(dynamic: false))
        #expect(throws: InstancePlan.Problem.self) { try DaemonPlan.make(result.configuration, host: StaticPlanningHost(interfaces: Self.interfaces)) }
        do { _ = try DaemonPlan.make(result.configuration, host: StaticPlanningHost(interfaces: Self.interfaces)) } catch {
            #expect(error.message.contains("interface 'bond0' of VI_2 does not exist"))
            #expect(error.message.contains("dynamic_interfaces"))
            #expect(error.location.line == 12)
        }
    }

    @Test func theOptionTakesOnlyAllowIfChanges() {
        let ok = ConfigurationLoader.load(text: "global_defs {\n    dynamic_interfaces allow_if_changes\n}\n")
        #expect(ok.configuration.globalDefs.dynamicInterfaces && ok.diagnostics.isEmpty)
        let bad = ConfigurationLoader.load(text: "global_defs {\n    dynamic_interfaces sometimes\n}\n")
        #expect(bad.diagnostics.contains { $0.severity == .error && $0.location.line == 2 && $0.location.column == 24 })
        #expect(!bad.configuration.globalDefs.dynamicInterfaces)
    }
}
