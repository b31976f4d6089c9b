import Testing
@testable import VRRP
import VigilTypes

/// RFC 3768 §6.4 state by state, with virtual time. Priority 100 gives Skew_Time
/// 156/256 s = 609,375 µs; priority 90 gives 648,437 µs (Master_Down_Interval 3 s more).
@Suite struct VirtualRouterTests {
    static let t0 = Instant.zero
    static func at(_ micro: Int64) -> Instant { Instant(microseconds: micro) }

    // MARK: - §6.4.1 Initialize

    @Test func aLoneBackupTakesOverAtMasterDownInterval() {
        var lan = SimulatedLAN()
        lan.add(.pair("lb1", host: 11, priority: 100))
        lan.start("lb1")
        #expect(lan.state("lb1") == .backup)
        lan.run(until: Self.at(3_609_374))
        #expect(lan.state("lb1") == .backup)
        lan.run(until: Self.at(3_609_375))
        #expect(lan.state("lb1") == .master)
        #expect(lan.lastTransition("lb1", to: .master) == Self.at(3_609_375))
    }

    @Test func addressOwnerTakesOverAtOnceInRFCOrder() {
        var router = VirtualRouter(.pair("lb1", host: 11, priority: 255))
        let actions = router.start(at: Self.t0)
        #expect(router.state == .master)
        // The VIPs, then keepalived's garp_master_repeat default (5 gratuitous ARPs at
        // once), then the advert: keepalived's order.
        #expect(actions == [.transition(from: .initialize, to: .master, reason: .addressOwner), .addVirtualAddresses]
            + Array(repeating: .sendGratuitousARP, count: 5) + [.sendAdvertisement(router.advertisement())])
    }

    /// keepalived 2.2: `state MASTER` below 255 still waits Master_Down_Interval as backup.
    @Test func initialStateMasterIsNotAShortcut() {
        var config = VirtualRouter.Configuration.pair("lb1", host: 11, priority: 100)
        config.initialState = .master
        var router = VirtualRouter(config)
        _ = router.start(at: Self.t0)
        #expect(router.state == .backup)
        #expect(router.nextDeadline == Self.at(3_609_375))
    }

    // MARK: - Election

    @Test func higherPriorityWinsAndTheOtherStaysBackup() {
        let lan = SimulatedLAN.electedPair(after: 20_000_000)
        #expect(lan.state("lb1") == .master)
        #expect(lan.state("lb2") == .backup)
        #expect(lan.transitions("lb2") == [.backup])
        #expect(lan.router("lb2").masterAddress == .v4(IPv4Address(192, 0, 2, 11)))
        #expect(lan.rejections.isEmpty)
    }

    /// RFC 3768 §6.4.3: between equal priorities the higher primary address stays master.
    @Test func equalPriorityIsWonByTheHigherAddress() {
        let both = SimulatedLAN.started([.pair("low", host: 11, priority: 100), .pair("high", host: 12, priority: 100)],
                                        for: 10_000_000)
        #expect(both.state("high") == .master)
        #expect(both.state("low") == .backup)
        // Both timers ran out together; "low" stepped down on the first advert from "high".
        #expect(both.transitions("low") == [.backup, .master, .backup])
    }

    // MARK: - §6.4.3 Master leaves

    @Test func gracefulShutdownHandsOverAfterSkewTime() {
        var lan = SimulatedLAN.electedPair()
        let stop = lan.now
        lan.shutdown("lb1")
        #expect(lan.state("lb1") == .initialize)
        #expect(lan.log.contains { $0.router == "lb1" && $0.action == .sendAdvertisement(lan.router("lb1").advertisement(priority: 0)) })
        lan.run(for: 5_000_000)
        // Priority 0 arrives after the link latency; the backup waits Skew_Time (648,437 µs).
        #expect(lan.lastTransition("lb2", to: .master) == stop + lan.latency + 648_437)
    }

    @Test func crashedMasterIsReplacedAtMasterDownInterval() {
        var lan = SimulatedLAN.electedPair()
        lan.crash("lb1")
        let lastAdvert = lan.log.last { $0.router == "lb1" && { if case .sendAdvertisement = $0.action { return true }; return false }($0) }!.time
        lan.run(for: 10_000_000)
        #expect(lan.lastTransition("lb2", to: .master) == lastAdvert + lan.latency + 3_648_437)
    }

    @Test func threeRoutersTheNextHighestTakesOver() {
        var lan = SimulatedLAN.started([.pair("lb1", host: 11, priority: 100), .pair("lb2", host: 12, priority: 90),
                                        .pair("lb3", host: 13, priority: 80)], for: 10_000_000)
        lan.crash("lb1")
        lan.run(for: 20_000_000)
        #expect(lan.state("lb2") == .master)
        #expect(lan.state("lb3") == .backup)
        #expect(lan.transitions("lb3") == [.backup])
    }

    // MARK: - Preemption

    /// A higher-priority router that starts later takes over when its timer runs out:
    /// it ignores the lower master's adverts (RFC 3768 §6.4.2, preempt).
    @Test func preemptionBringsTheHigherPriorityBack() {
        var lan = SimulatedLAN()
        lan.add(.pair("lb1", host: 11, priority: 100))
        lan.add(.pair("lb2", host: 12, priority: 90))
        lan.start("lb2")
        lan.run(for: 10_000_000)
        #expect(lan.state("lb2") == .master)
        let back = lan.now
        lan.start("lb1")
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master)
        #expect(lan.state("lb2") == .backup)
        #expect(lan.lastTransition("lb1", to: .master) == back + 3_609_375)
    }

    @Test func nopreemptLeavesTheLowerMasterInPlace() {
        var lan = SimulatedLAN()
        lan.add(.pair("lb1", host: 11, priority: 100, preempt: false))
        lan.add(.pair("lb2", host: 12, priority: 90))
        lan.start("lb2")
        lan.run(for: 10_000_000)
        lan.start("lb1")
        lan.run(for: 30_000_000)
        #expect(lan.state("lb1") == .backup)
        #expect(lan.state("lb2") == .master)
    }

    /// keepalived's preempt_delay: lower-priority adverts hold the takeover off until the
    /// delay (counted from the first one seen) is over; then Master_Down_Interval runs out.
    @Test func preemptDelayPostponesTheTakeover() {
        var lan = SimulatedLAN()
        var high = VirtualRouter.Configuration.pair("lb1", host: 11, priority: 100)
        high.preemptDelay = 5_000_000
        lan.add(high)
        lan.add(.pair("lb2", host: 12, priority: 90))
        lan.start("lb2")
        lan.run(for: 10_000_000)
        let back = lan.now
        lan.start("lb1")
        lan.run(for: 8_000_000)
        #expect(lan.state("lb1") == .backup, "still inside preempt_delay + Master_Down_Interval")
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master)
        let took = lan.lastTransition("lb1", to: .master)! - back
        // The first lower advert arrives within 1 s of the start and opens the 5 s delay;
        // the adverts inside it are honoured (the last one at least 4 s after the first),
        // then Master_Down_Interval (3.609375 s) runs out. Without the delay: 3.609375 s.
        #expect(took > 4_000_000 + 3_609_375 && took <= 1_000_000 + 5_000_000 + 3_609_375)
    }

    // MARK: - VRRPv3

    /// RFC 5798 §6.4.2: a v3 backup adopts the master's interval, so its
    /// Master_Down_Interval follows the master's 0.1 s, not its own 1 s.
    @Test func v3BackupAdoptsTheMastersInterval() {
        var lan = SimulatedLAN()
        lan.add(.pair("lb1", host: 11, priority: 100, version: .v3, interval: 100_000))
        lan.add(.pair("lb2", host: 12, priority: 90, version: .v3, interval: 1_000_000))
        lan.start("lb1")
        lan.run(for: 1_000_000)
        lan.start("lb2")
        lan.run(for: 5_000_000)
        #expect(lan.router("lb2").masterAdvertisementInterval == 100_000)
        #expect(lan.router("lb2").timers.masterDownInterval == 364_843)
        lan.crash("lb1")
        let crash = lan.now
        lan.run(for: 2_000_000)
        let took = lan.lastTransition("lb2", to: .master)! - crash
        #expect(took <= 364_843 + lan.latency)
    }

    /// A spoofed or broken master announcing a tiny interval must not shrink
    /// Master_Down_Interval to nothing: what a backup adopts is at least a tenth of its
    /// own interval (and never below the wire's 1 cs).
    @Test func v3BackupAdoptsNoLessThanATenthOfItsOwnInterval() throws {
        var router = VirtualRouter(.pair("lb2", host: 12, priority: 90, version: .v3, interval: 1_000_000))
        _ = router.start(at: Self.t0)
        let fast = VirtualRouter(.pair("lb1", host: 11, priority: 100, version: .v3, interval: 10_000))
        let packet = ReceivedAdvertisement(advertisement: fast.advertisement(), source: .v4(IPv4Address(192, 0, 2, 11)),
                                           destination: .v4(IPv4Address(224, 0, 0, 18)), ttl: 255)
        _ = try router.receive(packet, at: Self.at(1_000))
        #expect(router.masterAdvertisementInterval == 100_000)
        #expect(router.timers.masterDownInterval == 364_843)
    }

    // MARK: - Master's receive rules

    @Test func masterAnswersPriorityZeroAndLowerPriorityAtOnce() throws {
        var router = VirtualRouter(.pair("lb1", host: 11, priority: 100))
        _ = router.start(at: Self.t0)
        _ = router.advance(to: Self.at(3_609_375))
        #expect(router.state == .master)
        let peer = VirtualRouter(.pair("lb2", host: 12, priority: 90))
        for priority: UInt8 in [0, 90] {
            let packet = ReceivedAdvertisement(advertisement: peer.advertisement(priority: priority),
                                               source: IPv4Address(192, 0, 2, 12), destination: .vrrpMulticastGroup, ttl: 255)
            let actions = try router.receive(packet, at: Self.at(4_000_000))
            #expect(actions == [.sendAdvertisement(router.advertisement())])
            #expect(router.state == .master)
        }
    }

    // MARK: - Instance-level receive checks: counted, never a state change

    /// Unicast: `check_unicast_src` takes adverts only from a unicast_peer, and a peer's
    /// `min_ttl`/`max_ttl` bound the TTL it arrives with; without them any routed source
    /// and TTL is taken (keepalived's default).
    @Test func unicastSourcesAndPeerTTLs() throws {
        var config = VirtualRouter.Configuration.pair("lb1", host: 11, priority: 100)
        config.unicast = true
        let peer = InternetAddress.v4(IPv4Address(192, 0, 2, 12)), stranger = InternetAddress.v4(IPv4Address(198, 51, 100, 9))
        let advert = VirtualRouter(.pair("lb2", host: 12, priority: 254)).advertisement()
        func outcome(_ c: VirtualRouter.Configuration, from source: InternetAddress, ttl: UInt8) -> String {
            var router = VirtualRouter(c)
            _ = router.start(at: Self.t0)
            let packet = ReceivedAdvertisement(advertisement: advert, source: source, destination: .v4(IPv4Address(192, 0, 2, 11)), ttl: ttl)
            do { _ = try router.receive(packet, at: Self.at(1_000)); return "accepted" } catch { return error.reason }
        }
        #expect(outcome(config, from: stranger, ttl: 60) == "accepted", "keepalived's default: anyone, any TTL")
        config.unicastSources = [peer]
        #expect(outcome(config, from: stranger, ttl: 255) == "unicast_src")
        #expect(outcome(config, from: peer, ttl: 60) == "accepted")
        config.unicastPeerTTL[peer] = 250...255
        #expect(outcome(config, from: peer, ttl: 249) == "ttl")
        #expect(outcome(config, from: peer, ttl: 250) == "accepted")
    }

    @Test func configurationMismatchesAreRejectedWithoutStateChange() {
        let lb2 = VirtualRouter.Configuration.pair("lb2", host: 12, priority: 200)
        let good = VirtualRouter(lb2).advertisement()
        let from = IPv4Address(192, 0, 2, 12)
        func packet(_ a: Advertisement, ttl: UInt8 = 255, source: IPv4Address = from) -> ReceivedAdvertisement {
            ReceivedAdvertisement(advertisement: a, source: source, destination: .vrrpMulticastGroup, ttl: ttl)
        }
        var wrongPass = good; wrongPass.authentication = .simple(password: Array("Secret".utf8))
        var noAuth = good; noAuth.authentication = .none
        var slow = good; slow.advertisementInterval = 2_000_000
        var otherVIP = good; otherVIP.addresses = [.v4(IPv4Address(192, 0, 2, 200))]
        var v3 = good; v3.version = .v3; v3.authentication = .none
        let cases: [(ReceivedAdvertisement, String)] = [
            (packet(good, ttl: 64), "ttl"),
            (packet(v3), "version"),
            (packet(noAuth), "auth_type"),
            (packet(wrongPass), "auth_password"),
            (packet(slow), "advert_interval"),
            (packet(otherVIP), "address_list"),
            (packet(good, source: IPv4Address(192, 0, 2, 11)), "own_advert"),
        ]
        for (bad, reason) in cases {
            var router = VirtualRouter(.pair("lb1", host: 11, priority: 100))
            _ = router.start(at: Self.t0)
            let deadline = router.nextDeadline
            do {
                _ = try router.receive(bad, at: Self.at(1_000_000))
                Issue.record("accepted an advert that should fail \(reason)")
            } catch {
                #expect(error.reason == reason)
            }
            #expect(router.state == .backup && router.nextDeadline == deadline, "\(reason) changed the timer")
        }
        // With vrrp_skip_check_adv_addr the address list is not compared.
        var skipping = VirtualRouter.Configuration.pair("lb1", host: 11, priority: 100)
        skipping.skipCheckAdvertAddresses = true
        var router = VirtualRouter(skipping)
        _ = router.start(at: Self.t0)
        #expect(throws: Never.self) { _ = try router.receive(packet(otherVIP), at: Self.at(1_000_000)) }
        #expect(router.nextDeadline == Self.at(1_000_000 + 3_609_375))
    }

    // MARK: - Fault

    @Test func interfaceDownReleasesTheVIPsAndUpElectsAgain() {
        var lan = SimulatedLAN.electedPair()
        lan.interfaceDown("lb1")
        #expect(lan.state("lb1") == .fault)
        #expect(lan.log.last?.action == .removeVirtualAddresses)
        lan.run(for: 10_000_000)
        #expect(lan.state("lb2") == .master)
        lan.interfaceUp("lb1")
        #expect(lan.state("lb1") == .backup)
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master, "preempts back after Master_Down_Interval")
        #expect(lan.state("lb2") == .backup)
    }

    // MARK: - Gratuitous ARP

    @Test func gratuitousARPBurstsFollowKeepalivedsKnobs() {
        var config = VirtualRouter.Configuration.pair("lb1", host: 11, priority: 255)
        config.gratuitousARP = GratuitousARPPolicy(masterDelay: 5_000_000, masterRepeat: 3, masterRefresh: 60_000_000,
                                                   masterRefreshRepeat: 2, interval: 10_000)
        var lan = SimulatedLAN()
        lan.add(config)
        lan.start("lb1")
        let garp: (Action) -> Bool = { $0 == .sendGratuitousARP }
        lan.run(until: Self.at(1))
        #expect(lan.count("lb1", where: garp) == 1, "one now, the rest spaced by vrrp_garp_interval")
        lan.run(until: Self.at(20_000))
        #expect(lan.count("lb1", where: garp) == 3)
        lan.run(until: Self.at(5_020_000))
        #expect(lan.count("lb1", where: garp) == 6, "second burst after garp_master_delay")
        lan.run(until: Self.at(60_010_000))
        #expect(lan.count("lb1", where: garp) == 8, "refresh of garp_master_refresh_repeat")
        let times = lan.log.filter { garp($0.action) }.map(\.time.microseconds)
        #expect(times == [0, 10_000, 20_000, 5_000_000, 5_010_000, 5_020_000, 60_000_000, 60_010_000])
    }
}
