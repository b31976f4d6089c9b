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

    /// Now in local time as RFC 5322's Date header writes it, and keepalived's alerts:
    /// `Sun, 29 Nov 2026 09:08:31 +0100`.
    public static func mailDate() -> String {
        var seconds = time(nil)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S %z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Now, in microseconds since the epoch.
    public static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000
    }

    /// An instant (microseconds since the epoch) in local time as keepalived's dumps write
    /// one: ctime's layout with microseconds, `Sat Jan 14 06:41:32.348360 2023` (the day
    /// padded with a space).
    public static func localDescription(_ micro: Int64) -> String {
        var seconds = time_t(micro / 1_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = parts.tm_mday < 10 ? " \(parts.tm_mday)" : "\(parts.tm_mday)"
        let fraction = String(micro % 1_000_000)
        return "\(days[Int(parts.tm_wday)]) \(months[Int(parts.tm_mon)]) \(day) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + "\(String(repeating: "0", count: 6 - fraction.count))\(fraction) \(parts.tm_year + 1900)"
    }
}
