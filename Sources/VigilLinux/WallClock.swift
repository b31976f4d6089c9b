#if canImport(Glibc)
import Glibc
#endif

/// The wall clock, for people only: log lines on a terminal or in a file carry its time.
/// No timer runs on it (`Monotonic` is the daemon's clock).
public enum WallClock {
    /// Now in UTC to the millisecond, ISO 8601: `2026-11-23T03:18:22.417Z`.
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = now.tv_nsec / 1_000_000
        let millis = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }
}
