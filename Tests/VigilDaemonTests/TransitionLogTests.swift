import Testing
import VRRP
@testable import VigilDaemon
import VigilTypes

@Suite struct TransitionLogTests {
    @Test func aFlapIsLoggedThirtyTimesPerWindowThenCounted() {
        var log = TransitionLog()
        var lines: [String] = []
        // 100 transitions 10 ms apart: one second of flapping.
        for k in 0..<100 {
            if let line = log.line("VI_1", "t\(k)", at: Instant(microseconds: Int64(k) * 10_000)) { lines.append(line) }
        }
        #expect(lines == (0..<30).map { "t\($0)" })
        // Another instance has its own budget.
        #expect(log.line("VI_2", "other", at: Instant(microseconds: 500_000)) == "other")
        // The next window: logged again, saying how many were left out.
        let next = log.line("VI_1", "t100", at: Instant(microseconds: 10_000_000))
        #expect(next == "t100 (70 transition(s) not logged before this one: flapping)")
        #expect(log.line("VI_1", "t101", at: Instant(microseconds: 10_010_000)) == "t101")
    }
}
