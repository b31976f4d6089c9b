import Testing
@testable import VRRP
import VigilTypes

/// keepalived's `vrrp_startup_delay`, as sans-IO timing: an engine started at t with a
/// delay d sends nothing, elects nothing and drops what it hears until t + d; then its
/// instances start as they would have at t + d.
@Suite struct StartupDelayTests {
    static let second: Microseconds = 1_000_000

    static func sends(_ outputs: [VRRPEngine.Output]) -> Bool {
        outputs.contains { if case .instance(_, .sendAdvertisement) = $0 { true } else { false } }
    }

    static func engine(_ configurations: VirtualRouter.Configuration...) -> VRRPEngine {
        var engine = VRRPEngine()
        for c in configurations { engine.add(VirtualRouter(c), channel: 0) }
        return engine
    }

    /// A backup's Master_Down_Interval runs from the delayed start, not from the daemon's.
    @Test func aBackupElectsItselfOnlyAfterTheDelayAndMasterDown() {
        var engine = Self.engine(.pair("VI_1", host: 11, priority: 100))
        let start = Instant(microseconds: 1_000)
        #expect(engine.start(at: start, delay: 5 * Self.second).isEmpty)
        #expect(engine[0].state == .initialize)
        #expect(engine.nextDeadline == start + 5 * Self.second)
        #expect(engine.advance(to: start + (5 * Self.second - 1)).isEmpty)
        #expect(engine[0].state == .initialize)
        let begun = engine.advance(to: start + 5 * Self.second)
        #expect(!Self.sends(begun))
        #expect(engine[0].state == .backup)
        let masterDown = engine[0].timers.masterDownInterval
        #expect(engine.nextDeadline == start + (5 * Self.second + masterDown))
        #expect(engine.advance(to: start + (5 * Self.second + masterDown - 1)).isEmpty)
        #expect(Self.sends(engine.advance(to: start + (5 * Self.second + masterDown))))
        #expect(engine[0].state == .master)
    }

    /// The address owner, which takes over at once, sends its first advert at the end of
    /// the delay; adverts heard before are dropped unread.
    @Test func theOwnerSendsItsFirstAdvertAtTheEndOfTheDelay() throws {
        var engine = Self.engine(.pair("VI_1", host: 11, priority: 255))
        #expect(engine.start(at: .zero, delay: 2 * Self.second).isEmpty)
        let peer = VirtualRouter(.pair("peer", host: 12, priority: 100))
        let source = IPv4Address(192, 0, 2, 12)
        let payload = peer.advertisement().encode(source: source, destination: .vrrpMulticastGroup)
        let heard = try ReceivedAdvertisement.decode(ipPacket: SimulatedLAN.ipPacket(payload, from: source)[...])
        guard case .beforeStart = engine.receive(heard, on: 0, at: Instant(microseconds: 500_000)) else {
            Issue.record("an advert was read during the delay")
            return
        }
        #expect(engine.advance(to: Instant(microseconds: 1_999_999)).isEmpty)
        #expect(Self.sends(engine.advance(to: Instant(microseconds: 2_000_000))))
        #expect(engine[0].state == .master)
    }

    /// No delay: the engine starts at once, as `start(at:)`.
    @Test func noDelayStartsAtOnce() {
        var engine = Self.engine(.pair("VI_1", host: 11, priority: 255))
        #expect(Self.sends(engine.start(at: .zero, delay: 0)))
        #expect(engine.delayedStart == nil)
    }

    /// A live reload during the delay: the new engine keeps the delayed start, and an
    /// instance restarted by the reload waits for it with the others.
    @Test func aReloadKeepsTheDelayedStart() {
        var engine = Self.engine(.pair("VI_1", host: 11, priority: 255))
        _ = engine.start(at: .zero, delay: 3 * Self.second)
        var reloaded = VRRPEngine(routers: engine.routers, channels: [0], syncGroups: [])
        reloaded.delayStart(until: engine.delayedStart)
        #expect(reloaded.start(0, resuming: .initialize, at: Instant(microseconds: 1_000_000)).isEmpty)
        #expect(reloaded[0].state == .initialize)
        #expect(reloaded.nextDeadline == Instant(microseconds: 3_000_000))
        #expect(Self.sends(reloaded.advance(to: Instant(microseconds: 3_000_000))))
    }
}
