import Testing
@testable import HealthCheck

/// keepalived's HTTP_GET recovery: one URL per delay_loop while recovering, all at once
/// while passing or with fast_recovery.
struct HTTPRecoveryTests {
    @Test func aPassingCheckerChecksEveryURLEachRound() {
        var r = HTTPRecovery(urlCount: 3, fastRecovery: false, startsPassing: true)
        #expect(r.round == 0..<3)
        #expect(r.record(passed: true) && r.passing)
        #expect(r.round == 0..<3)
        // A failure stands at once and starts a recovery.
        #expect(r.record(passed: false) && !r.passing)
        #expect(r.round == 0..<1)
    }

    @Test func alphaRecoversOneURLPerRoundAndOnlyWhenAllPassInARow() {
        var r = HTTPRecovery(urlCount: 3, fastRecovery: false, startsPassing: false)
        var rounds: [Range<Int>] = []
        var stood: [Bool] = []
        for passed in [true, true, false, true, true, true] {
            rounds.append(r.round)
            stood.append(r.record(passed: passed))
        }
        // URL 0, 1 pass (steps), URL 2 fails (stands: still down, back to URL 0), then 0, 1, 2.
        #expect(rounds == [0..<1, 1..<2, 2..<3, 0..<1, 1..<2, 2..<3])
        #expect(stood == [false, false, true, false, false, true])
        #expect(r.passing && r.round == 0..<3)
    }

    @Test func fastRecoveryAndASingleURLCheckEverythingAtOnce() {
        var fast = HTTPRecovery(urlCount: 3, fastRecovery: true, startsPassing: false)
        #expect(fast.round == 0..<3)
        #expect(fast.record(passed: true) && fast.passing)
        var single = HTTPRecovery(urlCount: 1, fastRecovery: false, startsPassing: false)
        #expect(single.round == 0..<1)
        #expect(single.record(passed: true) && single.passing)
    }
}
