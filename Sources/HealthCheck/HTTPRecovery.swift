/// keepalived's rule for an HTTP_GET (or SSL_GET) with several URLs: while the checker
/// passes, each round checks every URL; once it has failed (or, with `alpha`, before it
/// has ever passed) it checks one URL per delay_loop and passes again only when every URL
/// has passed in a row, so that 20 URLs at delay_loop 3 s take a minute to bring a real
/// server back. `fast_recovery` checks all of them in one round instead.
///
/// A value with no I/O: the scheduler asks which URLs to check this round and tells it
/// how the round went.
struct HTTPRecovery: Sendable, Equatable {
    let urlCount: Int
    let fastRecovery: Bool
    /// Whether the checker passes (what was last reported, or the start state).
    private(set) var passing: Bool
    /// While recovering: the next URL to check.
    private(set) var next = 0

    init(urlCount: Int, fastRecovery: Bool, startsPassing: Bool) {
        self.urlCount = max(1, urlCount)
        self.fastRecovery = fastRecovery
        passing = startsPassing
    }

    private var recovering: Bool { !passing && !fastRecovery && urlCount > 1 }

    /// The URLs (indices) this round checks.
    var round: Range<Int> { recovering ? next..<next + 1 : 0..<urlCount }

    /// Records a round; true when its outcome stands (the checker's state is now
    /// `passed`), false when the round was one step of a recovery still under way.
    mutating func record(passed: Bool) -> Bool {
        if recovering && passed && next + 1 < urlCount {
            next += 1
            return false
        }
        next = 0
        passing = passed
        return true
    }
}
