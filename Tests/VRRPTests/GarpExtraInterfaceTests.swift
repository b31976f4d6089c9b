import Testing
@testable import VRRP
import VigilTypes

/// keepalived's `garp_extra_if`: while master, one round of gratuitous ARPs on the other
/// interfaces every interval, the first after `garp_master_delay` plus the interval.
@Suite struct GarpExtraInterfaceTests {
    static func extraRounds(_ actions: [Action]) -> Int { actions.filter { $0 == .sendGratuitousARPOnExtraInterfaces }.count }

    @Test func roundsComeEveryIntervalWhileMaster() {
        var c = VirtualRouter.Configuration.pair("VI_1", host: 11, priority: 255)
        c.gratuitousARP = GratuitousARPPolicy(masterDelay: 1_000_000, extraInterfaceInterval: 60_000_000)
        var r = VirtualRouter(c)
        #expect(Self.extraRounds(r.start(at: .zero)) == 0)
        #expect(r.state == .master)
        var rounds: [Int64] = []
        var now = Instant.zero
        for _ in 0..<1000 {
            guard let next = r.nextDeadline, next <= Instant(microseconds: 200_000_000) else { break }
            now = next
            if Self.extraRounds(r.advance(to: now)) > 0 { rounds.append(now.microseconds / 1_000_000) }
        }
        #expect(rounds == [61, 121, 181], "\(rounds)")
    }

    @Test func noIntervalNoRounds() {
        var r = VirtualRouter(.pair("VI_1", host: 11, priority: 255))
        var all = r.start(at: .zero)
        for _ in 0..<200 {
            guard let next = r.nextDeadline, next <= Instant(microseconds: 100_000_000) else { break }
            all += r.advance(to: next)
        }
        #expect(Self.extraRounds(all) == 0)
    }
}
