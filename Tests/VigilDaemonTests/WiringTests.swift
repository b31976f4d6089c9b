import Logging
import Testing
import VRRP
import VigilConfig
import VigilTypes
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// The daemon's wiring against fake links: which instances share a socket and an
/// announcer, what a use_vmac instance moves onto its macvlan, what a waiting instance
/// opens (nothing), what a reload reuses, and what a failed wiring leaves behind.
@Suite struct WiringTests {
    typealias Links = TestBox.Links
    static let interfaces = TestBox.interfaces

    static func instance(_ name: String, vrid: Int, interface: String, vip: String, extra: String = "") -> String {
        """
        vrrp_instance \(name) {
            interface \(interface)
            virtual_router_id \(vrid)
            priority 100
        \(extra)
            virtual_ipaddress {
                \(vip)
            }
        }

        """
    }

    /// VI_1 and VI_2 multicast on eth0, VI_3 unicast on eth0, VI_4 on a macvlan of eth1,
    /// VI_5 on an interface that does not exist yet.
    static let text = "global_defs {\n    dynamic_interfaces\n}\n"
        + instance("VI_1", vrid: 51, interface: "eth0", vip: "192.0.2.100/24")
        + instance("VI_2", vrid: 52, interface: "eth0", vip: "192.0.2.101/24")
        + instance("VI_3", vrid: 53, interface: "eth0", vip: "192.0.2.102/24",
                   extra: "    unicast_src_ip 192.0.2.11\n    unicast_peer {\n        192.0.2.12\n    }")
        + instance("VI_4", vrid: 54, interface: "eth1", vip: "198.51.100.100/24", extra: "    use_vmac vrrp.54")
        + instance("VI_5", vrid: 55, interface: "bond0", vip: "203.0.113.100/24", extra: "    dont_track_primary")

    static func plans(_ text: String = text) throws -> [InstancePlan] {
        let result = ConfigurationLoader.load(text: text)
        #expect(!result.diagnostics.contains { $0.severity == .error }, "\(result.diagnostics)")
        return try DaemonPlan.make(result.configuration, host: StaticPlanningHost(interfaces: interfaces)).instances
    }

    static let logger = TestBox.quiet

    @Test func instancesOnOneLinkShareItsSocketAndAnnouncer() throws {
        let links = Links()
        let (w, _) = try Daemon.wire(try Self.plans(), previous: .init(), links: links, logger: Self.logger)
        #expect(w.socketOfInstance.count == 5)
        let s = try #require(w.socketOfInstance[0])
        #expect(w.socketOfInstance[1] == s, "VI_2 multicasts on VI_1's link")
        let unicast = try #require(w.socketOfInstance[2])
        #expect(unicast != s, "a unicast instance has its own socket, bound to its source")
        #expect(w.sockets[s].interfaceName == "eth0" && w.sockets[unicast].interfaceName == "eth0")
        #expect(links.journal.calls.filter { $0 == "GARP eth0" }.count == 1, "one announcer per link: \(links.journal.calls)")
        #expect(links.journal.calls.contains("socket eth0 unicast from 192.0.2.11"))
        #expect(w.instancesOnInterface[7]?.sorted() == [0, 1, 2])
    }

    @Test func aMacvlanCarriesItsInstancesVIPsAndSendsItsAdverts() throws {
        let links = Links()
        let (w, wired) = try Daemon.wire(try Self.plans(), previous: .init(), links: links, logger: Self.logger)
        let vmac = try #require(links.links.first)
        #expect(vmac.name == "vrrp.54" && links.journal.calls.contains("macvlan vrrp.54 on eth1"))
        #expect(wired[3].addresses.allSatisfy { $0.interfaceIndex == vmac.index }, "the VIPs go on the macvlan")
        #expect(wired[3].announced.allSatisfy { $0.1.index == vmac.index && $0.1.hardwareAddress == [0, 0, 0x5e, 0, 1, 54] })
        // It listens on its parent and sends from the macvlan (the virtual MAC on the wire).
        let listening = try #require(w.socketOfInstance[3])
        #expect(w.sockets[listening].interfaceName == "eth1")
        let sending = try #require(w.transmitSocket[3] as? Links.Channel)
        #expect(sending.interfaceName == "vrrp.54" && !sending.receives)
        let announcer = try #require(w.announcers[vmac.index] as? Links.Announcer)
        #expect(announcer.interface == "vrrp.54" && announcer.hardwareAddress == [0, 0, 0x5e, 0, 1, 54])
    }

    @Test func anInstanceWaitingForItsInterfaceOpensNothing() throws {
        let links = Links()
        let (w, _) = try Daemon.wire(try Self.plans(), previous: .init(), links: links, logger: Self.logger)
        #expect(w.socketOfInstance[4] == nil)
        #expect(!links.journal.calls.contains { $0.contains("bond0") })
    }

    /// A reload reopens nothing that fits: the same sockets, macvlan and announcers (by
    /// identity) go on, so no advert pauses and no macvlan flaps.
    @Test func aReloadReusesWhatFits() throws {
        let links = Links()
        let (first, _) = try Daemon.wire(try Self.plans(), previous: .init(), links: links, logger: Self.logger)
        let openedAtStart = links.journal.calls.count
        let (second, _) = try Daemon.wire(try Self.plans(), previous: first, links: links, logger: Self.logger)
        #expect(links.journal.calls.count == openedAtStart, "reopened: \(links.journal.calls.dropFirst(openedAtStart))")
        #expect(second.sockets.count == first.sockets.count)
        for (a, b) in zip(first.sockets, second.sockets) { #expect(a === b) }
        #expect(second.virtualMACs["vrrp.54"] === first.virtualMACs["vrrp.54"])
        #expect(second.transmitSocket[3] === first.transmitSocket[3])
        #expect(second.announcers[7] === first.announcers[7])
    }

    /// A wiring that fails removes the macvlans it created itself, never one the running
    /// wiring holds, and throws before the running set is touched.
    @Test func aFailedWiringRemovesOnlyTheMacvlansItCreated() throws {
        let links = Links()
        let (running, _) = try Daemon.wire(try Self.plans(), previous: .init(), links: links, logger: Self.logger)
        links.refuse = ["vrrp.56"]
        let more = Self.text + Self.instance("VI_6", vrid: 56, interface: "eth1", vip: "198.51.100.101/24", extra: "    use_vmac vrrp.56")
        #expect(throws: SystemCallError.self) {
            _ = try Daemon.wire(try Self.plans(more), previous: running, links: links, logger: Self.logger)
        }
        let created = try #require(links.links.first { $0.name == "vrrp.56" })
        #expect(created.removed)
        #expect(links.links.first { $0.name == "vrrp.54" }?.removed == false)
    }

    /// A link of the macvlan's name that is not one is refused at the instance's use_vmac line.
    @Test func aForeignLinkOfTheMacvlansNameIsRefusedWhereItIsAsked() throws {
        let links = Links()
        links.conflicting = "vrrp.54"
        do {
            _ = try Daemon.wire(try Self.plans(), previous: .init(), links: links, logger: Self.logger)
            Issue.record("wired over a bridge named vrrp.54")
        } catch let problem as InstancePlan.Problem {
            #expect(problem.message.contains("(VI_4) use_vmac") && problem.message.contains("bridge"))
            #expect(problem.location.line > 0)
        }
    }
}
