#if canImport(Glibc)
import Glibc
#endif
import VRRP
import VigilTypes

/// CLOCK_MONOTONIC in the core's units: the daemon's only clock (wall-clock steps never
/// move a VRRP timer).
public enum Monotonic {
    public static func now() -> Instant {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Instant(microseconds: Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000)
    }

    /// Time since the machine booted (CLOCK_BOOTTIME, suspended time included: the clock of
    /// /proc/uptime, which keepalived reads for `vrrp_delay_after_boot`).
    public static func sinceBoot() -> Microseconds {
        var t = timespec()
        clock_gettime(CLOCK_BOOTTIME, &t)
        return Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000
    }

    /// Sleeps this long on the same clock. Only for bounded waits outside the loop (at
    /// exit, children given a moment to end); the loop itself never sleeps.
    public static func pause(_ duration: Microseconds) {
        var t = timespec(tv_sec: Int(duration / 1_000_000), tv_nsec: Int(duration % 1_000_000) * 1000)
        clock_nanosleep(CLOCK_MONOTONIC, 0, &t, nil)
    }
}
