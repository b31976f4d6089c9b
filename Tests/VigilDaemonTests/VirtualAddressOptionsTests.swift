import Testing
import VigilLinux
@testable import VigilPlan

/// A virtual address line's options reach the kernel's address (flags, DAD, preferred
/// lifetime), and an address on another interface makes the instance track that interface,
/// as keepalived does, unless it says `no_track`.
@Suite struct VirtualAddressOptionsTests {
    static func plan(_ vips: [String]) throws -> InstancePlan {
        try TestBox.plan(TestBox.instance("VI_1", vrid: 51, vips: vips)).instances[0]
    }

    @Test func theLinesOptionsBecomeTheAddresssFlags() throws {
        let v4 = try Self.plan(["192.0.2.100/24 home noprefixroute", "192.0.2.101/24 autojoin"]).addresses
        #expect(v4[0].flags == InterfaceAddress.homeAddress | InterfaceAddress.noPrefixRoute)
        #expect(v4[1].flags == InterfaceAddress.multicastAutoJoin)
        // IPv6 beside an IPv4 instance: its excluded addresses (no link-local needed here).
        let excluded = "    virtual_ipaddress_excluded {\n        2001:db8::100/64 -nodad preferred_lft 0 mngtmpaddr\n"
            + "        2001:db8::101/64 preferred_lft forever\n    }"
        let v6 = Array(try TestBox.plan(TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"], extra: excluded))
            .instances[0].addresses.dropFirst())
        #expect(v6[0].flags == InterfaceAddress.manageTemporaryAddress && !v6[0].noDAD && v6[0].preferredLifetime == 0)
        #expect(v6[1].flags == 0 && v6[1].noDAD && v6[1].preferredLifetime == nil)
    }

    @Test func anAddressOnAnotherInterfaceIsTrackedUnlessNoTrack() throws {
        let tracked = try Self.plan(["192.0.2.100/24", "198.51.100.100/24 dev eth1"]).router.tracked
        #expect(tracked.filter { $0.kind == .interface }.map(\.name) == ["eth0", "eth1"])
        #expect(tracked.first { $0.name == "eth1" }?.weight == 0, "down: FAULT")
        let plan = try Self.plan(["192.0.2.100/24", "198.51.100.100/24 dev eth1 no_track"])
        #expect(plan.router.tracked.filter { $0.kind == .interface }.map(\.name) == ["eth0"])
        #expect(plan.trackedInterfaces == [7: "eth0"])
    }
}
