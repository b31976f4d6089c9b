import Testing
@testable import LVS
import VigilTypes

/// A pool of real servers at 198.51.100.x:80 behind 192.0.2.100:80, each with checkers
/// numbered in order from 0, the way the daemon's planner numbers them.
enum PoolFixture {
    static let vip = InternetAddress.v4(IPv4Address(192, 0, 2, 100))
    static let web = IPVSService.Key.endpoint(vip, port: 80, protocol: .tcp)
    static let sorry = IPVSDestination(key: .init(address: .v4(IPv4Address(203, 0, 113, 9)), port: 80))

    static func rs(_ last: UInt8, port: UInt16 = 80) -> IPVSDestination.Key {
        .init(address: .v4(IPv4Address(198, 51, 100, last)), port: port)
    }

    /// One member per weight (198.51.100.1, .2 …), `checkers` checkers each, ids from
    /// `firstCheck` on.
    static func pool(weights: [Int32], checkers: Int = 1, firstCheck: Int = 0, quorum: Int = 1, hysteresis: Int = 0,
                     sorry: Bool = false, inhibit: Bool = false, alpha: Bool = false, key: String = "192.0.2.100:80",
                     service: IPVSService.Key = web) -> Pool {
        var next = firstCheck
        let members = weights.enumerated().map { i, w in
            let ids = Array(next..<next + checkers)
            next += checkers
            return Pool.Member(name: "virtual_server \(key) real server \(rs(UInt8(i + 1)))",
                               destination: IPVSDestination(key: rs(UInt8(i + 1)), weight: w), checks: ids,
                               inhibitOnFailure: inhibit, alpha: alpha && checkers > 0)
        }
        return Pool(name: "virtual_server \(key)", key: key, services: [IPVSService(key: service)], members: members,
                    sorry: sorry ? Self.sorry : nil, quorum: quorum, hysteresis: hysteresis)
    }

    /// The destinations of the web service in the desired table, by `ADDR:PORT`, with weights.
    static func destinations(_ state: PoolState, _ service: IPVSService.Key = web) -> [String: Int32] {
        let d = state.desiredTable.services[service]?.destinations ?? [:]
        return Dictionary(uniqueKeysWithValues: d.map { ($0.key.description, $0.value.weight) })
    }
}

/// Quorum with keepalived's hysteresis: gained at quorum + hysteresis, lost below
/// quorum − hysteresis, kept in between; the sorry server and the quorum events follow.
@Suite struct PoolQuorumTests {
    typealias F = PoolFixture

    /// Five members of weight 1, quorum 3, hysteresis 1: lost only below 2 (at 1), regained
    /// only at 4. Live weight 2 keeps the quorum and live weight 3 does not bring it back:
    /// a rule off by one either way (≤ instead of <, > instead of ≥) fails here.
    @Test func hysteresisGainsAtQuorumPlusHysteresisAndLosesBelowQuorumMinusHysteresis() {
        var state = PoolState([F.pool(weights: [1, 1, 1, 1, 1], quorum: 3, hysteresis: 1, sorry: true)])
        #expect(state.hasQuorum(0))
        func down(_ id: CheckID) -> [PoolEvent] { state.record(check: id, .down("connection refused")) }
        func up(_ id: CheckID) -> [PoolEvent] { state.record(check: id, .up) }
        let refused = "down: connection refused"
        #expect(down(0) == [.realServerDown(pool: 0, member: 0, reason: refused), .tableChanged])  // live 4
        #expect(down(1) == [.realServerDown(pool: 0, member: 1, reason: refused), .tableChanged])  // live 3
        #expect(down(2) == [.realServerDown(pool: 0, member: 2, reason: refused), .tableChanged])  // live 2 = q − h
        #expect(state.hasQuorum(0), "2 is not below quorum − hysteresis")
        #expect(F.destinations(state)[F.sorry.key.description] == nil)
        #expect(down(3) == [.realServerDown(pool: 0, member: 3, reason: refused),
                            .quorumLost(pool: 0, liveWeight: 1), .tableChanged])
        #expect(!state.hasQuorum(0))
        #expect(F.destinations(state) == ["198.51.100.5:80": 1, "203.0.113.9:80": 1])
        #expect(up(3) == [.realServerUp(pool: 0, member: 3), .tableChanged])  // live 2
        #expect(up(2) == [.realServerUp(pool: 0, member: 2), .tableChanged])  // live 3 = quorum
        #expect(!state.hasQuorum(0), "3 is not yet quorum + hysteresis")
        #expect(F.destinations(state)[F.sorry.key.description] == 1)
        #expect(up(1) == [.realServerUp(pool: 0, member: 1), .quorumGained(pool: 0, liveWeight: 4), .tableChanged])
        #expect(state.hasQuorum(0))
        #expect(F.destinations(state)[F.sorry.key.description] == nil)
    }

    /// Without hysteresis the quorum follows the live weight exactly; the quorum event comes
    /// after the member's, and the table once after both.
    @Test func withoutHysteresisQuorumFollowsTheLiveWeight() {
        var state = PoolState([F.pool(weights: [1, 1], quorum: 2)])
        #expect(state.record(check: 1, .down("HTTP 503"))
                == [.realServerDown(pool: 0, member: 1, reason: "down: HTTP 503"), .quorumLost(pool: 0, liveWeight: 1), .tableChanged])
        #expect(state.record(check: 1, .up)
                == [.realServerUp(pool: 0, member: 1), .quorumGained(pool: 0, liveWeight: 2), .tableChanged])
    }

    /// The live weight counts configured weights: weight 3 alone meets quorum 3.
    @Test func theLiveWeightIsTheSumOfConfiguredWeights() {
        var state = PoolState([F.pool(weights: [3, 1], quorum: 3)])
        #expect(state.record(check: 1, .down("x")) == [.realServerDown(pool: 0, member: 1, reason: "down: x"), .tableChanged])
        #expect(state.hasQuorum(0))
        #expect(state.record(check: 0, .down("x")).contains(.quorumLost(pool: 0, liveWeight: 0)))
    }

    /// At start (and after a reload) the quorum is judged without hysteresis: live weight
    /// 2 with quorum 2 and hysteresis 1 has it, though gaining it later would take 3.
    @Test func theStartingQuorumIgnoresTheHysteresis() {
        #expect(PoolState([F.pool(weights: [1, 1], quorum: 2, hysteresis: 1)]).hasQuorum(0))
        #expect(!PoolState([F.pool(weights: [1], quorum: 2, hysteresis: 1)]).hasQuorum(0))
    }

    /// The sorry server stands in only while the pool lacks its quorum, and only if it has one.
    @Test func theSorryServerStandsInOnQuorumLoss() {
        var state = PoolState([F.pool(weights: [1], sorry: true)])
        #expect(F.destinations(state) == ["198.51.100.1:80": 1])
        _ = state.record(check: 0, .down("timeout"))
        #expect(F.destinations(state) == ["203.0.113.9:80": 1])
        _ = state.record(check: 0, .up)
        #expect(F.destinations(state) == ["198.51.100.1:80": 1])
        var bare = PoolState([F.pool(weights: [1])])
        #expect(bare.record(check: 0, .down("timeout")).contains(.quorumLost(pool: 0, liveWeight: 0)))
        #expect(F.destinations(bare).isEmpty, "no sorry server: an empty service")
    }
}

/// Real servers: checkers' verdicts, alpha, inhibit_on_failure, misc_dynamic weights and
/// the operator's drain.
@Suite struct PoolMemberTests {
    typealias F = PoolFixture

    /// A down member leaves the service, or stays at weight 0 with inhibit_on_failure.
    @Test func inhibitOnFailureKeepsADownMemberAtWeightZero() {
        var removed = PoolState([F.pool(weights: [2, 1])])
        _ = removed.record(check: 0, .down("x"))
        #expect(F.destinations(removed) == ["198.51.100.2:80": 1])
        var inhibited = PoolState([F.pool(weights: [2, 1], inhibit: true)])
        _ = inhibited.record(check: 0, .down("x"))
        #expect(F.destinations(inhibited) == ["198.51.100.1:80": 0, "198.51.100.2:80": 1])
        _ = inhibited.record(check: 0, .up)
        #expect(F.destinations(inhibited) == ["198.51.100.1:80": 2, "198.51.100.2:80": 1])
    }

    /// alpha: down until every checker has passed once (a first success is an "up"
    /// event); without it a member is up from the start and a first success says nothing.
    @Test func alphaStartsDownOthersStartUp() {
        var alpha = PoolState([F.pool(weights: [1], checkers: 2, sorry: true, alpha: true)])
        #expect(!alpha.realServers[0][0].isUp && !alpha.hasQuorum(0))
        #expect(F.destinations(alpha) == ["203.0.113.9:80": 1])
        #expect(alpha.record(check: 0, .up).isEmpty, "one checker of two")
        #expect(alpha.record(check: 1, .up)
                == [.realServerUp(pool: 0, member: 0), .quorumGained(pool: 0, liveWeight: 1), .tableChanged])
        var plain = PoolState([F.pool(weights: [1], checkers: 2, sorry: true)])
        #expect(plain.realServers[0][0].isUp && plain.hasQuorum(0))
        #expect(plain.record(check: 0, .up).isEmpty)
        #expect(plain.realServers[0][0].lastCheck == "up")
    }

    /// One failing checker takes the member out; it is back only when that one passes too.
    @Test func everyCheckerMustPass() {
        var state = PoolState([F.pool(weights: [1, 1], checkers: 2)])
        #expect(state.record(check: 1, .down("HTTP 503")) == [.realServerDown(pool: 0, member: 0, reason: "down: HTTP 503"), .tableChanged])
        #expect(state.record(check: 0, .up).isEmpty)
        #expect(state.record(check: 1, .up) == [.realServerUp(pool: 0, member: 0), .tableChanged])
        #expect(state.record(check: 2, .down("x")) == [.realServerDown(pool: 0, member: 1, reason: "down: x"), .tableChanged])
        #expect(state.realServers[0][1].lastCheck == "down: x")
    }

    /// A result for a checker no pool owns (from before a reload) changes nothing.
    @Test func anUnknownCheckIsIgnored() {
        var state = PoolState([F.pool(weights: [1])])
        let before = state.realServers
        #expect(state.record(check: 7, .down("x")).isEmpty)
        #expect(state.realServers == before)
    }

    /// misc_dynamic: the weight replaces the configured one while up (a change is a table
    /// change even when the health is not), the same weight again is no event, and the
    /// quorum still counts the configured weight.
    @Test func dynamicWeights() {
        var state = PoolState([F.pool(weights: [1, 1], quorum: 2)])
        #expect(state.record(check: 0, .upWithWeight(5)) == [.weightChanged(pool: 0, member: 0, weight: 5), .tableChanged])
        #expect(F.destinations(state) == ["198.51.100.1:80": 5, "198.51.100.2:80": 1])
        #expect(state.realServers[0][0].lastCheck == "up with weight 5")
        #expect(state.record(check: 0, .upWithWeight(5)).isEmpty)
        #expect(state.record(check: 1, .upWithWeight(0)) == [.weightChanged(pool: 0, member: 1, weight: 0), .tableChanged])
        #expect(state.hasQuorum(0), "weight 0 from misc_dynamic is still configured weight 1 for quorum")
        // Down: the dynamic weight is kept for when it comes back with a plain "up".
        _ = state.record(check: 0, .down("MISC_CHECK exit status 1"))
        #expect(F.destinations(state) == ["198.51.100.2:80": 0])
        #expect(state.record(check: 0, .up) == [.realServerUp(pool: 0, member: 0), .quorumGained(pool: 0, liveWeight: 2), .tableChanged])
        #expect(F.destinations(state)["198.51.100.1:80"] == 5)
    }

    /// A dynamic weight arriving with the member's first success: weight, then up.
    @Test func aDynamicWeightWithAnAlphaMembersFirstSuccess() {
        var state = PoolState([F.pool(weights: [1], alpha: true)])
        #expect(state.record(check: 0, .upWithWeight(9))
                == [.weightChanged(pool: 0, member: 0, weight: 9), .realServerUp(pool: 0, member: 0),
                    .quorumGained(pool: 0, liveWeight: 1), .tableChanged])
        #expect(F.destinations(state) == ["198.51.100.1:80": 9])
    }

    /// Drain: weight 0 (over a dynamic weight too) while up, not counted out of the quorum;
    /// undrain restores the weight; doing either twice says it already was.
    @Test func drainAndUndrain() {
        var state = PoolState([F.pool(weights: [3, 1], quorum: 4)])
        #expect(state.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80", true)
                == .success(PoolState.Drain(pool: 0, member: 0, changed: true)))
        #expect(F.destinations(state) == ["198.51.100.1:80": 0, "198.51.100.2:80": 1])
        #expect(state.hasQuorum(0) && state.realServers[0][0].drained)
        #expect(state.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1", true)
                == .success(PoolState.Drain(pool: 0, member: 0, changed: false)), "by address alone; already drained")
        _ = state.record(check: 0, .upWithWeight(7))
        #expect(F.destinations(state)["198.51.100.1:80"] == 0, "a drain outranks misc_dynamic")
        #expect(state.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80", false)
                == .success(PoolState.Drain(pool: 0, member: 0, changed: true)))
        #expect(F.destinations(state)["198.51.100.1:80"] == 7)
        #expect(state.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80", false)
                == .success(PoolState.Drain(pool: 0, member: 0, changed: false)))
        // A drained member that goes down leaves the pool like any other.
        _ = state.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.2:80", true)
        _ = state.record(check: 1, .down("x"))
        #expect(F.destinations(state) == ["198.51.100.1:80": 7])
    }

    /// What `vigil drain` says when it cannot name one real server.
    @Test func drainRefusals() {
        var pool = F.pool(weights: [1, 1])
        pool.members[1].destination.key = F.rs(1, port: 8080)
        var state = PoolState([pool])
        let noVS = state.drain(virtualServer: "192.0.2.1:80", realServer: "198.51.100.1:80", true)
        #expect(noVS == .failure(.noVirtualServer("192.0.2.1:80", known: ["192.0.2.100:80"])))
        if case let .failure(why) = noVS { #expect(why.description == "no virtual server 192.0.2.1:80; there are: 192.0.2.100:80") }
        let noRS = state.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.9", true)
        if case let .failure(why) = noRS {
            #expect(why.description == "virtual server 192.0.2.100:80 has no real server 198.51.100.9; it has: 198.51.100.1:80, 198.51.100.1:8080")
        } else { Issue.record("drained an unknown real server") }
        let ambiguous = state.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1", true)
        if case let .failure(why) = ambiguous {
            #expect(why.description == "198.51.100.1 is ambiguous in 192.0.2.100:80: say ADDRESS:PORT")
        } else { Issue.record("an ambiguous address drained") }
        #expect(!state.realServers[0].contains { $0.drained })
        #expect(state.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:8080", true)
                == .success(PoolState.Drain(pool: 0, member: 1, changed: true)))
    }
}

/// `ha_suspend` presence and the reload's carry-over.
@Suite struct PoolLifecycleTests {
    typealias F = PoolFixture

    /// A pool with ha_suspend runs its checkers only while one of its addresses is here;
    /// one without never suspends; an address of no pool changes nothing.
    @Test func haSuspendFollowsTheAddresses() {
        let other = InternetAddress.v4(IPv4Address(192, 0, 2, 101))
        var suspending = F.pool(weights: [1, 1])
        suspending.haSuspendAddresses = [F.vip, other]
        let plain = F.pool(weights: [1], firstCheck: 2, key: "192.0.2.200:80")
        var state = PoolState([suspending, plain])
        #expect(state.watchesAddresses && !PoolState([plain]).watchesAddresses)
        #expect(state.isSuspended(0) && !state.isSuspended(1), "nothing known present yet")
        #expect(state.suspendedChecks == [0, 1])
        state.addressesOnThisBox([other, InternetAddress.v4(IPv4Address(198, 51, 100, 1))])
        #expect(!state.isSuspended(0) && state.suspendedChecks.isEmpty)
        #expect(state.addressesChanged([F.vip], present: true).isEmpty, "already running")
        #expect(state.addressesChanged([other], present: false).isEmpty, "192.0.2.100 is still here")
        #expect(state.addressesChanged([F.vip], present: false) == [.checksSuspended(pool: 0, checks: [0, 1], suspended: true)])
        #expect(state.addressesChanged([F.vip], present: false).isEmpty)
        #expect(state.addressesChanged([InternetAddress.v4(IPv4Address(192, 0, 2, 200))], present: true).isEmpty)
        #expect(state.addressesChanged([other], present: true) == [.checksSuspended(pool: 0, checks: [0, 1], suspended: false)])
    }

    /// A reload keeps, by virtual server key and `ADDR:PORT`: health, last result,
    /// misc_dynamic weight (with as many checkers as before) and drain (always). A new
    /// member starts fresh (alpha: down); a removed one is gone; quorum is judged afresh;
    /// the new plan's check ids are the ones that count.
    @Test func carryOverOnReload() {
        var old = PoolState([F.pool(weights: [1, 1, 1, 1], quorum: 3, hysteresis: 1, sorry: true)])
        _ = old.record(check: 0, .down("HTTP 503"))
        _ = old.record(check: 1, .upWithWeight(4))
        _ = old.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.2:80", true)
        _ = old.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.4:80", true)
        _ = old.record(check: 3, .down("timeout"))
        // .3 down too: live 1 < 2, the sorry server is in.
        _ = old.record(check: 2, .down("timeout"))
        #expect(!old.hasQuorum(0))

        // New plan: .1 and .2 kept (ids renumbered from 10), .3 gone, .4 kept with two
        // checkers (its verdicts no longer fit), .5 new with alpha.
        var pool = F.pool(weights: [1, 1, 1, 1], firstCheck: 10, quorum: 2, hysteresis: 1, sorry: true)
        pool.members[2].destination.key = F.rs(4)
        pool.members[2].checks = [12, 14]
        pool.members[3].destination.key = F.rs(5)
        pool.members[3].checks = [13]
        pool.members[3].alpha = true
        var new = old.carryOver(into: [pool])
        let kept1 = new.realServers[0][0], kept2 = new.realServers[0][1], kept4 = new.realServers[0][2], fresh = new.realServers[0][3]
        #expect(!kept1.isUp && kept1.lastCheck == "down: HTTP 503" && !kept1.drained)
        #expect(kept2.isUp && kept2.dynamicWeight == 4 && kept2.drained && kept2.lastCheck == "up with weight 4")
        #expect(kept4.isUp && kept4.lastCheck == nil && kept4.drained, "fresh health, drain kept")
        #expect(!fresh.isUp && fresh.lastCheck == nil && !fresh.drained && fresh.dynamicWeight == nil)
        // Live 2 (.2 and .4) ≥ quorum 2: judged without hysteresis, so the pool has it.
        #expect(new.hasQuorum(0))
        #expect(F.destinations(new) == ["198.51.100.2:80": 0, "198.51.100.4:80": 0])
        #expect(new.record(check: 0, .up).isEmpty, "an old id")
        #expect(new.record(check: 10, .up) == [.realServerUp(pool: 0, member: 0), .tableChanged])
        #expect(new.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.2:80", false)
                == .success(PoolState.Drain(pool: 0, member: 1, changed: true)))
        #expect(F.destinations(new) == ["198.51.100.1:80": 1, "198.51.100.2:80": 4, "198.51.100.4:80": 0])

        // A real server moved to another virtual server is a new one there.
        let moved = old.carryOver(into: [F.pool(weights: [1, 1], key: "192.0.2.100:8080")])
        #expect(moved.realServers[0].allSatisfy { $0.lastCheck == nil && !$0.drained && $0.isUp })
    }

    /// Members without checkers are always up and carry only their drain.
    @Test func membersWithoutCheckersAreAlwaysUp() {
        var state = PoolState([F.pool(weights: [1, 1], checkers: 0, alpha: true)])
        #expect(state.realServers[0].allSatisfy { $0.isUp })
        _ = state.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.1:80", true)
        let next = state.carryOver(into: [F.pool(weights: [1, 1], checkers: 0)])
        #expect(next.realServers[0].map(\.drained) == [true, false])
    }

    /// The desired table holds every pool's services; a pool of a virtual_server_group has
    /// one service per member of the group, each with the same destinations.
    @Test func everyServiceOfAPoolGetsTheDestinations() {
        var pool = F.pool(weights: [1, 2])
        let second = IPVSService.Key.endpoint(InternetAddress.v4(IPv4Address(192, 0, 2, 101)), port: 80, protocol: .tcp)
        pool.services.append(IPVSService(key: second))
        var state = PoolState([pool])
        _ = state.record(check: 1, .down("x"))
        #expect(state.desiredTable.services.count == 2)
        #expect(F.destinations(state) == ["198.51.100.1:80": 1])
        #expect(F.destinations(state, second) == ["198.51.100.1:80": 1])
    }
}

/// UDP_CHECK's reply rules, keepalived's: the shorter of reply and expected data is
/// compared, masked nibbles excepted; the length bounds apply only when data is expected.
@Suite struct UDPCheckSettingsTests {
    @Test func judge() {
        let any = UDPCheckSettings(requireReply: true)
        #expect(any.judge([]) == .up && any.judge(Array(repeating: 1, count: 300)) == .up)
        let data = UDPCheckSettings(requireReply: true, replyData: [0xab, 0xcd], mask: [0x0f, 0], minLength: 1, maxLength: 3)
        #expect(data.judge([0xa0, 0xcd]) == .up)
        #expect(data.judge([0xa0]) == .up, "only the shorter is compared")
        #expect(data.judge([0xb0, 0xcd]) == .down("UDP reply data mismatch at byte 0"))
        #expect(data.judge([]) == .down("UDP reply of 0 bytes, expected 1 to 3"))
        #expect(data.judge([0xab, 0xcd, 0, 0]) == .down("UDP reply of 4 bytes, expected 1 to 3"))
        #expect(UDPCheckSettings.defaultPayload.count == 32)
    }
}

/// DNS_CHECK's query and keepalived's reading of the answer.
@Suite struct DNSCheckSettingsTests {
    @Test func theQueryIsKeepalivedsDatagram() {
        let q = DNSCheckSettings(type: 1, name: "www.example.com").query(id: 0x1234)
        #expect(q == [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                      3] + Array("www".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1])
        let root = DNSCheckSettings().query(id: 1)
        #expect(root.suffix(5) == [0, 0, 6, 0, 1], "keepalived's default: SOA of the root")
        #expect(DNSCheckSettings(type: 1, name: "example.com.").query(id: 1) == DNSCheckSettings(type: 1, name: "example.com").query(id: 1))
    }

    @Test func theAnswerIsJudgedByIDResponseAndCode() {
        let s = DNSCheckSettings(type: 1, name: "example.com")
        func answer(id: UInt16, response: Bool = true, rcode: UInt8 = 0) -> [UInt8] {
            [UInt8(id >> 8), UInt8(id & 0xff), response ? 0x81 : 0x01, 0x80 | rcode, 0, 1, 0, 1, 0, 0, 0, 0]
        }
        #expect(s.judge(answer(id: 7), id: 7) == .up)
        #expect(s.judge(answer(id: 8), id: 7) == nil, "another query's answer: wait on")
        #expect(s.judge(answer(id: 7, response: false), id: 7) == nil, "a query, not an answer")
        #expect(s.judge([0, 7, 0x81], id: 7) == nil, "too short")
        #expect(s.judge(answer(id: 7, rcode: 3), id: 7) == .down("DNS A example.com: rcode 3 (NXDOMAIN)"))
        #expect(s.judge(answer(id: 7, rcode: 5), id: 7) == .down("DNS A example.com: rcode 5 (REFUSED)"))
    }
}

/// HTTP_GET's `regex` on a body, keepalived's rules: must match (or, with regex_no_match,
/// must not), the match starting within the offsets; the options that take effect.
@Suite struct URLRegexTests {
    static let body = Array("<html>\nStatus: OK\nbuild 42\n</html>".utf8)

    @Test func matchNoMatchAndOptions() {
        typealias URL = HTTPGetSettings.URL
        #expect(URL(path: "/", regex: "Status: (OK|DEGRADED)").regexFailure(Self.body) == nil)
        #expect(URL(path: "/h", regex: "Status: DOWN").regexFailure(Self.body) == "regex 'Status: DOWN' not matched in /h")
        #expect(URL(path: "/", regex: "Status: DOWN", regexNoMatch: true).regexFailure(Self.body) == nil)
        #expect(URL(path: "/h", regex: "build \\d+", regexNoMatch: true).regexFailure(Self.body)
                == "regex 'build \\d+' matched in /h (regex_no_match)")
        #expect(URL(path: "/", regex: "status: ok").regexFailure(Self.body) != nil)
        #expect(URL(path: "/", regex: "status: ok", regexOptions: ["caseless"]).regexFailure(Self.body) == nil)
        #expect(URL(path: "/", regex: "^build").regexFailure(Self.body) != nil)
        #expect(URL(path: "/", regex: "^build", regexOptions: ["multiline"]).regexFailure(Self.body) == nil)
        #expect(URL(path: "/", regex: "OK . build", regexOptions: ["dotall", "extended"]).regexFailure(Self.body) == nil,
                "extended ignores the spaces, dotall lets . match the newline")
    }

    @Test func offsetsBoundWhereTheMatchStarts() {
        typealias URL = HTTPGetSettings.URL
        // "Status" starts at byte 7.
        #expect(URL(path: "/", regex: "Status", matchStart: 0...7).regexFailure(Self.body) == nil)
        #expect(URL(path: "/", regex: "Status", matchStart: 0...6).regexFailure(Self.body) != nil)
        #expect(URL(path: "/", regex: "Status", matchStart: 8...100).regexFailure(Self.body) != nil)
        #expect(URL(path: "/", regex: "html", matchStart: 8...100).regexFailure(Self.body) == nil, "the closing tag")
    }
}

/// FILE_CHECK's rule, keepalived's: weight 0 turns a non-zero number (reversed: zero)
/// into down; a weight moves the real server's weight by number × weight, never below 0.
@Suite struct FileCheckRuleTests {
    @Test func weightZeroIsUpOrDown() {
        #expect(FileCheckRule.outcome(name: "f", value: 0, weight: 0, reverse: false, configured: 3) == .up)
        #expect(FileCheckRule.outcome(name: "f", value: 7, weight: 0, reverse: false, configured: 3) == .down("track_file f reads 7"))
        #expect(FileCheckRule.outcome(name: "f", value: 0, weight: 0, reverse: true, configured: 3) == .down("track_file f reads 0"))
        #expect(FileCheckRule.outcome(name: "f", value: 1, weight: 0, reverse: true, configured: 3) == .up)
    }

    @Test func aWeightMovesTheServersWeight() {
        #expect(FileCheckRule.outcome(name: "f", value: 3, weight: 2, reverse: false, configured: 1) == .upWithWeight(7))
        #expect(FileCheckRule.outcome(name: "f", value: 3, weight: 2, reverse: true, configured: 10) == .upWithWeight(4))
        #expect(FileCheckRule.outcome(name: "f", value: -50, weight: 1, reverse: false, configured: 10) == .upWithWeight(0), "never below 0")
        #expect(FileCheckRule.outcome(name: "f", value: Int64(Int32.max), weight: 2, reverse: true, configured: 1)
                == .down("track_file f reads 2147483647: weight at its fault value"))
        #expect(FileCheckRule.outcome(name: "f", value: Int64.max, weight: 3, reverse: false, configured: 1) == .upWithWeight(Int32.max),
                "an overflow saturates")
    }
}
