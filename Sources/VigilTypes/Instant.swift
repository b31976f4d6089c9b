/// A point on the daemon's monotonic clock, in microseconds from an arbitrary origin.
///
/// The core never reads a clock: every input carries `now`, so tests drive it with a
/// virtual clock and the daemon with `CLOCK_MONOTONIC`.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Microseconds

    public init(microseconds: Microseconds) { self.microseconds = microseconds }

    public static let zero = Instant(microseconds: 0)

    public static func < (a: Instant, b: Instant) -> Bool { a.microseconds < b.microseconds }
    /// Saturates at the far ends of the clock: "no bound" (Int64.max) added to now is the
    /// farthest instant, not a trap.
    public static func + (a: Instant, micro: Microseconds) -> Instant {
        let (sum, overflow) = a.microseconds.addingReportingOverflow(micro)
        return Instant(microseconds: overflow ? (micro > 0 ? .max : .min) : sum)
    }
    public static func - (a: Instant, b: Instant) -> Microseconds { a.microseconds - b.microseconds }

    public var description: String {
        let sign = microseconds < 0 ? "-" : ""
        let m = microseconds.magnitude
        let fraction = String(m % 1_000_000)
        return "\(sign)\(m / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)s"
    }
}
