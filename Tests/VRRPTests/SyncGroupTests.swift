import Testing
@testable import VRRP

/// `vrrp_sync_group`: two instances per box (VRID 51 with VIP .100, VRID 52 with .101)
/// that must always sit on the same box.
@Suite struct SyncGroupTests {
    typealias Object = PriorityTracking.Object

    static func groupedPair(tracked: [Object] = []) -> SimulatedLAN {
        var lan = SimulatedLAN()
        lan.add(.pair("lb1-a", host: 11, priority: 100, vrid: 51, vip: 100, tracked: tracked))
        lan.add(.pair("lb1-b", host: 11, priority: 100, vrid: 52, vip: 101, tracked: tracked))
        lan.add(.pair("lb2-a", host: 12, priority: 90, vrid: 51, vip: 100, tracked: tracked))
        lan.add(.pair("lb2-b", host: 12, priority: 90, vrid: 52, vip: 101, tracked: tracked))
        lan.group("G1", ["lb1-a", "lb1-b"])
        lan.group("G2", ["lb2-a", "lb2-b"])
        for name in ["lb1-a", "lb1-b", "lb2-a", "lb2-b"] { lan.start(name) }
        lan.run(for: 10_000_000)
        return lan
    }

    @Test func membersAreElectedTogether() {
        let lan = Self.groupedPair()
        #expect(lan.state("lb1-a") == .master)
        #expect(lan.state("lb1-b") == .master)
        #expect(lan.state("lb2-a") == .backup)
        #expect(lan.state("lb2-b") == .backup)
        #expect(lan.groups.map(\.state) == [.master, .backup])
    }

    /// One member's link fails: the whole group goes to Fault, so both VIPs move to the
    /// peer together even though the other member could have stayed master.
    @Test func aFaultInOneMemberFaultsTheGroupAndBothVIPsMove() {
        var lan = Self.groupedPair()
        let failed = lan.now
        lan.track("lb1-a", .interface, "eth0", .down)
        #expect(lan.state("lb1-a") == .fault)
        #expect(lan.state("lb1-b") == .fault)
        #expect(lan.router("lb1-b").faults == [.syncGroup("G1")])
        #expect(lan.count("lb1-b", since: failed) { $0 == .removeVirtualAddresses } == 1)
        lan.run(for: 2_000_000)
        #expect(lan.state("lb2-a") == .master)
        #expect(lan.state("lb2-b") == .master)
        #expect(lan.groups.map(\.state) == [.fault, .master])
        lan.track("lb1-a", .interface, "eth0", .up)
        #expect(lan.state("lb1-a") == .backup)
        #expect(lan.state("lb1-b") == .backup)
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1-a") == .master)
        #expect(lan.state("lb1-b") == .master)
        #expect(lan.state("lb2-a") == .backup)
        #expect(lan.state("lb2-b") == .backup)
    }

    /// A member that loses its election to a higher-priority router takes the other
    /// member to backup at the same moment, with the group as the reason.
    @Test func oneMemberLosingItsElectionTakesTheOtherToBackup() {
        var lan = Self.groupedPair()
        lan.add(.pair("lb3-a", host: 13, priority: 110, vrid: 51, vip: 100))
        lan.start("lb3-a")
        lan.run(for: 4_000_000)
        #expect(lan.state("lb3-a") == .master)
        let lost = lan.lastTransition("lb1-a", to: .backup)
        #expect(lost != nil)
        #expect(lan.lastTransition("lb1-b", to: .backup) == lost)
        let followed = lan.log.last { $0.router == "lb1-b" && $0.time == lost }
        #expect(lan.log.contains { $0.router == "lb1-b" && $0.time == lost
            && $0.action == .transition(from: .master, to: .backup, reason: .syncGroup(group: "G1", member: "lb1-a")) })
        // It keeps its VIPs until its own new master is heard (make-before-break).
        #expect(followed?.action == .transition(from: .master, to: .backup, reason: .syncGroup(group: "G1", member: "lb1-a")))
        // Nobody here takes VRID 52 over (lb2-b follows lb2-a, still backup to lb3-a), so
        // no new master is ever heard: lb1-b's VIP was never removed in between.
        #expect(lan.count("lb1-b", since: lost!) { $0 == .removeVirtualAddresses } == 0)
    }

    /// A member with its own fault keeps the group in Fault after another member's fault
    /// clears.
    @Test func theGroupLeavesFaultOnlyWhenNoMemberHasOne() {
        var lan = Self.groupedPair(tracked: [Object(.script, "chk")])
        lan.track("lb1-a", .script, "chk", .down)
        lan.track("lb1-b", .interface, "eth0", .down)
        lan.track("lb1-a", .script, "chk", .up)
        #expect(lan.state("lb1-a") == .fault)
        #expect(lan.state("lb1-b") == .fault)
        lan.track("lb1-b", .interface, "eth0", .up)
        #expect(lan.state("lb1-a") == .backup)
        #expect(lan.state("lb1-b") == .backup)
    }
}
