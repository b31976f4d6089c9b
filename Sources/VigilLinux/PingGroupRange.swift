#if canImport(Glibc)
import Glibc
#endif

/// net.ipv4.ping_group_range: which groups may open ICMP echo ("ping") sockets. PING_CHECK
/// uses them, as keepalived does, and like keepalived the daemon widens the range down to
/// group 0 while it runs (keeping its upper bound) and puts the old lower bound back at
/// exit. Per network namespace.
public enum PingGroupRange {
    static let path = "/proc/sys/net/ipv4/ping_group_range"

    /// The range as it is ("LOW<tab>HIGH"), nil when it cannot be read.
    public static func read() -> (low: UInt32, high: UInt32)? {
        guard let words = Sysctl.read(path)?.split(whereSeparator: { $0 == " " || $0 == "\t" }),
              words.count == 2, let low = UInt32(words[0]), let high = UInt32(words[1]) else { return nil }
        return (low, high)
    }

    /// Sets the lower bound; throws when the file cannot be written.
    public static func setLow(_ low: UInt32, high: UInt32) throws(SystemCallError) {
        try Sysctl.write(path, "\(low)\t\(high)")
    }

    /// Widens the range to start at 0 when it does not; returns the lower bound to put
    /// back at exit (nil: nothing changed).
    public static func widen() throws(SystemCallError) -> UInt32? {
        guard let range = read() else { throw SystemCallError("read \(path)") }
        guard range.low != 0 else { return nil }
        // keepalived: "1 0" (nobody may) becomes "0 0" (root may); "100 200" becomes "0 200".
        try setLow(0, high: range.high)
        return range.low
    }
}
