import Testing
@testable import VRRP

/// RFC 3768 §6.1 and RFC 5798 §6.1, against the values TESTING.md measured beside keepalived.
@Suite struct TimersTests {
    @Test func vrrpV2BackupAt90() {
        // Backup priority 90, advert_int 1 s: Skew_Time = 166/256 s.
        let t = VRRPTimers(advertisementInterval: 1_000_000, priority: 90, version: .v2)
        #expect(t.skewTime == 648_437)
        #expect(t.masterDownInterval == 3_648_437)
    }

    @Test func vrrpV3ScalesSkewWithTheInterval() {
        let t = VRRPTimers(advertisementInterval: 100_000, priority: 90, version: .v3)
        #expect(t.skewTime == 64_843)
        #expect(t.masterDownInterval == 364_843)
        let fast = VRRPTimers(advertisementInterval: 10_000, priority: 90, version: .v3)
        #expect(fast.masterDownInterval == 36_484)
    }

    @Test func ownerHasTheSmallestSkew() {
        let owner = VRRPTimers(advertisementInterval: 1_000_000, priority: 255, version: .v2)
        let low = VRRPTimers(advertisementInterval: 1_000_000, priority: 1, version: .v2)
        #expect(owner.skewTime == 3_906)
        #expect(low.skewTime == 996_093)
    }
}
