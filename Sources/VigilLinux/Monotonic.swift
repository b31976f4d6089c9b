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
}
