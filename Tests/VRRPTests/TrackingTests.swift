import Testing
@testable import VRRP
import VigilTypes

/// keepalived's tracking rules (weights, reverse, weight 0 = Fault, files, rise/fall) and
/// what they do to a running pair, with virtual time.
@Suite struct TrackingTests {
    typealias Object = PriorityTracking.Object

    // MARK: - Weights

    @Test func negativeWeightCostsWhileDownPositiveGivesWhileUp() {
        var t = PriorityTracking(base: 100, objects: [Object(.script, "minus", weight: -20), Object(.script, "plus", weight: 10)])
        #expect(t.effectivePriority == 100, "nothing known yet counts for nothing")
        t.record(.up, kind: .script, name: "minus")
        t.record(.up, kind: .script, name: "plus")
        #expect(t.effectivePriority == 110)
        t.record(.down, kind: .script, name: "minus")
        #expect(t.effectivePriority == 90)
        t.record(.down, kind: .script, name: "plus")
        #expect(t.effectivePriority == 80)
        #expect(t.faults.isEmpty)
    }

    @Test func reverseTurnsTheDirectionAround() {
        var t = PriorityTracking(base: 100, objects: [Object(.interface, "eth1", weight: 30, reverse: true)])
        t.record(.up, kind: .interface, name: "eth1")
        #expect(t.effectivePriority == 70)
        t.record(.down, kind: .interface, name: "eth1")
        #expect(t.effectivePriority == 100)
        var zero = PriorityTracking(base: 100, objects: [Object(.script, "s", weight: 0, reverse: true)])
        zero.record(.down, kind: .script, name: "s")
        #expect(zero.faults.isEmpty)
        zero.record(.up, kind: .script, name: "s")
        #expect(zero.faults == [.script("s")])
    }

    @Test func priorityIsClampedToOneThrough254AndTheOwnerNeverMoves() {
        var t = PriorityTracking(base: 200, objects: [Object(.script, "a", weight: 253), Object(.script, "b", weight: -253)])
        t.record(.up, kind: .script, name: "a")
        #expect(t.total == 453)
        #expect(t.effectivePriority == 254)
        t.record(.down, kind: .script, name: "a")
        t.record(.down, kind: .script, name: "b")
        #expect(t.effectivePriority == 1)
        var owner = PriorityTracking(base: 255, objects: [Object(.script, "b", weight: -50)])
        owner.record(.down, kind: .script, name: "b")
        #expect(owner.effectivePriority == 255)
    }

    @Test func weightZeroMeansFaultWhileDown() {
        var t = PriorityTracking(base: 100, objects: [Object(.script, "chk", weight: 0), Object(.interface, "eth1")])
        t.record(.down, kind: .script, name: "chk")
        t.record(.down, kind: .interface, name: "eth1")
        #expect(t.faults == [.script("chk"), .interface("eth1")])
        #expect(t.effectivePriority == 100)
        t.record(.up, kind: .script, name: "chk")
        #expect(t.faults == [.interface("eth1")])
    }

    /// keepalived's track_file: number × weight (× −1 reversed), capped at 253; −254 or
    /// less is a Fault; with weight 0 any non-zero number is one.
    @Test func trackFileNumbersMultiplyTheWeight() {
        var t = PriorityTracking(base: 100, objects: [Object(.file, "f", weight: 2)])
        t.record(.number(5), kind: .file, name: "f")
        #expect(t.effectivePriority == 110)
        t.record(.number(-20), kind: .file, name: "f")
        #expect(t.effectivePriority == 60)
        t.record(.number(-127), kind: .file, name: "f")
        #expect(t.faults == [.trackFile("f")])
        t.record(.number(1_000_000), kind: .file, name: "f")
        #expect(t.faults.isEmpty)
        #expect(t.total == 353)
        t.record(.number(Int64.max), kind: .file, name: "f")
        #expect(t.total == 353, "no overflow")
        var zero = PriorityTracking(base: 100, objects: [Object(.file, "f", weight: 0)])
        #expect(zero.faults.isEmpty, "a missing file reads 0")
        zero.record(.number(3), kind: .file, name: "f")
        #expect(zero.faults == [.trackFile("f")])
    }

    // MARK: - rise / fall

    @Test func theFirstResultDecidesAtOnce() {
        var good = ScriptHealth(rise: 3, fall: 3)
        #expect(good.reading == .pending)
        #expect(good.record(success: true) == .up)
        var bad = ScriptHealth(rise: 3, fall: 3)
        #expect(bad.record(success: false) == .down)
    }

    @Test func riseAndFallCountRunsInARow() {
        var h = ScriptHealth(rise: 2, fall: 3)
        _ = h.record(success: true)
        #expect(h.reading == .up)
        #expect(h.record(success: false) == nil)
        #expect(h.record(success: false) == nil)
        #expect(h.record(success: true) == nil, "a success in between starts the count again")
        #expect(h.record(success: false) == nil)
        #expect(h.record(success: false) == nil)
        #expect(h.record(success: false) == .down, "third failure in a row")
        #expect(h.record(success: true) == nil)
        #expect(h.record(success: false) == nil)
        #expect(h.record(success: true) == nil)
        #expect(h.record(success: true) == .up, "second success in a row")
    }

    @Test func initFailStartsDown() {
        var h = ScriptHealth(rise: 2, fall: 2, initFail: true)
        #expect(h.reading == .down)
        #expect(h.record(success: true) == nil)
        #expect(h.record(success: true) == .up)
    }

    // MARK: - In a running pair

    /// A weight −20 script failing on the master (100 → 80) lets the backup (90) take
    /// over: the master's adverts carry 80, the backup ignores them and its
    /// Master_Down_Interval runs out; when the script recovers the old master preempts back.
    @Test func aFailingWeightedScriptMovesTheVIPAndBack() {
        let chk = [Object(.script, "chk", weight: -20)]
        var lan = SimulatedLAN.started([.pair("lb1", host: 11, priority: 100, tracked: chk),
                                        .pair("lb2", host: 12, priority: 90, tracked: chk)], for: 10_000_000)
        lan.track("lb1", .script, "chk", .up)
        lan.track("lb2", .script, "chk", .up)
        #expect(lan.state("lb1") == .master)
        let failed = lan.now
        lan.track("lb1", .script, "chk", .down)
        #expect(lan.log.last?.action == .priorityChanged(from: 100, to: 80))
        #expect(lan.router("lb1").advertisement().priority == 80)
        lan.run(for: 5_000_000)
        #expect(lan.state("lb2") == .master)
        #expect(lan.state("lb1") == .backup)
        // The backup waited one Master_Down_Interval (3 s + its Skew_Time) from the last
        // advert it honoured, which came at most one interval before the failure.
        let took = lan.lastTransition("lb2", to: .master)! - failed
        #expect(took > 2_600_000 && took <= 3_700_000)
        lan.track("lb1", .script, "chk", .up)
        lan.run(for: 5_000_000)
        #expect(lan.state("lb1") == .master)
        #expect(lan.state("lb2") == .backup)
    }

    /// keepalived moves a running Master_Down_Timer by the change in Skew_Time.
    @Test func aBackupsPriorityChangeShiftsItsMasterDownTimer() {
        var router = VirtualRouter(.pair("lb2", host: 12, priority: 100, tracked: [Object(.script, "s", weight: 56)]))
        _ = router.start(at: .zero)
        #expect(router.nextDeadline == Instant(microseconds: 3_609_375))
        _ = router.track(.up, kind: .script, name: "s", at: Instant(microseconds: 1_000))
        #expect(router.priority == 156)
        // Skew_Time (256 − 156)/256 s = 390,625 µs instead of 609,375 µs.
        #expect(router.nextDeadline == Instant(microseconds: 3_390_625))
    }

    /// Weight 0: a failing script puts the master in Fault at once; it says so with a
    /// priority-0 advert, so the backup takes over after Skew_Time, not 3 intervals.
    @Test func weightZeroFailureIsAFaultAndTheBackupTakesOverAtSkewTime() {
        let chk = [Object(.script, "chk")]
        var lan = SimulatedLAN.started([.pair("lb1", host: 11, priority: 100, tracked: chk),
                                        .pair("lb2", host: 12, priority: 90, tracked: chk)], for: 10_000_000)
        let failed = lan.now
        lan.track("lb1", .script, "chk", .down)
        #expect(lan.state("lb1") == .fault)
        #expect(lan.router("lb1").faults == [.script("chk")])
        let leaving = lan.log.filter { $0.router == "lb1" && $0.time == failed }.map(\.action)
        #expect(leaving == [.transition(from: .master, to: .fault, reason: .fault(.script("chk"))),
                            .sendAdvertisement(lan.router("lb1").advertisement(priority: 0)),
                            .removeVirtualAddresses])
        lan.run(for: 1_000_000)
        #expect(lan.state("lb2") == .master)
        #expect(lan.lastTransition("lb2", to: .master)! - failed == 100 + 648_437)
        // In Fault adverts from the new master change nothing; recovery elects again.
        lan.run(for: 5_000_000)
        #expect(lan.state("lb1") == .fault)
        lan.track("lb1", .script, "chk", .up)
        #expect(lan.state("lb1") == .backup)
        #expect(lan.transitions("lb1").last == .backup)
        lan.run(for: 5_000_000)
        #expect(lan.state("lb1") == .master)
    }

    /// A fault known before start: the instance starts in Fault, not Backup.
    @Test func aFaultBeforeStartStartsInFault() {
        var router = VirtualRouter(.pair("lb1", host: 11, priority: 100))
        _ = router.track(.down, kind: .interface, name: "eth0", at: .zero)
        let actions = router.start(at: .zero)
        #expect(router.state == .fault)
        #expect(actions == [.transition(from: .initialize, to: .fault, reason: .fault(.interface("eth0")))])
        #expect(router.nextDeadline == nil)
    }

    @Test func twoFaultsMustBothClear() {
        var router = VirtualRouter(.pair("lb1", host: 11, priority: 100, tracked: [Object(.script, "s")]))
        _ = router.start(at: .zero)
        _ = router.track(.down, kind: .script, name: "s", at: .zero)
        _ = router.track(.down, kind: .interface, name: "eth0", at: .zero)
        _ = router.track(.up, kind: .script, name: "s", at: .zero)
        #expect(router.state == .fault)
        _ = router.track(.up, kind: .interface, name: "eth0", at: .zero)
        #expect(router.state == .backup)
    }
}
