import Testing
@testable import LVS
import VigilTypes

/// `announce`'s rule: a route is announced while every pool it follows has its quorum and
/// every instance it follows is MASTER; only changes come out, each with its reason.
@Suite struct AnnouncementStateTests {
    static let a = InternetAddress.v4(IPv4Address(203, 0, 113, 10))
    static let b = InternetAddress.v4(IPv4Address(203, 0, 113, 11))

    /// What the rule is asked against: pools and instances as sets of the ones up.
    struct World {
        var quorate: Set<Int> = []
        var masters: Set<Int> = []
        var facts: AnnouncementState.Facts {
            let q = quorate, m = masters
            return .init(hasQuorum: { q.contains($0) }, isMaster: { m.contains($0) },
                         poolName: { "virtual_server 203.0.113.10:\(80 + $0)" }, instanceName: { "VI_\($0 + 1)" })
        }
    }

    @Test func aRouteFollowsItsPoolsQuorumAndSaysWhy() {
        var state = AnnouncementState([.init(address: Self.a, pools: [0, 1])])
        var world = World(quorate: [0])
        #expect(state.evaluate(at: Instant(microseconds: 1), world.facts)
                == [.withdraw(Self.a, reason: "virtual_server 203.0.113.10:81 lacks its quorum")],
                "the first evaluation says the state, even withdrawn (an earlier run's route goes)")
        #expect(state.evaluate(at: Instant(microseconds: 2), world.facts) == [], "no change, nothing said")
        world.quorate = [0, 1]
        #expect(state.evaluate(at: Instant(microseconds: 3), world.facts)
                == [.announce(Self.a, reason: "virtual_server 203.0.113.10:80 has its quorum, virtual_server 203.0.113.10:81 has its quorum")])
        #expect(state.status[0] == .init(announced: true, reason: "virtual_server 203.0.113.10:80 has its quorum, virtual_server 203.0.113.10:81 has its quorum", since: Instant(microseconds: 3)))
        world.quorate = [1]
        #expect(state.evaluate(at: Instant(microseconds: 4), world.facts) == [.withdraw(Self.a, reason: "virtual_server 203.0.113.10:80 lacks its quorum")])
        #expect(state.status[0]?.since == Instant(microseconds: 4))
    }

    @Test func anInstanceMustBeMasterAndEveryConditionMustHold() {
        var state = AnnouncementState([.init(address: Self.a, pools: [0], instances: [1]), .init(address: Self.b, instances: [0])])
        var world = World(quorate: [0], masters: [0])
        #expect(state.evaluate(at: Instant(microseconds: 1), world.facts)
                == [.withdraw(Self.a, reason: "vrrp_instance VI_2 is not MASTER"), .announce(Self.b, reason: "vrrp_instance VI_1 is MASTER")])
        world.masters = [1]
        #expect(state.evaluate(at: Instant(microseconds: 2), world.facts)
                == [.announce(Self.a, reason: "virtual_server 203.0.113.10:80 has its quorum, vrrp_instance VI_2 is MASTER"),
                    .withdraw(Self.b, reason: "vrrp_instance VI_1 is not MASTER")])
        world.quorate = []
        #expect(state.evaluate(at: Instant(microseconds: 3), world.facts) == [.withdraw(Self.a, reason: "virtual_server 203.0.113.10:80 lacks its quorum")],
                "the pool's quorum counts as much as the instance")
    }

    @Test func stoppingWithdrawsWhatIsAnnouncedAndAReloadCarriesTheState() {
        var state = AnnouncementState([.init(address: Self.a, pools: [0]), .init(address: Self.b, pools: [1])])
        let world = World(quorate: [0])
        _ = state.evaluate(at: Instant(microseconds: 1), world.facts)
        // A reload that keeps a and drops b: a stays announced without a second announcement.
        var reloaded = AnnouncementState([.init(address: Self.a, pools: [0])], carrying: state)
        #expect(reloaded.evaluate(at: Instant(microseconds: 2), world.facts) == [], "carried: nothing to say")
        #expect(reloaded.withdrawAll(reason: "vigil stops", at: Instant(microseconds: 3)) == [.withdraw(Self.a, reason: "vigil stops")])
        #expect(reloaded.withdrawAll(reason: "vigil stops", at: Instant(microseconds: 4)) == [], "once")
        #expect(state.withdrawAll(reason: "vigil stops", at: Instant(microseconds: 5)) == [.withdraw(Self.a, reason: "vigil stops")],
                "only what is announced is withdrawn")
    }
}
