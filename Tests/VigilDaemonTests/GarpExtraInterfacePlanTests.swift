import Testing
import VRRP
import VigilConfig
@testable import VigilPlan
import VigilTypes

/// Which addresses `garp_extra_if` announces again: the first on each interface other than
/// the instance's, only with `all` (Vigil makes no macvlan for a single address, the other
/// case keepalived sends on); none, and the timer off, when there is no such interface.
@Suite struct GarpExtraInterfacePlanTests {
    static func plan(global: String = "", instance: String = "", vips: String = "192.0.2.100/24\n198.51.100.100/24 dev eth1\n198.51.100.101/24 dev eth1")
        throws -> InstancePlan {
        let text = """
        global_defs {
        \(global)
        }
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            virtual_ipaddress {
        \(vips)
            }
        \(instance)
        }
        """
        let result = ConfigurationLoader.load(text: text)
        #expect(result.diagnostics.allSatisfy { $0.severity != .error }, "\(result.diagnostics)")
        return try DaemonPlan.make(result.configuration, host: KeywordUseTests.host).instances[0]
    }

    @Test func allAnnouncesOnceOnEachOtherInterface() throws {
        let p = try Self.plan(global: "vrrp_garp_extra_if all 60")
        #expect(p.extraAnnounced.map(\.address.description) == ["198.51.100.100"])
        #expect(p.extraAnnounced.map(\.interface.name) == ["eth1"])
        #expect(p.router.gratuitousARP.extraInterfaceInterval == 60_000_000)
    }

    @Test func withoutAllOrWithoutAnotherInterfaceNothingIsSent() throws {
        let plain = try Self.plan(global: "vrrp_garp_extra_if 60")
        #expect(plain.extraAnnounced.isEmpty && plain.router.gratuitousARP.extraInterfaceInterval == 0)
        let alone = try Self.plan(global: "vrrp_garp_extra_if all 60", vips: "192.0.2.100/24")
        #expect(alone.extraAnnounced.isEmpty && alone.router.gratuitousARP.extraInterfaceInterval == 0)
    }

    @Test func theInstanceOverridesTheGlobalSetting() throws {
        let off = try Self.plan(global: "vrrp_garp_extra_if all 60", instance: "garp_extra_if 0")
        #expect(off.router.gratuitousARP.extraInterfaceInterval == 0)
        let own = try Self.plan(instance: "garp_extra_if 30 all")
        #expect(own.router.gratuitousARP.extraInterfaceInterval == 30_000_000)
        #expect(own.extraAnnounced.count == 1)
    }

    @Test func readingAndItsErrors() {
        let old = ConfigurationLoader.load(text: "global_defs {\n    vrrp_vmac_garp_intvl all 100\n}\n")
        #expect(old.configuration.globalDefs.garpExtraInterface == GarpExtraInterface(interval: 100, all: true))
        #expect(old.diagnostics.contains { $0.id == "old-spelling" && $0.location.line == 2 })
        let zero = ConfigurationLoader.load(text: "global_defs {\n    vrrp_garp_extra_if 0\n}\n")
        #expect(zero.diagnostics.contains { $0.id == "bad-value" && $0.location.line == 2 }, "global 0 is invalid, as keepalived")
        let noTime = ConfigurationLoader.load(text: "global_defs {\n    vrrp_garp_extra_if all\n}\n")
        #expect(noTime.diagnostics.contains { $0.id == "missing-argument" && $0.location.line == 2 })
        #expect(noTime.configuration.globalDefs.garpExtraInterface == nil)
    }
}
