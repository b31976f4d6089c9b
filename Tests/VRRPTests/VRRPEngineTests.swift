import Testing
@testable import VRRP
import VigilTypes

/// The box-wide rules the engine holds: which instance an advert reaches, who hears a
/// tracked object, and a sync group's outputs in order. (SimulatedLAN drives every other
/// VRRP test through the engine too.)
@Suite struct VRRPEngineTests {
    typealias Config = VirtualRouter.Configuration

    /// An advert as a peer at 192.0.2.`host` sends it, decoded as the socket would hand it over.
    static func heard(vrid: UInt8, priority: UInt8, from host: UInt8, vip: UInt8 = 100) throws -> ReceivedAdvertisement {
        let peer = VirtualRouter(.pair("peer", host: host, priority: priority, vrid: vrid, vip: vip))
        let source = IPv4Address(192, 0, 2, host)
        let payload = peer.advertisement().encode(source: .v4(source), destination: InternetAddress.v4(source).vrrpMulticastGroup)
        return try ReceivedAdvertisement.decode(ipPacket: SimulatedLAN.ipPacket(payload, from: source)[...])
    }

    /// Two links, VRID 51 on each (allowed: a VRID is unique per link), VRID 52 on link 0.
    static func box() -> VRRPEngine {
        var engine = VRRPEngine()
        engine.add(VirtualRouter(.pair("A51", host: 11, priority: 100, vrid: 51, vip: 100)), channel: 0)
        engine.add(VirtualRouter(.pair("B51", host: 11, priority: 100, vrid: 51, vip: 101)), channel: 1)
        engine.add(VirtualRouter(.pair("A52", host: 11, priority: 100, vrid: 52, vip: 102)), channel: 0)
        engine.add(VirtualRouter(Config(name: "waiting", virtualRouterID: 53, virtualAddresses: [.v4(IPv4Address(192, 0, 2, 103))],
                                        primaryAddress: .v4(IPv4Address(192, 0, 2, 11)))), channel: nil)
        _ = engine.start(at: .zero)
        return engine
    }

    @Test func anAdvertReachesOnlyTheInstanceOfItsVRIDOnItsLink() throws {
        var engine = Self.box()
        guard case let .accepted(id, outputs) = engine.receive(try Self.heard(vrid: 51, priority: 200, from: 12, vip: 101),
                                                               on: 1, at: Instant(microseconds: 10)) else {
            Issue.record("not accepted")
            return
        }
        #expect(engine[id].configuration.name == "B51")
        #expect(engine[id].masterAddress == .v4(IPv4Address(192, 0, 2, 12)))
        #expect(engine.instance(named: "A51").map { engine[$0].masterAddress } == .some(nil))
        #expect(outputs.allSatisfy { if case .instance(id, _) = $0 { true } else { false } })
    }

    @Test func aVRIDNobodyHasOnThatLinkIsUnclaimed() throws {
        var engine = Self.box()
        // VRID 52 lives on link 0 only; VRID 53's instance has no link yet.
        for (vrid, channel) in [(UInt8(52), 1), (53, 0), (53, 1), (54, 0)] {
            let delivery = engine.receive(try Self.heard(vrid: vrid, priority: 200, from: 12), on: channel, at: .zero)
            guard case let .unclaimed(rejection) = delivery else {
                Issue.record("VRID \(vrid) on link \(channel): \(delivery)")
                continue
            }
            #expect(rejection == .unknownVirtualRouter(vrid))
        }
    }

    @Test func aRefusedAdvertNamesTheInstanceThatRefusedIt() throws {
        var engine = Self.box()
        // VIP 192.0.2.200 is not A51's 192.0.2.100: the address lists disagree.
        let delivery = engine.receive(try Self.heard(vrid: 51, priority: 200, from: 12, vip: 200), on: 0, at: .zero)
        guard case let .rejected(id, rejection) = delivery else {
            Issue.record("\(delivery)")
            return
        }
        #expect(engine[id].configuration.name == "A51")
        #expect(rejection.reason == "address_list")
    }

    @Test func aTrackedObjectReachesEveryInstanceThatTracksItAndNoOther() {
        var engine = VRRPEngine()
        let script = PriorityTracking.Object(.script, "chk")
        engine.add(VirtualRouter(.pair("one", host: 11, priority: 100, vrid: 1, tracked: [script])), channel: 0)
        engine.add(VirtualRouter(.pair("two", host: 11, priority: 100, vrid: 2)), channel: 0)
        engine.add(VirtualRouter(.pair("three", host: 11, priority: 100, vrid: 3, tracked: [script])), channel: 0)
        _ = engine.start(at: .zero)
        let outputs = engine.track(.down, kind: .script, name: "chk", at: Instant(microseconds: 5))
        let faulted = Set(outputs.compactMap { o -> Int? in
            if case let .instance(id, .transition(_, .fault, _)) = o { id } else { nil }
        })
        #expect(faulted == [0, 2])
        #expect(engine.routers.map(\.state) == [.fault, .backup, .fault])
        #expect(engine[1].faults.isEmpty)
    }

    /// A member's transition, then the other member's, then the group's own state: the
    /// order the edge logs and runs notify scripts in.
    @Test func aSyncGroupFollowsAMemberAndSaysSoLast() {
        var engine = VRRPEngine()
        engine.add(VirtualRouter(.pair("a", host: 11, priority: 100, vrid: 51)), channel: 0)
        engine.add(VirtualRouter(.pair("b", host: 11, priority: 100, vrid: 52, vip: 101)), channel: 0)
        engine.add(VirtualRouter(.pair("alone", host: 11, priority: 100, vrid: 53, vip: 102)), channel: 0)
        engine.add(SyncGroupCoordinator(name: "G", members: [0, 1]))
        _ = engine.start(at: .zero)
        #expect(engine.syncGroup(of: 1) == 0)
        #expect(engine.syncGroup(of: 2) == nil)
        let outputs = engine.track(.down, kind: .interface, name: "eth0", instance: 0, at: Instant(microseconds: 5))
        let order = outputs.compactMap { o -> String? in
            switch o {
            case let .instance(id, .transition(_, to, _)): "\(engine[id].configuration.name)->\(to)"
            case let .syncGroup(g, _, to): "\(engine.syncGroups[g].name)->\(to)"
            default: nil
            }
        }
        #expect(order == ["a->FAULT", "b->FAULT", "G->FAULT"])
        #expect(engine[2].state == .backup)
    }

    @Test func theNextDeadlineIsTheEarliestOfAnyInstance() {
        var engine = VRRPEngine()
        engine.add(VirtualRouter(.pair("slow", host: 11, priority: 100, interval: 5_000_000, vrid: 1)), channel: 0)
        engine.add(VirtualRouter(.pair("fast", host: 11, priority: 100, version: .v3, interval: 100_000, vrid: 2)), channel: 0)
        _ = engine.start(at: .zero)
        #expect(engine.nextDeadline == engine.routers.compactMap(\.nextDeadline).min())
        #expect(engine.nextDeadline == engine[1].nextDeadline)
        let due = engine.advance(to: engine.nextDeadline!)
        #expect(!due.isEmpty)
        #expect(due.allSatisfy { if case .instance(1, _) = $0 { true } else { false } })
    }
}
