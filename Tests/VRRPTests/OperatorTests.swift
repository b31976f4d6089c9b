import Testing
@testable import VRRP
import VigilTypes

/// What the operator asks of a running instance (`vigil resign`, `vigil priority`) and what
/// a live reload does to a changed one, in virtual time on the simulated LAN (lb1 priority
/// 100, lb2 90; Skew_Time at 90 is 648,437 µs, Master_Down_Interval at 100 is 3,609,375 µs).
@Suite struct OperatorTests {
    @Test func resignHandsOverAtTheBackupsSkewTimeAndStaysBackup() {
        var lan = SimulatedLAN.electedPair()
        #expect(lan.state("lb1") == .master)
        let t = lan.now
        lan.resign("lb1")
        #expect(lan.state("lb1") == .backup)
        #expect(lan.router("lb1").priority == 1)
        #expect(lan.router("lb1").priorityOverride == 1)
        // The priority-0 advert reaches lb2 after the latency; it takes over at Skew_Time.
        lan.run(for: 2_000_000)
        #expect(lan.lastTransition("lb2", to: .master) == t + lan.latency + 648_437)
        // Priority 1 never preempts 90.
        lan.run(for: 20_000_000)
        #expect(lan.state("lb1") == .backup)
        #expect(lan.state("lb2") == .master)
        #expect(lan.transitions("lb1").last == .backup)
    }

    @Test func resignLogsItsReasonAndSendsPriorityZero() {
        var lan = SimulatedLAN.electedPair()
        lan.resign("lb1")
        let mine = lan.log.filter { $0.router == "lb1" && $0.time == lan.now }.map(\.action)
        #expect(mine.contains(.transition(from: .master, to: .backup, reason: .resigned)))
        // The VIPs stay until the new master is heard (make-before-break).
        #expect(!mine.contains(.removeVirtualAddresses))
        #expect(lan.router("lb1").isHandingOver)
        #expect(mine.contains { if case let .sendAdvertisement(a) = $0 { return a.priority == 0 } else { return false } })
    }

    @Test func resetAfterResignPreemptsBackAtMasterDownInterval() {
        var lan = SimulatedLAN.electedPair()
        lan.resign("lb1")
        lan.run(for: 5_000_000)
        lan.overridePriority("lb1", nil)
        #expect(lan.router("lb1").priority == 100)
        #expect(lan.router("lb1").priorityOverride == nil)
        let t = lan.now
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master)
        #expect(lan.state("lb2") == .backup)
        // lb1 ignores lb2's lower-priority adverts (preempt) and takes over when its
        // Master_Down_Interval runs out: within one interval plus one advert of the reset.
        let took = lan.lastTransition("lb1", to: .master)!
        #expect(took > t && took <= t + 3_609_375 + 1_000_000)
    }

    @Test func aLowerPriorityOnTheMasterLetsThePreemptingBackupIn() {
        var lan = SimulatedLAN.electedPair()
        lan.overridePriority("lb1", 50)
        #expect(lan.state("lb1") == .master)
        #expect(lan.router("lb1").advertisement().priority == 50)
        lan.run(for: 10_000_000)
        #expect(lan.state("lb2") == .master)
        #expect(lan.state("lb1") == .backup)
    }

    @Test func overridesAreClampedAndTheOwnerKeepsItsPriority() {
        var router = VirtualRouter(.pair("lb1", host: 11, priority: 100))
        _ = router.start(at: .zero)
        _ = router.overridePriority(255, at: .zero)
        #expect(router.priority == 254)
        _ = router.overridePriority(0, at: .zero)
        #expect(router.priority == 1)
        var owner = VirtualRouter(.pair("lb1", host: 11, priority: 255))
        _ = owner.start(at: .zero)
        #expect(owner.overridePriority(10, at: .zero).isEmpty)
        #expect(owner.resign(at: .zero).isEmpty)
        #expect(owner.priority == 255 && owner.state == .master)
    }

    @Test func aChangedMasterCarriesOnAsMasterAtOnce() {
        var lan = SimulatedLAN.electedPair()
        // A new priority (the VIP list must match the peer's, or its adverts are refused).
        let changed = VirtualRouter.Configuration.pair("lb1", host: 11, priority: 120)
        let t = lan.now
        lan.reload("lb1", with: changed)
        #expect(lan.state("lb1") == .master)
        let mine = lan.log.filter { $0.router == "lb1" && $0.time == t }.map(\.action)
        #expect(mine.prefix(2) == [.transition(from: .initialize, to: .master, reason: .reload), .addVirtualAddresses])
        #expect(mine.contains { if case let .sendAdvertisement(a) = $0 { return a.priority == 120 } else { return false } })
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master)
        #expect(lan.state("lb2") == .backup)
        #expect(lan.transitions("lb2").last == .backup)
    }

    @Test func aChangedBackupStartsAsAtBootAndAChangedMasterWithAFaultDoesNotResume() {
        var lan = SimulatedLAN.electedPair()
        lan.reload("lb2", with: .pair("lb2", host: 12, priority: 95))
        #expect(lan.state("lb2") == .backup)
        lan.run(for: 10_000_000)
        #expect(lan.state("lb1") == .master)

        var router = VirtualRouter(.pair("lb1", host: 11, priority: 100))
        _ = router.track(.down, kind: .interface, name: "eth0", at: .zero)
        let actions = router.start(resuming: .master, at: .zero)
        #expect(router.state == .fault)
        #expect(!actions.contains(.addVirtualAddresses))
    }
}
