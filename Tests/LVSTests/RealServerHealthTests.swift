import Testing
@testable import LVS

@Suite struct RealServerHealthTests {
    @Test func upOnlyWhileEveryCheckerPasses() {
        var health = RealServerHealth(checkerCount: 2, alpha: false)
        #expect(health.isUp)
        #expect(health.record(.up, checker: 0) == nil)
        #expect(health.record(.down(reason: "HTTP 503"), checker: 1) == .down(reason: "HTTP 503"))
        #expect(!health.isUp)
        // The other checker passing does not bring it back.
        #expect(health.record(.up, checker: 0) == nil)
        #expect(health.record(.up, checker: 1) == .up)
        #expect(health.isUp)
    }

    @Test func alphaStartsDownUntilEveryCheckerHasPassed() {
        var health = RealServerHealth(checkerCount: 2, alpha: true)
        #expect(!health.isUp)
        #expect(health.record(.up, checker: 0) == nil)
        #expect(health.record(.up, checker: 1) == .up)
    }

    @Test func withoutCheckersAlwaysUpAndBadIndexIgnored() {
        var health = RealServerHealth(checkerCount: 0, alpha: true)
        #expect(health.isUp)
        #expect(health.record(.down(reason: "x"), checker: 3) == nil)
    }
}
