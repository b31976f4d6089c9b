/// What one check of a real server found: up, or down with the reason an operator reads
/// in the log ("HTTP 503", "timeout after 3 s", "connection refused", "digest mismatch").
///
/// It lives with the pool model, not with the checkers: every kind of checker (the NIO
/// ones and MISC_CHECK's child processes) reports in this one vocabulary, and
/// `PoolState.record(check:_:)` is the one way in for all of them.
public enum CheckOutcome: Sendable, Equatable, CustomStringConvertible {
    case up
    case down(String)
    /// MISC_CHECK with `misc_dynamic`: up, with this weight (exit status − 2).
    case upWithWeight(Int32)

    public var isUp: Bool {
        switch self {
        case .up, .upWithWeight: return true
        case .down: return false
        }
    }

    public var description: String {
        switch self {
        case .up: return "up"
        case let .upWithWeight(w): return "up with weight \(w)"
        case let .down(reason): return "down: \(reason)"
        }
    }
}
