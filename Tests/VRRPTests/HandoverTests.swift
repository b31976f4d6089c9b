import Testing
@testable import VRRP
import VigilTypes

/// Make-before-break: a master that leaves on purpose (stop, resign, reload, preempted)
/// keeps its VIPs until the new master has announced itself, so the clients — whose
/// neighbour caches follow the gratuitous ARPs — are never pointed at a box without the
/// address. `SimulatedLAN.unanswered` measures exactly that; a crash shows it can fail.
@Suite struct HandoverTests {
    static let skew90: Int64 = 648_437       // Skew_Time at priority 90, advert_int 1
    static let mdi100: Int64 = 3_609_375     // Master_Down_Interval at priority 100

    func removals(_ lan: SimulatedLAN, _ name: String, since: Instant = .zero) -> [Instant] {
        lan.log.filter { $0.router == name && $0.time >= since && $0.action == .removeVirtualAddresses }.map(\.time)
    }

    @Test func aStoppingMasterKeepsItsVIPsUntilTheNewMasterIsHeard() {
        var lan = SimulatedLAN.electedPair()
        #expect(lan.clientsPointAt == "lb1")
        let stop = lan.now
        lan.shutdown("lb1")
        #expect(lan.state("lb1") == .initialize)
        #expect(lan.router("lb1").isHandingOver)
        #expect(lan.holding.contains("lb1"))
        lan.run(for: 5_000_000)
        let takeover = stop + lan.latency + Self.skew90
        #expect(lan.lastTransition("lb2", to: .master) == takeover)
        // lb2's advert reaches lb1 one latency later; lb1 lets the overlap pass, then goes.
        #expect(removals(lan, "lb1") == [takeover + lan.latency + VirtualRouter.handoverOverlap])
        #expect(!lan.router("lb1").isHandingOver)
        #expect(lan.clientsPointAt == "lb2")
        #expect(lan.holding == ["lb2"])
        #expect(lan.unanswered.isEmpty)
    }

    @Test func theNewMasterAnnouncesBeforeItAdvertises() {
        var lan = SimulatedLAN.electedPair()
        lan.shutdown("lb1")
        lan.run(for: 5_000_000)
        let became = lan.lastTransition("lb2", to: .master)!
        let order = lan.log.filter { $0.router == "lb2" && $0.time == became }.map(\.action)
        let firstGARP = order.firstIndex(of: .sendGratuitousARP)
        let firstAdvert = order.firstIndex { if case .sendAdvertisement = $0 { return true } else { return false } }
        let added = order.firstIndex(of: .addVirtualAddresses)
        #expect(added != nil && firstGARP != nil && firstAdvert != nil)
        #expect(added! < firstGARP! && firstGARP! < firstAdvert!)
    }

    @Test func aSuccessorThatAdvertisesBeforeItAnnouncesIsWaitedFor() {
        // keepalived's order: advert, then the VIPs, then the gratuitous ARP — 30 ms
        // later on a loaded box. The old master keeps the VIPs until that has landed.
        var lan = SimulatedLAN.electedPair()
        lan.announcementDelay["lb2"] = 30_000
        let stop = lan.now
        lan.shutdown("lb1")
        lan.run(for: 5_000_000)
        let takeover = stop + lan.latency + Self.skew90
        #expect(lan.lastTransition("lb2", to: .master) == takeover)
        #expect(removals(lan, "lb1") == [takeover + lan.latency + 30_000 + VirtualRouter.handoverOverlap])
        #expect(lan.clientsPointAt == "lb2")
        #expect(lan.unanswered.isEmpty)
    }

    @Test func aPreemptedMasterWaitsForTheSuccessorsAnnouncementToo() {
        var lan = SimulatedLAN.electedPair()
        lan.shutdown("lb1")
        lan.run(for: 5_000_000)
        lan.announcementDelay["lb1"] = 40_000
        lan.restart("lb1")
        lan.start("lb1")
        lan.run(for: 5_000_000)
        let retaken = lan.lastTransition("lb1", to: .master)!
        #expect(removals(lan, "lb2") == [retaken + lan.latency + 40_000 + VirtualRouter.handoverOverlap])
        #expect(lan.clientsPointAt == "lb1")
        #expect(lan.unanswered.isEmpty)
    }

    @Test func aSuccessorNeverHeardAnnouncingCostsAtMostTheAnnouncementWait() {
        var lan = SimulatedLAN.electedPair()
        lan.announcementsHeard = false
        let stop = lan.now
        lan.shutdown("lb1")
        lan.run(for: 5_000_000)
        let takeover = stop + lan.latency + Self.skew90
        #expect(removals(lan, "lb1") == [takeover + lan.latency + VirtualRouter.announcementWait])
        #expect(lan.unanswered.isEmpty)
    }

    @Test func anAnnouncementLongBeforeTheHandoverDoesNotCount() throws {
        // A master that heard someone announce its VIP more than announcementWait before
        // it is preempted still waits for the successor's own announcement.
        var lan = SimulatedLAN.electedPair()
        lan.announcementHeard("lb1")
        lan.run(for: VirtualRouter.announcementWait + 1)
        var advert = lan.router("lb2").advertisement()
        advert.priority = 200
        try lan.inject(advert, from: IPv4Address(192, 0, 2, 13), to: "lb1")
        #expect(lan.state("lb1") == .backup)
        #expect(lan.router("lb1").releaseTimer == lan.now + VirtualRouter.announcementWait)
        lan.run(for: 1_000)
        lan.announcementHeard("lb1")
        #expect(lan.router("lb1").releaseTimer == lan.now + VirtualRouter.handoverOverlap)
    }

    @Test func anAnnouncementHeardAsBackupChangesNothing() {
        var lan = SimulatedLAN.electedPair()
        #expect(lan.state("lb2") == .backup)
        let before = lan.router("lb2").nextDeadline
        lan.announcementHeard("lb2")
        #expect(lan.router("lb2").nextDeadline == before)
        #expect(!lan.router("lb2").isHandingOver)
    }

    @Test func aCrashLeavesTheClientsUnansweredForMasterDownInterval() {
        var lan = SimulatedLAN.electedPair()
        let crash = lan.now
        lan.crash("lb1")
        lan.run(for: 10_000_000)
        #expect(lan.unanswered.count == 1)
        #expect(lan.unanswered.first?.from == crash)
        // Until lb2's gratuitous ARP lands: at most Master_Down_Interval after lb1's last
        // advert (sent within the last second) plus two latencies.
        #expect(lan.longestUnanswered > 2_000_000 && lan.longestUnanswered <= 3_648_437 + 200)
    }

    @Test func aLoneMasterStopsAfterMasterDownInterval() {
        var lan = SimulatedLAN.started([.pair("lb1", host: 11, priority: 100)], for: 10_000_000)
        #expect(lan.state("lb1") == .master)
        let stop = lan.now
        lan.shutdown("lb1")
        #expect(lan.router("lb1").nextDeadline == stop + Self.mdi100)
        lan.run(for: 10_000_000)
        #expect(removals(lan, "lb1") == [stop + Self.mdi100])
    }

    @Test func theStopLimitBoundsTheWait() {
        var lan = SimulatedLAN.started([.pair("lb1", host: 11, priority: 100)], for: 10_000_000)
        let stop = lan.now
        lan.shutdown("lb1", limit: 1_000_000)
        lan.run(for: 10_000_000)
        #expect(removals(lan, "lb1") == [stop + 1_000_000])
    }

    @Test func aSecondStopReleasesAtOnce() {
        var lan = SimulatedLAN.electedPair()
        lan.shutdown("lb1")
        lan.run(for: 100_000)
        let second = lan.now
        lan.release("lb1")
        #expect(removals(lan, "lb1") == [second])
        #expect(lan.router("lb1").nextDeadline == nil)
        // Nothing more to release.
        lan.release("lb1")
        #expect(removals(lan, "lb1").count == 1)
    }

    @Test func resignHandsOverWithoutAGap() {
        var lan = SimulatedLAN.electedPair()
        let resign = lan.now
        lan.resign("lb1")
        #expect(lan.state("lb1") == .backup)
        #expect(lan.holding.contains("lb1"))
        lan.run(for: 5_000_000)
        let takeover = resign + lan.latency + Self.skew90
        #expect(lan.lastTransition("lb2", to: .master) == takeover)
        #expect(removals(lan, "lb1") == [takeover + lan.latency + VirtualRouter.handoverOverlap])
        #expect(lan.unanswered.isEmpty)
        // And back: priority reset, lb1 preempts at Master_Down_Interval, lb2 lets go
        // only after lb1's advert.
        lan.overridePriority("lb1", nil)
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master)
        #expect(lan.holding == ["lb1"])
        #expect(removals(lan, "lb2").count == 1)
        #expect(lan.unanswered.isEmpty)
    }

    @Test func resignWithNobodyToTakeOverKeepsTheVIPs() {
        var lan = SimulatedLAN.started([.pair("lb1", host: 11, priority: 100)], for: 10_000_000)
        lan.resign("lb1")
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master)
        #expect(removals(lan, "lb1").isEmpty)
        #expect(lan.holding == ["lb1"])
    }

    @Test func aRestartedMasterPreemptsBackWithoutAGap() {
        var lan = SimulatedLAN.electedPair()
        lan.shutdown("lb1")
        lan.run(for: 5_000_000)
        #expect(lan.state("lb2") == .master)
        lan.restart("lb1")
        let back = lan.now
        lan.start("lb1")
        lan.run(for: 10_000_000)
        let retaken = lan.lastTransition("lb1", to: .master)!
        #expect(retaken > back)
        #expect(lan.state("lb2") == .backup)
        // lb2 went on answering until lb1's advert (sent after its ARPs) reached it.
        #expect(removals(lan, "lb2") == [retaken + lan.latency + VirtualRouter.handoverOverlap])
        #expect(lan.clientsPointAt == "lb1")
        #expect(lan.unanswered.isEmpty)
    }

    @Test func aRestartWithNopreemptLeavesTheVIPWithThePeer() {
        var lan = SimulatedLAN()
        lan.add(.pair("lb1", host: 11, priority: 100, preempt: false))
        lan.add(.pair("lb2", host: 12, priority: 90))
        lan.start("lb1")
        lan.run(for: 10_000)
        lan.start("lb2")
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master)
        lan.shutdown("lb1")
        lan.run(for: 5_000_000)
        lan.restart("lb1")
        lan.start("lb1")
        lan.run(for: 20_000_000)
        #expect(lan.state("lb2") == .master)
        #expect(lan.state("lb1") == .backup)
        #expect(lan.unanswered.isEmpty)
    }

    @Test func aFaultDuringTheHandoverReleasesAtOnce() {
        var lan = SimulatedLAN.electedPair()
        lan.resign("lb1")
        lan.run(for: 100_000)
        let down = lan.now
        lan.interfaceDown("lb1")
        #expect(lan.state("lb1") == .fault)
        #expect(removals(lan, "lb1") == [down])
        #expect(!lan.router("lb1").isHandingOver)
    }

    @Test func aPriorityZeroAdvertDoesNotEndTheHandover() throws {
        var lan = SimulatedLAN.electedPair()
        lan.shutdown("lb1")
        let deadline = lan.router("lb1").nextDeadline
        // Another router leaving (priority 0) is not a new master.
        var advert = lan.router("lb2").advertisement(priority: 0)
        advert.priority = 0
        try lan.inject(advert, from: IPv4Address(192, 0, 2, 13), to: "lb1")
        #expect(lan.router("lb1").nextDeadline == deadline)
        #expect(lan.router("lb1").isHandingOver)
    }

    @Test func syncGroupMembersHoldTheirVIPsUntilTheirOwnNewMasterIsHeard() {
        var lan = SimulatedLAN()
        for (name, host, prio, vrid, vip) in [("lb1-a", UInt8(11), UInt8(100), UInt8(51), UInt8(100)),
                                               ("lb1-b", 11, 100, 52, 101),
                                               ("lb2-a", 12, 90, 51, 100), ("lb2-b", 12, 90, 52, 101)] {
            lan.add(.pair(name, host: host, priority: prio, vrid: vrid, vip: vip))
        }
        lan.group("G1", ["lb1-a", "lb1-b"])
        lan.group("G2", ["lb2-a", "lb2-b"])
        for name in ["lb1-a", "lb1-b", "lb2-a", "lb2-b"] { lan.start(name) }
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1-b") == .master)
        lan.resign("lb1-a")
        #expect(lan.state("lb1-b") == .backup)
        #expect(removals(lan, "lb1-b").isEmpty)
        lan.run(for: 1_000_000)
        #expect(lan.state("lb2-b") == .master)
        let heard = lan.lastTransition("lb2-b", to: .master)! + lan.latency
        #expect(removals(lan, "lb1-b") == [heard + VirtualRouter.handoverOverlap])
    }
}

/// What the log says about a handover: why the backup took over, why the VIPs went.
@Suite struct HandoverReasonTests {
    @Test func theNewMasterSaysTheOldOneLeft() {
        var lan = SimulatedLAN.electedPair()
        lan.shutdown("lb1")
        lan.run(for: 5_000_000)
        let lb1 = InternetAddress.v4(IPv4Address(192, 0, 2, 11))
        #expect(lan.log.contains { $0.router == "lb2"
            && $0.action == .transition(from: .backup, to: .master, reason: .masterLeft(from: lb1)) })
        #expect(lan.router("lb1").handoverEnd == .successorHeard(.v4(IPv4Address(192, 0, 2, 12)), announced: true))
    }

    @Test func silenceIsStillMasterDownInterval() {
        var lan = SimulatedLAN.electedPair()
        lan.crash("lb1")
        lan.run(for: 10_000_000)
        #expect(lan.log.contains { $0.router == "lb2" && $0.action == .transition(from: .backup, to: .master, reason: .masterDownTimerExpired) })
    }

    @Test func aLoneMastersHandoverEndsWithNoSuccessor() {
        var lan = SimulatedLAN.started([.pair("lb1", host: 11, priority: 100)], for: 10_000_000)
        lan.shutdown("lb1")
        lan.run(for: 10_000_000)
        #expect(lan.router("lb1").handoverEnd == .noSuccessor)
    }

    @Test func aSecondStopCutsItShort() {
        var lan = SimulatedLAN.electedPair()
        lan.shutdown("lb1")
        lan.release("lb1")
        #expect(lan.router("lb1").handoverEnd == .cutShort)
    }

    @Test func becomingMasterAgainForgetsTheLastEnd() {
        var lan = SimulatedLAN.electedPair()
        lan.resign("lb1")
        lan.run(for: 5_000_000)
        #expect(lan.router("lb1").handoverEnd != nil)
        lan.overridePriority("lb1", nil)
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master)
        #expect(lan.router("lb1").handoverEnd == nil)
    }
}

@Suite struct InstantTests {
    /// "No bound" added to a moment is the farthest moment, not an overflow trap (a second
    /// shutdown without a limit asked for exactly that).
    @Test func addingSaturates() {
        #expect(Instant(microseconds: 5) + .max == Instant(microseconds: .max))
        #expect(Instant(microseconds: -5) + .min == Instant(microseconds: .min))
        #expect(Instant(microseconds: 5) + 10 == Instant(microseconds: 15))
    }

    @Test func aSecondShutdownWithoutALimitKeepsTheBound() {
        var lan = SimulatedLAN.started([.pair("lb1", host: 11, priority: 100)], for: 10_000_000)
        let stop = lan.now
        lan.shutdown("lb1")
        lan.shutdown("lb1")
        #expect(lan.router("lb1").releaseTimer == stop + HandoverTests.mdi100)
        lan.shutdown("lb1", limit: 1_000)
        #expect(lan.router("lb1").releaseTimer == stop + 1_000)
    }
}
