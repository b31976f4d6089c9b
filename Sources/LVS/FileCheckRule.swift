/// keepalived's FILE_CHECK rule: what a track_file's number does to a real server.
public enum FileCheckRule {
    /// Weight 0: a non-zero number is down (with `reverse`, a zero one), the weight stays.
    /// Otherwise the server stays up with its weight moved by number × weight (× −1 with
    /// `reverse`), never below 0 — down only at keepalived's fault value (the move at or
    /// below −2³¹).
    public static func outcome(name: String, value: Int64, weight: Int, reverse: Bool, configured: Int32) -> CheckOutcome {
        if weight == 0 {
            let failing = reverse ? value == 0 : value != 0
            return failing ? .down("track_file \(name) reads \(value)") : .up
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: Int64(weight) * (reverse ? -1 : 1))
        let unbounded = overflow ? (value.signum() * Int64(weight).signum() * (reverse ? -1 : 1) < 0 ? Int64.min : Int64.max) : product
        // keepalived's range: a move at or below −2³¹ is its fault value.
        let move = min(Int64(Int32.max), max(Int64(Int32.min), unbounded))
        if move == Int64(Int32.min) { return .down("track_file \(name) reads \(value): weight at its fault value") }
        let moved = min(Int64(Int32.max), max(0, Int64(configured) + move))
        return .upWithWeight(Int32(moved))
    }
}
