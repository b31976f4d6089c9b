import VRRP
import VigilTypes

/// Rate-limits the log lines of state transitions per instance. A flapping instance (a
/// hostile LAN host sending valid higher-priority adverts, a link bouncing) must not
/// flood the journal: the first `burst` (30) transitions of a `window` (10 s) are logged, the rest
/// counted, and the next line logged says how many were left out. Counters and metrics
/// still see every transition.
struct TransitionLog {
    var burst = 30
    var window: Int64 = 10_000_000
    private var windows: [String: (start: Instant, logged: Int, suppressed: Int)] = [:]

    /// The line to log for this transition, or nil when it is suppressed.
    mutating func line(_ instance: String, _ text: String, at now: Instant) -> String? {
        var entry = windows[instance] ?? (now, 0, 0)
        if now - entry.start >= window {
            entry.start = now
            entry.logged = 0
        }
        defer { windows[instance] = entry }
        guard entry.logged < burst else {
            entry.suppressed += 1
            return nil
        }
        entry.logged += 1
        let more = entry.suppressed > 0 ? " (\(entry.suppressed) transition(s) not logged before this one: flapping)" : ""
        entry.suppressed = 0
        return text + more
    }
}
